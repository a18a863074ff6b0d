"""Benchmark: the poller's throughput against a naive sequential poller, in the same run.

A local feed server (tests/support/feedserver.py, in its own process) serves one feed of N
BR24-like article pages and answers each article request after 100 ms, like a real site.
Both sides do the same work, timed the same way (wall clock, ``time.perf_counter``): fetch
the feed, parse all N entries, fetch, extract and publish all N articles to a fresh Kafka
topic, each acknowledged. The two run in interleaved rounds (poller, baseline, baseline,
poller, ...) with fresh state and topics; the figures are medians over the rounds:

* ``articles_per_s``: one ``Poller.poll_once`` (asyncio, global + per-host semaphores,
  extraction in threads, acks bridged from the Kafka producer);
* ``baseline_articles_per_s``: the naive way (httpx GET, extract, produce ``.get()``, one
  article after the other);
* ``max_concurrent_per_host``: the most concurrent requests the *server* saw from us;
* ``unchanged_poll_ms``: the median cost of polling the unchanged feed (a 304).

Needs the local stack (``newsstream stack up``; started here if it is not running).
Usage: ``python bench/poller.py [--articles 300] [--rounds 3] [--per-host 8]``.
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


def naive_baseline(settings: Settings, topic: str) -> float:
    """Fetch the feed, then fetch, extract and produce one article after the other: articles/s.

    The same work as the poller's round (feed and every entry), on the same clock.
    """
    producer = make_producer(settings)
    with httpx.Client(trust_env=False, timeout=settings.http_timeout_s) as client:
        started = time.perf_counter()
        feed = feedparser.parse(client.get(settings.feeds[0]).content)
        for entry in feed.entries:
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
    return len(feed.entries) / elapsed


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


def _round(base: Settings, base_url: str, args: argparse.Namespace, side: str, i: int) -> Any:
    tag = f"bench-poller-{uuid.uuid4().hex[:8]}"
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
        create_topics(settings, {settings.topic_raw: (3, COMPACTED)})
        try:
            if side == "poller":
                result = asyncio.run(concurrent_run(settings, base_url, args.articles, 20))
                print(f"round {i} poller:   {result[0]:7.1f} articles/s", flush=True)
                return result
            rate = naive_baseline(settings, settings.topic_raw)
            print(f"round {i} baseline: {rate:7.1f} articles/s", flush=True)
            return rate
        finally:
            _drop_topics(base, tag)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-host", type=int, default=8, help="fetch_per_host_concurrency")
    parser.add_argument("--concurrency", type=int, default=16, help="fetch_concurrency")
    args = parser.parse_args()

    base = Settings(allowed_private_networks=["127.0.0.1/32"], metrics_enabled=False)
    from newsstream.stack import manager

    manager.ensure_up(base)
    parent, child = mp.get_context("fork").Pipe()
    proc = mp.get_context("fork").Process(target=_serve, args=(child, args.articles), daemon=True)
    proc.start()
    base_url = parent.recv()
    latency_ms = LATENCY_S * 1000
    print(f"feed server {base_url} (own process): {args.articles} articles, {latency_ms:.0f} ms")
    print("both sides fetch the feed, then fetch, extract and publish every article")
    print(f"limits: fetch_concurrency={args.concurrency}, per host={args.per_host}; wall clock")
    polls: list[tuple[float, int, float]] = []
    baselines: list[float] = []
    for i in range(1, args.rounds + 1):
        sides = ("poller", "baseline") if i % 2 else ("baseline", "poller")
        for side in sides:
            got = _round(base, base_url, args, side, i)
            (polls.append if side == "poller" else baselines.append)(got)
    parent.send("stop")
    proc.join(10)
    rate = statistics.median(p[0] for p in polls)
    max_host = max(p[1] for p in polls)
    unchanged_ms = statistics.median(p[2] for p in polls)
    baseline = statistics.median(baselines)
    print(f"poller:   {rate:7.1f} articles/s (median of {args.rounds} rounds)")
    print(f"baseline: {baseline:7.1f} articles/s (median of {args.rounds} rounds)")
    print(f"server saw at most {max_host} concurrent requests from us (limit {args.per_host})")
    print(f"unchanged feed (304) poll: {unchanged_ms:.2f} ms (median)")
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
                "rounds": args.rounds,
                "article_latency_ms": LATENCY_S * 1000,
            }
        )
    )


def _drop_topics(settings: Settings, tag: str) -> None:
    from newsstream.topics import admin_client

    admin = admin_client(settings)
    try:
        admin.delete_topics([t for t in admin.list_topics() if t.startswith(tag)])
    finally:
        admin.close()


if __name__ == "__main__":
    main()
