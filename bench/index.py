"""Benchmark the indexer against a bare ``helpers.bulk`` loop, and search latency.

Same run, same documents: N synthetic enriched articles (parts of the shared BR24 article
mixed with German prose from shared/data/text-de, each with the 8 gold quotations, so 9
documents each) go to a fresh Kafka topic, a part per round.
In each round
1. the bare baseline bulk-loads the very same article and quote documents (built beforehand,
   not timed) with ``elasticsearch.helpers.bulk`` into their own pair of indices;
2. the real indexer (``run_indexer_with_stats``, until idle) consumes the topic and indexes it
   behind fresh aliases: timed from its partition assignment (before its first fetch) to its
   last offset commit, so Kafka consumption, parsing, document building, versioned bulk,
   refreshes, announcements and commits all count.
Search latency is measured on the indexer's indices: 20 typical queries (words, phrases,
stemmed forms, speaker/entity/date filters, quotations), each run 10 times after a warm-up.

Throughput is measured in interleaved rounds (a sixth of the articles each) so that a
busy shared machine slows both sides alike; the figures are medians over the rounds.

Where the cores went: the CPU seconds of this process (the client: the bare loop, or the
indexer with its threads) and of both JVMs, sampled every 20 ms and read for exactly each
round's timed window, per 1,000 documents. With the same documents on both sides,
Elasticsearch's share shows whether it had more to do for the indexer; the client's and
Kafka's show what consuming from the bus costs beside the writes.

Usage: ``python bench/index.py [--articles 10000] [--rounds 6]``. Brings up the local stack
if needed. The last line is one JSON object: docs_per_s, bare_bulk_docs_per_s, ratio_vs_bare,
search_p50_ms, search_p95_ms.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import re
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support

from tests.support.samples import enriched_from_gold

from newsstream import gctune
from newsstream.bus import make_producer
from newsstream.indexer.documents import article_document, quote_documents
from newsstream.indexer.service import run_indexer_with_stats
from newsstream.indexer.setup import ensure_indices
from newsstream.messages import EnrichedArticle, article_id_for
from newsstream.search import search
from newsstream.settings import Settings
from newsstream.stack import manager
from newsstream.store import make_es
from newsstream.topics import COMPACTED, DEAD_LETTER, create_topics
from runkit import drop, jvm_cpu_s, jvm_pids

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


def german_sentences(limit: int = 60_000) -> list[str]:
    """Sentences of ordinary German prose from ``shared/data/text-de`` (fortunes, help texts)."""
    sentences: list[str] = []
    for name in ("fortunes_de.txt.gz", "libreoffice_help_de.txt.gz"):
        path = SHARED.parent / "text-de" / name
        if not path.is_file():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            text = " ".join(handle.read().split())
        sentences += [s for s in re.split(r"(?<=[.!?])\s+", text) if 40 <= len(s) <= 300]
    return sentences[:limit]


def make_articles(n: int, seed: int = 7) -> list[EnrichedArticle]:
    """``n`` different enriched articles with realistic term statistics.

    Each body mixes three consecutive paragraphs of the gold article (so "Mangott" or a phrase
    matches a part of the corpus, not all of it) with paragraphs of ordinary German prose;
    titles, times, feeds and categories vary.
    """
    body = (SHARED / "br24-putin-waffenruhe.txt").read_text(encoding="utf-8")
    gold = json.loads((SHARED / "br24-putin-waffenruhe.gold.json").read_text(encoding="utf-8"))
    base = enriched_from_gold(body, gold)
    paragraphs = body.split("\n\n")
    prose = german_sentences() or paragraphs
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    articles = []
    for i in range(n):
        topic, word = rng.choice(TOPICS), rng.choice(WORDS)
        lead = f"{topic}: {word} im Mittelpunkt, Meldung {i}."
        first = rng.randrange(len(paragraphs))
        kept = paragraphs[first : first + 3]
        filler = [" ".join(rng.sample(prose, 5)) for _ in range(6)]
        shuffled = kept + filler
        rng.shuffle(shuffled)
        url = f"https://www.br.de/nachrichten/bench/{topic.lower()}-{i},B{i:06d}"
        published = start + timedelta(minutes=4 * i + rng.randint(0, 3))
        # Entities and quotes are the gold article's (their offsets are not used by the
        # indexer); only what the documents contain varies.
        article = base.model_copy(
            update={
                "article_id": article_id_for(url),
                "url": url,
                "canonical_url": url,
                "guid": url,
                "title": f"{topic}: {word} - {base.title} ({i})",
                "body": "\n\n".join([lead, *shuffled]),
                "published_at": published,
                "fetched_at": published,
                "feed_url": f"https://www.br.de/nachrichten/{topic.lower()},rss",
                "categories": [topic],
            }
        )
        articles.append(article)
    return articles


def bench_settings(base: Settings, tag: str) -> Settings:
    return base.model_copy(
        update={
            "topic_raw": f"{tag}.articles.raw",
            "topic_enriched": f"{tag}.articles.enriched",
            "topic_dead_letter": f"{tag}.dead-letter",
            "topic_indexed": f"{tag}.indexed",
            "topic_alerts": f"{tag}.alerts",
            "alerter_group": f"{tag}-alerter",
            "notifier_group": f"{tag}-notifier",
            "indexer_group": f"{tag}-indexer",
            "articles_alias": f"{tag}-news-articles",
            "quotes_alias": f"{tag}-news-quotes",
            "watches_alias": f"{tag}-watches",
            "alerts_alias": f"{tag}-alerts",
            "idle_seconds": 2.0,
            "metrics_enabled": False,
        }
    )


class CpuTrace:
    """CPU seconds of this process and of the stack's JVMs, sampled every ``every_s``.

    A round's timed window is known only afterwards (the indexer's starts at its partition
    assignment, inside ``run_indexer_with_stats``), so the counters are sampled all along and
    read for the window by interpolation.
    """

    def __init__(self, every_s: float = 0.02) -> None:
        self._jvms = jvm_pids()
        self._every_s = every_s
        self._samples: list[tuple[float, dict[str, float]]] = [self._sample()]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-trace", daemon=True)
        self._thread.start()

    def _sample(self) -> tuple[float, dict[str, float]]:
        return time.perf_counter(), {"client": time.process_time(), **jvm_cpu_s(self._jvms)}

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self._samples.append(self._sample())

    def _at(self, t: float) -> dict[str, float]:
        samples = self._samples
        for (t0, c0), (t1, c1) in itertools.pairwise(samples):
            if t0 <= t <= t1:
                w = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
                return {k: c0[k] + w * (c1[k] - c0[k]) for k in c0}
        return samples[-1][1] if t > samples[-1][0] else samples[0][1]

    def between(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds each process used from ``start`` to ``end`` (``perf_counter``)."""
        while self._samples[-1][0] < end:  # the sample after the window
            time.sleep(self._every_s)
        before, after = self._at(start), self._at(end)
        return {k: after[k] - before[k] for k in before}

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def publish(settings: Settings, articles: list[EnrichedArticle]) -> None:
    producer = make_producer(settings)
    for article in articles:
        producer.send(
            settings.topic_enriched, key=article.article_id.encode(), value=article.to_bytes()
        )
    producer.flush(timeout=300)
    producer.close()


def bare_bulk(
    es: Elasticsearch, settings: Settings, articles: list[EnrichedArticle]
) -> tuple[int, float, float]:
    """(docs, start, end) of a plain ``helpers.bulk`` of the same documents (no versions), and
    one refresh at the end so that they are searchable when the clock stops."""
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
    # Searchable when the clock stops, as the indexer's documents are (it refreshes before it
    # announces and commits): one refresh, where the indexer makes one a second.
    es.indices.refresh(index=[settings.articles_alias, settings.quotes_alias])
    ended = time.perf_counter()
    assert ok == len(actions), (ok, len(actions))
    return len(actions), started, ended


def indexer_round(
    es: Elasticsearch, settings: Settings, articles: list[EnrichedArticle]
) -> tuple[int, float, float]:
    """(docs, start, end) of the real indexer on ``articles``, published beforehand (not timed).

    Timed (wall clock) from the moment the group has assigned the indexer its partitions -
    the end of its setup (index templates, consumer, group join), as the baseline's setup
    (documents built, indices created) is outside its timer - to its last commit: every fetch
    and parse, the versioned bulk writes, the refreshes, the announcements and the commits
    count; the idle wait at the end does not. (A clock from the loop's start charged each
    round a group join of ~0.5 s that the baseline has no counterpart of.)
    """
    publish(settings, articles)
    stats = run_indexer_with_stats(settings, until_idle=True, es=es)
    assert stats.assigned_at is not None and stats.last_commit_at is not None
    expected = sum(1 + len(a.quotes) for a in articles)
    assert stats.docs_written == expected and stats.dead_letters == 0, stats
    return stats.docs_written, stats.assigned_at, stats.last_commit_at


def varied_queries(
    articles: list[EnrichedArticle], n: int, seed: int = 11
) -> list[tuple[str, dict[str, Any]]]:
    """``n`` distinct searches drawn from the corpus itself (words of the bodies, one or two
    per query, some with filters), beside the 20 typical ones: a cache cannot have seen them."""
    rng = random.Random(seed)
    words = sorted({w.strip('.,:;!?„“"()') for a in articles[:500] for w in a.body.split()})
    words = [w for w in words if len(w) >= 5 and w.isalpha()]
    queries: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    while len(queries) < n:
        text = " ".join(rng.sample(words, rng.choice((1, 1, 2))))
        if text in seen:
            continue
        seen.add(text)
        options: dict[str, Any] = rng.choice(
            [{}, {}, {"quotes": True}, {"since": datetime(2024, 5, 15, tzinfo=UTC)}]
        )
        queries.append((text, options))
    return queries


def search_latency(
    es: Elasticsearch, settings: Settings, queries: list[tuple[str, dict[str, Any]]], warm: int = 5
) -> tuple[list[float], list[float], list[float]]:
    """Client-side milliseconds per search (request, ranking, highlighting, parsing).

    Cold: each distinct query once, right after Elasticsearch's caches were cleared (the
    operating system's file cache stays warm: the index is small and was just written).
    Warm: the same queries ``warm`` times more. Returns (cold, warm, Elasticsearch's own took).
    """
    indices = [settings.articles_alias, settings.quotes_alias]
    cold: list[float] = []
    warm_ms: list[float] = []
    took: list[float] = []
    for query, options in queries:
        es.indices.clear_cache(index=indices)
        started = time.perf_counter()
        result = search(es, settings, query, **options)
        cold.append((time.perf_counter() - started) * 1000)
        took.append(float(result.took_ms or 0))
    for _ in range(warm):
        for query, options in queries:
            started = time.perf_counter()
            search(es, settings, query, **options)
            warm_ms.append((time.perf_counter() - started) * 1000)
    return cold, warm_ms, took


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=6, help="interleaved throughput rounds")
    parser.add_argument(
        "--warmup", type=int, default=500, help="articles of the uncounted first round"
    )
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
        # The indexer sets the garbage collector for streaming when it starts (gctune); set
        # here first, so the bare baseline runs with the same interpreter settings in every round.
        gctune.tune_for_streaming()
        # Interleaved rounds (bare, indexer, then indexer, bare, ...) so that both see the
        # same load on a shared machine. Figures are medians over the rounds (a load spike in
        # one round does not decide the result); the totals are printed as well.
        rates: dict[str, list[float]] = {"bare": [], "indexer": []}
        totals = {"bare": [0.0, 0.0], "indexer": [0.0, 0.0]}
        # A warm-up round first, not counted: a freshly started Elasticsearch JVM wrote the
        # first round's documents at a third of its later speed (JIT), which favoured
        # whichever side came second.
        warmup = make_articles(args.warmup, seed=99)
        warm_bare = bench_settings(base, f"{tag}warm")
        warm_idx = bench_settings(base, f"{tag}warmi")
        create_topics(warm_idx, {warm_idx.topic_enriched: (3, COMPACTED),
                                 warm_idx.topic_dead_letter: (1, DEAD_LETTER)})  # fmt: skip
        n_bare, start, end = bare_bulk(es, warm_bare, warmup)
        s_bare = end - start
        n_idx, start, end = indexer_round(es, warm_idx, warmup)
        s_idx = end - start
        print(f"  warm-up  {n_bare:,} docs: bare {n_bare / s_bare:,.0f}/s, indexer "
              f"{n_idx / s_idx:,.0f}/s (not counted)")  # fmt: skip
        drop(warm_idx)
        drop(warm_bare)
        size = -(-len(articles) // args.rounds)
        trace = CpuTrace()
        #: per side, per round: CPU seconds per 1,000 documents of each process
        cpu: dict[str, list[dict[str, float]]] = {"bare": [], "indexer": []}
        for r in range(args.rounds):
            chunk = articles[r * size : (r + 1) * size]
            order = ["bare", "indexer"] if r % 2 == 0 else ["indexer", "bare"]
            for side in order:
                if side == "bare":
                    n, start, end = bare_bulk(es, bare, chunk)
                else:
                    n, start, end = indexer_round(es, settings, chunk)
                secs = end - start
                used = trace.between(start, end)
                cpu[side].append({k: v / n * 1000 for k, v in used.items()})
                rates[side].append(n / secs)
                totals[side][0] += n
                totals[side][1] += secs
                print(f"  round {r + 1} {side:8} {n:6,} docs in {secs:5.1f}s = {n / secs:7,.0f}/s;"
                      f" CPU-s " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(used.items()))
                      + f" ({sum(used.values()) / secs:.2f} cores busy)")  # fmt: skip
        trace.close()
        ratios = [i / b for i, b in zip(rates["indexer"], rates["bare"], strict=True)]
        bare_rate, rate = statistics.median(rates["bare"]), statistics.median(rates["indexer"])
        ratio = statistics.median(ratios)
        print(
            f"median of rounds: bare helpers.bulk {bare_rate:,.0f} docs/s, indexer {rate:,.0f} "
            f"docs/s, ratio {ratio:.2f} (per round: {', '.join(f'{x:.2f}' for x in ratios)}); "
            f"totals: bare {totals['bare'][0] / totals['bare'][1]:,.0f}, "
            f"indexer {totals['indexer'][0] / totals['indexer'][1]:,.0f} docs/s"
        )

        cpu_per_1000 = {
            side: {k: round(statistics.median(r[k] for r in rounds), 3) for k in rounds[0]}
            for side, rounds in cpu.items()
        }
        cpu_ratios = [
            sum(b.values()) / sum(i.values())
            for b, i in zip(cpu["bare"], cpu["indexer"], strict=True)
        ]
        print(
            "CPU seconds per 1,000 documents, median of rounds: "
            + "; ".join(
                f"{side} " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(used.items()))
                for side, used in cpu_per_1000.items()
            )
            + f"; bare's total over the indexer's: {statistics.median(cpu_ratios):.2f}"
        )

        es.indices.refresh(index=[settings.articles_alias, settings.quotes_alias])
        queries = QUERIES + varied_queries(articles, 180)
        cold, warm, took = search_latency(es, settings, queries)
        cold_p50, cold_p95 = statistics.median(cold), percentile(cold, 95)
        warm_p50, warm_p95 = statistics.median(warm), percentile(warm, 95)
        print(f"search over {len(articles)} articles, {len(queries)} distinct queries "
              f"(20 typical + 180 drawn from the corpus); wall clock, client side:")  # fmt: skip
        print(f"  cold (Elasticsearch caches cleared before each): p50 {cold_p50:.1f} ms, "
              f"p95 {cold_p95:.1f} ms")  # fmt: skip
        print(f"  warm (each query 5 more times): p50 {warm_p50:.1f} ms, p95 {warm_p95:.1f} ms")
        print(f"  Elasticsearch's own took (cold): p95 {percentile(took, 95):.0f} ms; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
        print(
            json.dumps(
                {
                    "docs_per_s": round(rate, 1),
                    "bare_bulk_docs_per_s": round(bare_rate, 1),
                    "ratio_vs_bare": round(ratio, 3),
                    "search_cold_p50_ms": round(cold_p50, 2),
                    "search_cold_p95_ms": round(cold_p95, 2),
                    "search_warm_p50_ms": round(warm_p50, 2),
                    "search_warm_p95_ms": round(warm_p95, 2),
                    "search_p95_ms": round(max(cold_p95, warm_p95), 2),
                    "search_took_p95_ms": round(percentile(took, 95), 2),
                    "queries": len(queries),
                    "articles": len(articles),
                    "docs": docs,
                    "cpu_s_per_1000_docs": cpu_per_1000,
                    "cpu_ratio_vs_bare": round(statistics.median(cpu_ratios), 3),
                }
            )
        )
    finally:
        drop(settings)
        drop(bare)


if __name__ == "__main__":
    main()
