"""Benchmark: the poller's throughput against a naive sequential poller, in the same run.

A local feed server (tests/support/feedserver.py) serves one feed of N BR24-like article
pages and answers each article request after 100 ms, like a real site. We measure:

* ``articles_per_s``: one ``Poller.poll_once`` (asyncio, global + per-host semaphores,
  extraction in threads, acks bridged from the Kafka producer) fetching, extracting and
  publishing all N articles to a real Kafka topic;
* ``baseline_articles_per_s``: the naive way (httpx GET, extract, produce ``.get()``, one
  article after the other) over a sample of the same articles;
* ``max_concurrent_per_host``: the most concurrent requests the *server* saw from us;
* ``unchanged_poll_ms``: the median cost of polling the unchanged feed (a 304).

Needs the local stack (``newsstream stack up``; started here if it is not running).
Usage: ``python bench/poller.py [--articles 500] [--baseline-articles 100] [--per-host 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import feedparser
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.feedserver import FEED_PATHS, FeedServer

from newsstream.bus import make_producer
from newsstream.messages import Article, article_id_for, content_hash_for
from newsstream.poller.article import extract_article
from newsstream.poller.http import Fetcher
from newsstream.poller.service import Poller
from newsstream.poller.state import PollerState
from newsstream.settings import Settings
from newsstream.topics import COMPACTED, create_topics

LATENCY_S = 0.1


def _fill(server: FeedServer, n: int) -> None:
    for i in range(n):
        server.add_article(
            f"artikel-{i}",
            f"Bench-Artikel {i}: Landtag berät über den Haushalt",
            [
                f"Der Bayerische Landtag hat am Dienstag über Artikel {i} des Haushalts beraten. "
                "Die Opposition kritisierte die Pläne der Staatsregierung scharf.",
                "Finanzminister und Fraktionen stritten über Schulden, Investitionen und Bildung. "
                "Eine Entscheidung soll in der kommenden Sitzungswoche fallen.",
                "## Kritik aus den Kommunen",
                "Auch die Städte und Gemeinden meldeten sich zu Wort: Sie fürchten Kürzungen bei "
                "den Zuweisungen und fordern mehr Geld für Kitas und den Nahverkehr.",
            ],
            quotes=[("Anna Beispiel", f"Dieser Haushalt ist ein Aufbruch, Teil {i}.")],
        )


def naive_baseline(settings: Settings, topic: str, limit: int) -> float:
    """Fetch, extract and produce one article after the other; articles per second."""
    producer = make_producer(settings)
    started = time.perf_counter()
    with httpx.Client(trust_env=False, timeout=settings.http_timeout_s) as client:
        feed = feedparser.parse(client.get(settings.feeds[0]).content)
        for entry in feed.entries[:limit]:
            response = client.get(entry.link)
            page = extract_article(response.text, entry.link)
            article = Article(
                article_id=article_id_for(page.canonical_url),
                revision=1,
                url=entry.link,
                canonical_url=page.canonical_url,
                title=page.title,
                body=page.body,
                content_hash=content_hash_for(page.title, page.body),
            )
            producer.send(topic, key=article.article_id.encode(), value=article.to_bytes()).get(60)
    elapsed = time.perf_counter() - started
    producer.close()
    return limit / elapsed


def _stats(base_url: str, reset: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"{base_url}/_stats{'/reset' if reset else ''}").json()
    return data


async def concurrent_run(
    settings: Settings, base_url: str, n: int, repeats: int
) -> tuple[float, int, float]:
    """The real poller: (articles/s, max concurrent per host, median 304-poll ms)."""
    producer = make_producer(settings)
    state = PollerState(settings.state_dir)
    feed_url = settings.feeds[0]
    try:
        async with Fetcher(settings) as fetcher:
            poller = Poller(settings, fetcher=fetcher, producer=producer, state=state)
            _stats(base_url, reset=True)
            started = time.perf_counter()
            stats = await poller.poll_once([feed_url])
            elapsed = time.perf_counter() - started
            assert stats.new == n, f"published {stats.new} of {n}: {dict(stats.errors)}"
            max_host = max(_stats(base_url)["max_concurrent"].values())
            timings = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                again = await poller.poll_once([feed_url])
                timings.append((time.perf_counter() - t0) * 1000)
                assert again.not_modified == 1
            return n / elapsed, max_host, statistics.median(timings)
    finally:
        state.close()
        producer.close()


def _serve(conn: Connection, n: int) -> None:
    """The feed server in its own process, so it never competes with the poller for the GIL."""
    server = FeedServer(article_latency_s=LATENCY_S).start()
    _fill(server, n)
    conn.send(server.base_url)
    conn.recv()  # until the benchmark is done
    server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--baseline-articles", type=int, default=100)
    parser.add_argument("--per-host", type=int, default=8, help="fetch_per_host_concurrency")
    parser.add_argument("--concurrency", type=int, default=16, help="fetch_concurrency")
    args = parser.parse_args()

    base = Settings(allowed_private_networks=["127.0.0.1/32"], metrics_enabled=False)
    from newsstream.stack import manager

    manager.ensure_up(base)
    tag = f"bench-poller-{uuid.uuid4().hex[:8]}"
    parent, child = mp.get_context("fork").Pipe()
    proc = mp.get_context("fork").Process(target=_serve, args=(child, args.articles), daemon=True)
    proc.start()
    base_url = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        settings = base.model_copy(
            update={
                "feeds": [f"{base_url}{FEED_PATHS['rss']}"],
                "topic_raw": f"{tag}.raw",
                "state_dir": Path(tmp),
                "fetch_per_host_concurrency": args.per_host,
                "fetch_concurrency": args.concurrency,
            }
        )
        create_topics(settings, {settings.topic_raw: (3, COMPACTED), f"{tag}.baseline": (3, {})})
        print(
            f"feed server {base_url} (own process): {args.articles} articles,"
            f" {LATENCY_S * 1000:.0f} ms each"
        )
        print(f"limits: fetch_concurrency={args.concurrency}, per host={args.per_host}")
        rate, max_host, unchanged_ms = asyncio.run(
            concurrent_run(settings, base_url, args.articles, 20)
        )
        print(f"poller:   {rate:7.1f} articles/s (fetched, extracted, acknowledged by Kafka)")
        print(f"server saw at most {max_host} concurrent requests from us (limit {args.per_host})")
        print(f"unchanged feed (304) poll: {unchanged_ms:.2f} ms (median of 20)")
        baseline = naive_baseline(settings, f"{tag}.baseline", args.baseline_articles)
        print(
            f"baseline: {baseline:7.1f} articles/s (sequential, {args.baseline_articles} articles)"
        )
    parent.send("stop")
    proc.join(10)
    _drop_topics(base, tag)
    print(
        json.dumps(
            {
                "articles_per_s": round(rate, 2),
                "baseline_articles_per_s": round(baseline, 2),
                "speedup": round(rate / baseline, 2),
                "max_concurrent_per_host": max_host,
                "per_host_limit": args.per_host,
                "unchanged_poll_ms": round(unchanged_ms, 2),
                "articles": args.articles,
                "article_latency_ms": LATENCY_S * 1000,
            }
        )
    )


def _drop_topics(settings: Settings, tag: str) -> None:
    from kafka import KafkaAdminClient

    from newsstream.bus import bootstrap_servers

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(settings))
    try:
        admin.delete_topics([t for t in admin.list_topics() if t.startswith(tag)])
    finally:
        admin.close()


if __name__ == "__main__":
    main()
