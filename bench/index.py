"""Benchmark the indexer against a bare ``helpers.bulk`` loop, and search latency.

Same run, same documents: N synthetic enriched articles (variants of the shared BR24 article
with its 8 quotations, so 9 documents each) are published to a fresh Kafka topic. Then
1. the bare baseline bulk-loads the very same article and quote documents (built beforehand,
   not timed) with ``elasticsearch.helpers.bulk`` into their own pair of indices;
2. the real indexer (``run_indexer_with_stats``, until idle) consumes the topic and indexes it
   behind fresh aliases: timed from its first consumed message to its last offset commit, so
   Kafka consumption, parsing, document building, versioned bulk and commits all count.
Search latency is measured on the indexer's indices: 20 typical queries (words, phrases,
stemmed forms, speaker/entity/date filters, quotations), each run 5 times after a warm-up.

Usage: ``python bench/index.py [--articles 10000]``. Brings up the local stack if needed.
The last line is one JSON object: docs_per_s, bare_bulk_docs_per_s, ratio_vs_bare,
search_p50_ms, search_p95_ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers
from kafka import KafkaAdminClient

from newsstream.bus import COMPACTED, DEAD_LETTER, bootstrap_servers, create_topics, make_producer
from newsstream.indexer.documents import article_document, quote_documents
from newsstream.indexer.samples import enriched_from_gold
from newsstream.indexer.service import run_indexer_with_stats
from newsstream.indexer.setup import ensure_indices
from newsstream.messages import EnrichedArticle
from newsstream.search import search
from newsstream.settings import Settings
from newsstream.stack import manager
from newsstream.store import make_es

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "articles"

TOPICS = ["Ukraine", "Nato", "Bayern", "Energie", "Wahl", "Bundestag", "Klima", "Haushalt"]
WORDS = ["Verhandlungen", "Waffenruhe", "Gespräche", "Angebot", "Kritik", "Streit", "Plan"]
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("Mangott", {}),
    ("Waffenruhe Ukraine", {}),
    ("Waffenruhen", {}),
    ('"Westen nicht"', {}),
    ("Verhandlungen Kreml", {}),
    ("Putin -Nato", {}),
    ("Bundestag Haushalt", {}),
    ("Klima Energie", {}),
    ("Glaubwürdigkeitsverlust", {}),
    ("Selenskyj", {"entity": "Wolodymyr Selenskyj"}),
    ("", {"entity": "Nato"}),
    ("Ukraine", {"since": datetime(2024, 5, 20, tzinfo=UTC)}),
    ("Frieden", {"quotes": True}),
    ("", {"quotes": True, "speaker": "Gerhard Mangott"}),
    ("Westen", {"quotes": True, "speaker": "Thiele"}),
    ("Konsens Nato", {"quotes": True}),
    ("Erschöpfungszustand", {"quotes": True}),
    ("", {"quotes": True, "entity": "Russland"}),
    ("Verhandlung", {"quotes": True, "since": datetime(2024, 5, 10, tzinfo=UTC)}),
    ("Russland Krieg", {"limit": 20}),
]


def make_articles(n: int, seed: int = 7) -> list[EnrichedArticle]:
    """``n`` different enriched articles: shuffled paragraphs, varied titles, times, feeds."""
    body = (SHARED / "br24-putin-waffenruhe.txt").read_text(encoding="utf-8")
    gold = json.loads((SHARED / "br24-putin-waffenruhe.gold.json").read_text(encoding="utf-8"))
    base = enriched_from_gold(body, gold)
    paragraphs = body.split("\n\n")
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    articles = []
    for i in range(n):
        topic, word = rng.choice(TOPICS), rng.choice(WORDS)
        lead = f"{topic}: {word} im Mittelpunkt, Meldung {i}."
        tail = paragraphs[5:]
        rng.shuffle(tail)  # keep the start; the rest in another order per article
        shuffled = paragraphs[:5] + tail
        url = f"https://www.br.de/nachrichten/bench/{topic.lower()}-{i},B{i:06d}"
        article = enriched_from_gold(
            "\n\n".join([lead, *shuffled]),
            gold,
            url=url,
            published_at=start + timedelta(minutes=4 * i + rng.randint(0, 3)),
        )
        article.title = f"{topic}: {word} - {base.title} ({i})"
        article.feed_url = f"https://www.br.de/nachrichten/{topic.lower()},rss"
        article.categories = [topic]
        articles.append(article)
    return articles


def bench_settings(base: Settings, tag: str) -> Settings:
    return base.model_copy(
        update={
            "topic_raw": f"{tag}.articles.raw",
            "topic_enriched": f"{tag}.articles.enriched",
            "topic_dead_letter": f"{tag}.dead-letter",
            "indexer_group": f"{tag}-indexer",
            "articles_alias": f"{tag}-news-articles",
            "quotes_alias": f"{tag}-news-quotes",
            "idle_seconds": 2.0,
            "metrics_enabled": False,
        }
    )


def publish(settings: Settings, articles: list[EnrichedArticle]) -> None:
    producer = make_producer(settings)
    for article in articles:
        producer.send(
            settings.topic_enriched, key=article.article_id.encode(), value=article.to_bytes()
        )
    producer.flush(timeout=300)
    producer.close()


def bare_bulk(es: Elasticsearch, settings: Settings, articles: list[EnrichedArticle]) -> float:
    """docs/s of a plain ``helpers.bulk`` of the same documents (plain ids, no versions)."""
    ensure_indices(es, settings)
    actions: list[dict[str, Any]] = []
    for a in articles:
        actions.append({"_index": settings.articles_alias, "_id": a.article_id,
                        "_source": article_document(a)})  # fmt: skip
        actions.extend(
            {"_index": settings.quotes_alias, "_id": doc_id, "_source": doc}
            for doc_id, doc in quote_documents(a)
        )
    started = time.perf_counter()
    ok, _ = helpers.bulk(
        es,
        actions,
        chunk_size=settings.index_bulk_max_docs,
        max_chunk_bytes=settings.index_bulk_max_bytes,
    )
    elapsed = time.perf_counter() - started
    assert ok == len(actions), (ok, len(actions))
    return len(actions) / elapsed


def search_latency(es: Elasticsearch, settings: Settings, rounds: int = 5) -> list[float]:
    """Client-side milliseconds per search (request, ranking, highlighting, parsing)."""
    for query, options in QUERIES:  # warm-up (caches, JIT)
        search(es, settings, query, **options)
    per_query: dict[int, list[float]] = {i: [] for i in range(len(QUERIES))}
    for _ in range(rounds):
        for i, (query, options) in enumerate(QUERIES):
            started = time.perf_counter()
            search(es, settings, query, **options)
            per_query[i].append((time.perf_counter() - started) * 1000)
    for i, (query, options) in enumerate(QUERIES):
        shown = {k: str(v)[:10] for k, v in options.items()}
        print(f"  {statistics.median(per_query[i]):6.1f} ms  {query or '(all)'!s:28} {shown}")
    return [ms for values in per_query.values() for ms in values]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def cleanup(settings: Settings, bare: Settings, tag: str) -> None:
    with contextlib.suppress(Exception):
        admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(settings))
        admin.delete_topics([t for t in admin.list_topics() if t.startswith(tag)])
        admin.close()
    es = make_es(settings)
    for s in (settings, bare):
        for alias in (s.articles_alias, s.quotes_alias):
            with contextlib.suppress(Exception):
                indices = list(es.indices.get_alias(name=alias).body)
                es.indices.delete(index=",".join(indices))
            with contextlib.suppress(Exception):
                es.indices.delete_index_template(name=alias)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()

    base = Settings(metrics_enabled=False, log_format="console", log_level="WARNING")
    manager.ensure_up(base)
    tag = f"bench{uuid.uuid4().hex[:8]}"
    settings = bench_settings(base, tag)
    bare = bench_settings(base, f"{tag}bare")
    es = make_es(settings, request_timeout=120)
    try:
        create_topics(
            settings,
            {
                settings.topic_enriched: (3, COMPACTED),
                settings.topic_dead_letter: (1, DEAD_LETTER),
            },
        )
        t0 = time.perf_counter()
        articles = make_articles(args.articles)
        docs = sum(1 + len(a.quotes) for a in articles)
        print(
            f"{len(articles)} articles -> {docs} documents, "
            f"built in {time.perf_counter() - t0:.1f}s"
        )
        t0 = time.perf_counter()
        publish(settings, articles)
        print(f"published to {settings.topic_enriched} in {time.perf_counter() - t0:.1f}s")

        bare_rate = bare_bulk(es, bare, articles)
        print(f"bare helpers.bulk: {bare_rate:,.0f} docs/s")

        stats = run_indexer_with_stats(settings, until_idle=True, es=es)
        assert stats.first_message_at is not None and stats.last_commit_at is not None
        elapsed = stats.last_commit_at - stats.first_message_at
        rate = stats.docs_written / elapsed
        print(
            f"indexer: {stats.docs_written:,} docs in {elapsed:.1f}s = {rate:,.0f} docs/s "
            f"({stats.batches} batches, {stats.retries} retries, {stats.dead_letters} dead letters)"
        )
        assert stats.docs_written == docs, (stats.docs_written, docs)

        es.indices.refresh(index=[settings.articles_alias, settings.quotes_alias])
        samples = search_latency(es, settings)
        p50, p95 = statistics.median(samples), percentile(samples, 95)
        print(f"search over {len(articles)} articles: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
              f"({len(samples)} searches, {len(QUERIES)} distinct queries)")  # fmt: skip
        print(
            json.dumps(
                {
                    "docs_per_s": round(rate, 1),
                    "bare_bulk_docs_per_s": round(bare_rate, 1),
                    "ratio_vs_bare": round(rate / bare_rate, 3),
                    "search_p50_ms": round(p50, 2),
                    "search_p95_ms": round(p95, 2),
                    "articles": len(articles),
                    "docs": docs,
                }
            )
        )
    finally:
        cleanup(settings, bare, tag)


if __name__ == "__main__":
    main()
