"""The whole pipeline on this machine, against extraction alone and a naive script, in one run.

Every phase works on the same N full-length article variants (the real BR24 text plus the dev
articles' prose, ~900 words each) and is timed on the wall clock, its setup outside the timer:

1. pipeline   ``newsstream run`` (poller, 2 extractors, indexer as processes) follows a feed
              served by its own process; the roles are started and ready (models loaded,
              groups joined) before the feed publishes all N articles at once; the clock runs
              from the first publication to the moment the last article is searchable; a
              second clock starts at the poller's first full read of the feed after the
              publication (the feed server records it), as the naive script's clock starts
              with its own feed read: the wait before it is the poll schedule (0 to 2 s, by
              chance), not work. Both are printed. Peak memory is the maximum of per-second
              samples of every role and of both JVMs.
2. extract    extraction alone: the same texts through ``enrich`` in 2 processes (the same
              core count as the pipeline's extractors); models loaded before the clock starts.
3. naive      one process, one article after the other: feed (feedparser) -> fetch (httpx) ->
              page extraction -> spaCy -> entities and quotations -> ``es.index``; model
              loaded and feed server started before the clock starts.
4. latency    the feed publishes 10 articles per second for ``BENCH_LATENCY_SECONDS`` while the
              whole pipeline runs; per article, publication on the feed server -> searchable.
              Articles that never became searchable are counted and fail the run.
Prints readable lines, and last one JSON object (DESIGN.md contract).
A pipeline phase of ``BENCH_WARMUP_ARTICLES`` (100) runs first and is not counted: a freshly
started stack's JVMs are slow until they have compiled their hot code.
Usage: ``python bench/pipeline.py`` (``BENCH_ARTICLES=400``, ``BENCH_LATENCY_SECONDS=60``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.support.corpus import Variant, make_corpus  # noqa: E402

from feedproc import FeedProcess  # noqa: E402
from newsstream.messages import article_id_for  # noqa: E402
from newsstream.settings import Settings  # noqa: E402
from newsstream.stack import manager  # noqa: E402
from newsstream.store import make_es  # noqa: E402
from runkit import (  # noqa: E402
    drop,
    jvm_cpu_s,
    peak_rss,
    percentile,
    process_cpu_s,
    run_settings,
    start_run,
    wait_ready,
)

N_ARTICLES = int(os.environ.get("BENCH_ARTICLES", "400"))
LATENCY_RATE = 10.0
LATENCY_SECONDS = float(os.environ.get("BENCH_LATENCY_SECONDS", "60"))
EXTRACTORS = 2
WARMUP_ARTICLES = int(os.environ.get("BENCH_WARMUP_ARTICLES", "100"))


def _searchable_after(feed: FeedProcess, run: Any, timeout: float) -> tuple[dict[str, float], int]:
    """(per-article latency in s, never searchable) once every published article is in."""
    deadline = time.monotonic() + timeout
    while not feed.done() and time.monotonic() < deadline:
        time.sleep(0.5)
    published = {article_id_for(p["url"]): p["t"] for p in feed.published()}
    while time.monotonic() < deadline and not set(published) <= set(run.seen):
        time.sleep(0.5)
    latencies = {a: run.seen[a] - t for a, t in published.items() if a in run.seen}
    return latencies, len(published) - len(latencies)


def phase_pipeline(n: int) -> dict[str, Any]:
    tag = f"bp{uuid.uuid4().hex[:6]}"
    feed = FeedProcess(
        rate=1000.0, total=n, window=n, log=Path(f"/tmp/newsstream-bench/{tag}.feed")
    )
    settings = run_settings(tag, feed.start())
    run = start_run(settings, extractors=EXTRACTORS)
    try:
        wait_ready(run, EXTRACTORS)
        time.sleep(1.1)  # one more CPU sample after the roles became ready
        cpu_before = {k: v[-1] for k, v in run.cpu.items() if v}
        feed_cpu = process_cpu_s(feed.pid)
        feed.publish()
        latencies, missing = _searchable_after(feed, run, timeout=1800)
        cpu_used = {k: round(v[-1] - cpu_before.get(k, v[0]), 1) for k, v in run.cpu.items() if v}
        feed_cpu = process_cpu_s(feed.pid) - feed_cpu
        first = min(p["t"] for p in feed.published())
        last = max(run.seen[a] for a in latencies) if latencies else time.time()
        read = min((t for t in feed.feed_reads() if t >= first), default=first)
    finally:
        run.terminate()
        feed.stop()
        drop(settings)
    seconds = last - first
    print(f"pipeline: {len(latencies)} of {n} articles searchable in {seconds:.1f}s "
          f"({missing} never); {last - read:.1f}s of it from the poller's first read of the "
          f"feed (before it, {read - first:.1f}s of waiting for the poll schedule)")  # fmt: skip
    print("  CPU seconds meanwhile: " + ", ".join(f"{k} {v}" for k, v in sorted(cpu_used.items()))
          + f"; the feed server (not counted) {feed_cpu:.1f}")  # fmt: skip
    return {"seconds": seconds, "from_read_s": last - read, "poll_wait_s": read - first,
            "indexed": len(latencies), "missing": missing, "rss_mb": peak_rss(run),
            "cpu_s": cpu_used, "feed_cpu_s": feed_cpu}  # fmt: skip


_NLP: Any = None


def _load_model() -> None:
    global _NLP
    from newsstream.nlp.model import load_pipeline

    _NLP = load_pipeline(Settings())


def _extract_shard(texts: list[tuple[str, str]]) -> tuple[int, float]:
    """(articles enriched, CPU seconds this worker used for them)."""
    from newsstream.extractor.enrich import enrich
    from newsstream.messages import Article, content_hash_for

    cpu = time.process_time()
    articles = [
        Article(
            article_id=article_id_for(f"https://bench.example/{title}"),
            revision=1,
            url=f"https://bench.example/{i}",
            canonical_url=f"https://bench.example/{i}",
            title=title,
            body=body,
            content_hash=content_hash_for(title, body),
        )
        for i, (title, body) in enumerate(texts)
    ]
    done = sum(len(enrich(_NLP, articles[s : s + 32])) for s in range(0, len(articles), 32))
    return done, time.process_time() - cpu


def phase_extract_only(corpus: list[Variant], processes: int = EXTRACTORS) -> tuple[float, float]:
    """(articles/s, CPU seconds of the worker processes) of extraction alone."""
    texts = [(v.title, "\n\n".join(v.paragraphs)) for v in corpus]
    shards = [texts[i::processes] for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes, initializer=_load_model) as pool:
        pool.map(_extract_shard, [texts[:1]] * processes)  # every worker has its model now
        began = time.monotonic()
        shard_results = pool.map(_extract_shard, shards)
        seconds = time.monotonic() - began
    done, cpu = sum(r[0] for r in shard_results), sum(r[1] for r in shard_results)
    print(f"extraction alone ({processes} processes): {done} articles in {seconds:.1f}s, "
          f"{cpu:.1f} CPU-s ({cpu / seconds:.2f} cores busy)")  # fmt: skip
    return done / seconds, cpu


def phase_naive(n: int) -> tuple[float, dict[str, float]]:
    """feedparser -> httpx GET -> page extraction -> spaCy -> quotes -> es.index, one by one."""
    import feedparser
    import httpx

    from newsstream.extractor.entities import extract_entities
    from newsstream.extractor.quotes import find_quotes
    from newsstream.nlp.model import load_pipeline
    from newsstream.poller.article import extract_article

    tag = f"bn{uuid.uuid4().hex[:6]}"
    feed = FeedProcess(
        rate=1000.0, total=n, window=n, log=Path(f"/tmp/newsstream-bench/{tag}.feed")
    )
    feed_url = feed.start()
    feed.publish()
    while not feed.done():
        time.sleep(0.2)
    es = make_es(Settings())
    index = f"{tag}-naive"
    nlp = load_pipeline(Settings())
    jvm_before, feed_before, cpu_before = jvm_cpu_s(), process_cpu_s(feed.pid), time.process_time()
    began = time.monotonic()
    entries = feedparser.parse(httpx.get(feed_url, timeout=30).content).entries
    for entry in entries:
        page = extract_article(httpx.get(entry.link, timeout=30).text, entry.link)
        doc = nlp(page.body)
        entities = extract_entities(doc)
        quotes = find_quotes(doc, entities)
        es.index(
            index=index,
            id=entry.link,
            document={"title": page.title, "body": page.body,
                      "entities": [e.canonical for e in entities],
                      "quotes": [q.quote for q in quotes]},
            refresh=True,
        )  # fmt: skip
    seconds = time.monotonic() - began
    cpu = {"naive": time.process_time() - cpu_before}
    cpu.update({k: v - jvm_before.get(k, 0.0) for k, v in jvm_cpu_s().items()})
    feed_cpu = process_cpu_s(feed.pid) - feed_before
    feed.stop()
    es.indices.delete(index=index, ignore_unavailable=True)
    print(f"naive script: {len(entries)} articles in {seconds:.1f}s; CPU seconds meanwhile: "
          + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items()))
          + f"; the feed server (not counted) {feed_cpu:.1f}")  # fmt: skip
    return len(entries) / seconds, cpu


def phase_latency() -> dict[str, Any]:
    tag = f"bl{uuid.uuid4().hex[:6]}"
    total = int(LATENCY_RATE * LATENCY_SECONDS)
    feed = FeedProcess(
        rate=LATENCY_RATE, total=total, log=Path(f"/tmp/newsstream-bench/{tag}.feed")
    )
    settings = run_settings(tag, feed.start())
    run = start_run(settings, extractors=EXTRACTORS)
    try:
        wait_ready(run, EXTRACTORS)
        feed.publish()
        latencies, missing = _searchable_after(feed, run, timeout=LATENCY_SECONDS + 300)
    finally:
        run.terminate()
        feed.stop()
        drop(settings)
    values = list(latencies.values())
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    print(f"latency at {LATENCY_RATE:.0f} articles/s for {LATENCY_SECONDS:.0f}s: p50 {p50}s, "
          f"p95 {p95}s; {missing} of {total} never searchable")  # fmt: skip
    return {"p50": p50, "p95": p95, "missing": missing, "total": total}


def cpu_accounting(
    pipeline: dict[str, Any],
    extract_rate: float,
    extract_cpu: float,
    naive_rate: float,
    naive_cpu: dict[str, float],
) -> dict[str, Any]:
    """Where the cores went, per article, and what that allows.

    On a machine whose cores the pipeline keeps busy, its rate cannot exceed
    ``cores / (CPU seconds per article of every role and both JVMs)``; against the measured
    rates of extraction alone and of the naive script, that is the highest ratio and speedup
    this machine allows the pipeline as it spends CPU now (the feed server, which stands in
    for the web, is left out of it and printed apart).
    """
    n = pipeline["indexed"] or 1
    per_article = {k: round(v / n * 1000, 1) for k, v in sorted(pipeline["cpu_s"].items())}
    pipeline_ms = sum(pipeline["cpu_s"].values()) / n * 1000
    cores = os.cpu_count() or 1
    ceiling_rate = cores / (pipeline_ms / 1000)
    accounting = {
        "cpu_ms_per_article": {
            "pipeline": round(pipeline_ms, 1),
            "pipeline_by_process": per_article,
            "extract_alone": round(extract_cpu / N_ARTICLES * 1000, 1),
            "naive": round(sum(naive_cpu.values()) / N_ARTICLES * 1000, 1),
        },
        "pipeline_cores_busy": round(sum(pipeline["cpu_s"].values()) / pipeline["seconds"], 2),
        "cpu_ceiling_ratio_vs_extract": round(ceiling_rate / extract_rate, 3),
        "cpu_ceiling_speedup_vs_naive": round(ceiling_rate / naive_rate, 2),
    }
    print(f"CPU per article: pipeline {pipeline_ms:.1f} ms ("
          + ", ".join(f"{k} {v}" for k, v in per_article.items())
          + f"), extraction alone {accounting['cpu_ms_per_article']['extract_alone']} ms, "
          f"naive {accounting['cpu_ms_per_article']['naive']} ms; the pipeline kept "
          f"{accounting['pipeline_cores_busy']} of {cores} cores busy. At that CPU per article, "
          f"{cores} cores allow at most {ceiling_rate:.1f} articles/s = "
          f"{accounting['cpu_ceiling_ratio_vs_extract']}x extraction alone, "
          f"{accounting['cpu_ceiling_speedup_vs_naive']}x the naive script")  # fmt: skip
    return accounting


def main() -> int:
    base = Settings()
    started = manager.ensure_up(base)
    print(f"stack ready (started: {', '.join(started) or 'nothing, already up'})")
    corpus = make_corpus(N_ARTICLES, quotes=2, full_length=True)
    words = statistics.mean(v.words for v in corpus)
    print(f"{len(corpus)} article variants, {words:.0f} words each on average; wall clock")
    # Not counted: a freshly started stack's JVMs compile as they go (Elasticsearch used
    # 42.5 ms of CPU an article in a run begun 15 s after a stack start, 7-9 warm), and the
    # first phase would pay for it alone; bench/index.py and bench/alerts.py warm up as well.
    print("warm-up (not counted):")
    phase_pipeline(WARMUP_ARTICLES)
    pipeline = phase_pipeline(N_ARTICLES)
    pipeline_rate = pipeline["indexed"] / pipeline["seconds"]
    working_rate = pipeline["indexed"] / pipeline["from_read_s"]
    extract_rate, extract_cpu = phase_extract_only(corpus)
    naive_rate, naive_cpu = phase_naive(N_ARTICLES)
    latency = phase_latency()
    result = {
        "articles": N_ARTICLES,
        "articles_per_s": round(pipeline_rate, 2),
        "extract_only_articles_per_s": round(extract_rate, 2),
        "ratio_vs_extract": round(pipeline_rate / extract_rate, 3),
        "naive_articles_per_s": round(naive_rate, 2),
        "speedup_vs_naive": round(pipeline_rate / naive_rate, 2),
        # The same, clocked from the poller's first read of the feed after the publication
        # (the naive script's clock starts with its own feed read): the wait for the poll
        # schedule (0 to poll_max_interval_s, by chance) is not work either side does.
        "poll_wait_s": round(pipeline["poll_wait_s"], 2),
        "articles_per_s_from_read": round(working_rate, 2),
        "ratio_vs_extract_from_read": round(working_rate / extract_rate, 3),
        "speedup_vs_naive_from_read": round(working_rate / naive_rate, 2),
        "latency_rate_per_s": LATENCY_RATE,
        "latency_p50_s": latency["p50"],
        "latency_p95_s": latency["p95"],
        "never_searchable": pipeline["missing"] + latency["missing"],
        "peak_rss_mb": pipeline["rss_mb"],
        "pipeline_cpu_s": pipeline["cpu_s"],
        **cpu_accounting(pipeline, extract_rate, extract_cpu, naive_rate, naive_cpu),
    }
    print(f"pipeline {pipeline_rate:.1f} articles/s = {result['ratio_vs_extract']}x extraction "
          f"alone, {result['speedup_vs_naive']}x the naive script; from the poller's first "
          f"read: {working_rate:.1f} articles/s = {result['ratio_vs_extract_from_read']}x, "
          f"{result['speedup_vs_naive_from_read']}x")  # fmt: skip
    print(json.dumps(result))
    return 1 if result["never_searchable"] else 0


if __name__ == "__main__":
    sys.exit(main())
