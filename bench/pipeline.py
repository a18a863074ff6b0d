"""The whole pipeline on this machine, against extraction alone and a naive script, in one run.

Phases (all on the same article variants of the real BR24 text):
1. pipeline   `newsstream run --until-idle` (poller, 2 extractors, indexer as processes) over a
              local feed of N articles: wall time until every article is searchable, peak RSS
              of every role and of the two JVMs.
2. extract    extraction alone: the same texts through `enrich` in 2 processes (the same core
              count as the pipeline's extractors), model load included as in the pipeline.
3. naive      one process: feedparser -> fetch -> extract page -> spaCy -> quotes -> `es.index`
              per article (on a slice of the feed; it is slow).
4. latency    a steady 10 articles/s published to the raw topic for LATENCY_SECONDS while an
              extractor and the indexer run; publish -> searchable per article.
Prints readable lines, and last one JSON object (DESIGN.md contract).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.corpus import Variant, make_corpus  # noqa: E402
from tests.support.feedserver import FeedServer  # noqa: E402

from newsstream.bus import make_producer  # noqa: E402
from newsstream.roles import settings_env  # noqa: E402
from newsstream.settings import Settings  # noqa: E402
from newsstream.stack import manager  # noqa: E402
from newsstream.stack.process import rss_mb  # noqa: E402
from newsstream.store import make_es  # noqa: E402
from newsstream.topics import COMPACTED, DEAD_LETTER, create_topics  # noqa: E402

N_ARTICLES = int(os.environ.get("BENCH_ARTICLES", "2000"))
NAIVE_ARTICLES = int(os.environ.get("BENCH_NAIVE_ARTICLES", "150"))
LATENCY_RATE = 10.0
LATENCY_SECONDS = float(os.environ.get("BENCH_LATENCY_SECONDS", "30"))


def bench_settings(tag: str, feed_url: str | None = None) -> Settings:
    base = Settings(
        allowed_private_networks=["127.0.0.1/32"],
        log_format="console",
        log_level="WARNING",
        idle_seconds=3.0,
    )
    settings = base.model_copy(
        update={
            "topic_raw": f"{tag}.raw",
            "topic_enriched": f"{tag}.enriched",
            "topic_dead_letter": f"{tag}.dlq",
            "topic_indexed": f"{tag}.indexed",
            "topic_alerts": f"{tag}.alerts",
            "alerter_group": f"{tag}-alerter",
            "notifier_group": f"{tag}-notifier",
            "extractor_group": f"{tag}-extractor",
            "indexer_group": f"{tag}-indexer",
            "articles_alias": f"{tag}-articles",
            "quotes_alias": f"{tag}-quotes",
            "watches_alias": f"{tag}-watches",
            "alerts_alias": f"{tag}-alerts",
            "state_dir": Path(f"/tmp/newsstream-bench/{tag}"),
            "feeds": [feed_url] if feed_url else base.feeds,
            "allowed_hosts": [],
        }
    )
    create_topics(
        settings,
        {
            settings.topic_raw: (6, COMPACTED),
            settings.topic_enriched: (6, COMPACTED),
            settings.topic_dead_letter: (1, DEAD_LETTER),
        },
    )
    return settings


def count_docs(settings: Settings, index: str) -> int:
    es = make_es(settings)
    try:
        es.indices.refresh(index=index)
        return int(es.count(index=index)["count"])
    except Exception:
        return 0


def children_rss(pid: int) -> dict[str, float]:
    """RSS (MiB) of the direct children of ``pid`` by role (poll / extract / index)."""
    out: dict[str, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:")), "")
        if ppid != str(pid) or b"newsstream" not in cmd:
            continue
        role = cmd[3].decode() if len(cmd) > 3 else "?"
        rss = rss_mb(int(proc.name)) or 0.0
        key = role if role not in out else f"{role}-{proc.name}"
        out[key] = rss
    return out


def phase_pipeline(corpus: list[Variant]) -> dict[str, object]:
    server = FeedServer().start()
    for v in corpus:
        server.add_article(v.slug, v.title, v.paragraphs, teaser=v.teaser)
    settings = bench_settings(f"bp{uuid.uuid4().hex[:6]}", server.feed_url)
    env = settings_env(settings, metrics_enabled=False)
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsstream", "run", "--until-idle", "--no-status"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak: dict[str, float] = {}
    done_at = None
    while proc.poll() is None:
        for role, rss in children_rss(proc.pid).items():
            name = role.split("-")[0]
            peak[name] = max(peak.get(name, 0.0), rss)
        if done_at is None and count_docs(settings, settings.articles_alias) >= len(corpus):
            done_at = time.monotonic()
        time.sleep(1.0)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    server.stop()
    if proc.returncode != 0:
        raise SystemExit(f"pipeline failed ({proc.returncode}):\n{stderr[-3000:]}")
    indexed = count_docs(settings, settings.articles_alias)
    seconds = (done_at or time.monotonic()) - began
    for row in manager.status(Settings()):  # the stack's own state dir, not the bench's
        peak[row.name] = row.rss_mb or 0.0
    print(f"pipeline: {indexed} articles searchable in {seconds:.1f}s")
    return {"seconds": seconds, "indexed": indexed, "rss_mb": peak}


def _extract_worker(texts: list[tuple[str, str]]) -> int:
    from newsstream.extractor.enrich import enrich
    from newsstream.messages import Article, article_id_for, content_hash_for
    from newsstream.nlp.model import load_pipeline

    nlp = load_pipeline(Settings())
    articles = [
        Article(
            article_id=article_id_for(f"https://bench.example/{i}"),
            revision=1,
            url=f"https://bench.example/{i}",
            canonical_url=f"https://bench.example/{i}",
            title=title,
            body=body,
            content_hash=content_hash_for(title, body),
        )
        for i, (title, body) in enumerate(texts)
    ]
    done = 0
    for start in range(0, len(articles), 32):
        done += len(enrich(nlp, articles[start : start + 32]))
    return done


def phase_extract_only(corpus: list[Variant], processes: int = 2) -> float:
    texts = [(v.title, "\n\n".join(v.paragraphs)) for v in corpus]
    shards = [texts[i::processes] for i in range(processes)]
    began = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        done = sum(pool.map(_extract_worker, shards))
    seconds = time.monotonic() - began
    print(f"extraction alone ({processes} processes): {done} articles in {seconds:.1f}s")
    return done / seconds


def phase_naive(corpus: list[Variant]) -> float:
    """feedparser -> httpx GET -> page extraction -> spaCy -> quotes -> es.index, one by one."""
    import feedparser
    import httpx

    from newsstream.extractor.entities import extract_entities
    from newsstream.extractor.quotes import find_quotes
    from newsstream.nlp.model import load_pipeline
    from newsstream.poller.article import extract_article

    server = FeedServer().start()
    for v in corpus:
        server.add_article(v.slug, v.title, v.paragraphs, teaser=v.teaser)
    settings = bench_settings(f"bn{uuid.uuid4().hex[:6]}")
    es = make_es(settings)
    index = f"{settings.articles_alias}-naive"
    began = time.monotonic()
    nlp = load_pipeline(Settings())
    feed = feedparser.parse(httpx.get(server.feed_url).content)
    for entry in feed.entries:
        page = httpx.get(entry.link)
        article = extract_article(page.text, entry.link)
        doc = nlp(article.body)
        entities = extract_entities(doc)
        quotes = find_quotes(doc, entities)
        es.index(
            index=index,
            id=entry.link,
            document={
                "title": article.title,
                "body": article.body,
                "entities": [e.canonical for e in entities],
                "quotes": [q.quote for q in quotes],
            },
        )
    seconds = time.monotonic() - began
    server.stop()
    es.indices.delete(index=index, ignore_unavailable=True)
    print(f"naive script: {len(feed.entries)} articles in {seconds:.1f}s")
    return len(feed.entries) / seconds


def phase_latency(corpus: list[Variant]) -> tuple[float, float]:
    from tests.e2e.helpers import raw_article

    settings = bench_settings(f"bl{uuid.uuid4().hex[:6]}")
    env = settings_env(
        settings, metrics_enabled=False, extract_batch_wait_ms=100, index_bulk_max_wait_s=0.2
    )
    roles = [
        subprocess.Popen([sys.executable, "-m", "newsstream", role], env=env)
        for role in ("extract", "index")
    ]
    es = make_es(settings)
    # Warm up: the model loads and the indices exist before the clock starts.
    warm = raw_article(corpus[0])
    producer = make_producer(settings)
    producer.send(settings.topic_raw, key=warm.article_id.encode(), value=warm.to_bytes()).get(30)
    while count_docs(settings, settings.articles_alias) < 1:
        time.sleep(0.5)

    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set() or len(seen) < len(sent):
            pending = [k for k in sent if k not in seen]
            if pending:
                found = es.mget(index=settings.articles_alias, ids=pending[:500], source=False)
                now = time.monotonic()
                for doc in found["docs"]:
                    if doc.get("found"):
                        seen.setdefault(doc["_id"], now)
            time.sleep(0.05)
            if stop.is_set() and time.monotonic() - stopped_at > 60:
                return

    stopped_at = 0.0
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    total = int(LATENCY_RATE * LATENCY_SECONDS)
    began = time.monotonic()
    for i in range(total):
        target = began + i / LATENCY_RATE
        time.sleep(max(0.0, target - time.monotonic()))
        article = raw_article(corpus[1 + i % (len(corpus) - 1)]).model_copy(
            update={"article_id": f"lat{i:06d}"}
        )
        producer.send(settings.topic_raw, key=article.article_id.encode(), value=article.to_bytes())
        producer.flush()
        sent[article.article_id] = time.monotonic()
    stopped_at = time.monotonic()
    stop.set()
    watcher.join(timeout=90)
    for proc in roles:
        proc.terminate()
        proc.wait(timeout=60)
    latencies = sorted(seen[k] - sent[k] for k in seen)
    if len(latencies) < len(sent):
        print(f"latency: only {len(latencies)} of {len(sent)} became searchable in time")
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"latency at {LATENCY_RATE:.0f} articles/s: p50 {p50:.2f}s, p95 {p95:.2f}s")
    return p50, p95


def main() -> None:
    base = Settings()
    started = manager.ensure_up(base)
    print(f"stack ready (started: {', '.join(started) or 'nothing, already up'})")
    # Full-length variants (the whole real article, ~900 words) unless BENCH_SHORT=1: real
    # BR24 articles are that long, and with 170-word snippets the poller and indexer, not
    # extraction, decide the throughput on 2 cores.
    corpus = make_corpus(N_ARTICLES, quotes=2, full_length=os.environ.get("BENCH_SHORT") != "1")
    words = sum(v.words for v in corpus) / len(corpus)
    print(f"{len(corpus)} article variants, {words:.0f} words each on average")

    pipeline = phase_pipeline(corpus)
    pipeline_rate = float(pipeline["indexed"]) / float(pipeline["seconds"])  # type: ignore[arg-type]
    extract_rate = phase_extract_only(corpus)
    naive_rate = phase_naive(corpus[:NAIVE_ARTICLES])
    p50, p95 = phase_latency(corpus)
    result = {
        "articles": len(corpus),
        "articles_per_s": round(pipeline_rate, 2),
        "extract_only_articles_per_s": round(extract_rate, 2),
        "ratio_vs_extract": round(pipeline_rate / extract_rate, 3),
        "naive_articles_per_s": round(naive_rate, 2),
        "speedup_vs_naive": round(pipeline_rate / naive_rate, 2),
        "latency_rate_per_s": LATENCY_RATE,
        "latency_p50_s": round(p50, 3),
        "latency_p95_s": round(p95, 3),
        "rss_mb": {k: round(v, 1) for k, v in pipeline["rss_mb"].items()},  # type: ignore[union-attr]
    }
    print(
        f"pipeline {pipeline_rate:.1f} articles/s = {result['ratio_vs_extract']}x extraction "
        f"alone, {result['speedup_vs_naive']}x the naive script"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
