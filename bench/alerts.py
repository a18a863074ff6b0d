"""Alerts: N watches against the running pipeline, from feed publication to webhook receipt.

What runs: a feed server in its own process publishes ``--rate`` articles per second (full
length, each quoting two of six speakers); ``newsstream run`` (poller, extractors, indexer,
alerter) follows it against the local stack; a webhook receiver in this process records when
each alert arrives. The watches (``--watches``, stored in bulk) are six speaker watches that
match (two alerts per article) and the rest a realistic mix that rarely or never matches:
speaker, entity and query watches and combinations, all with a webhook target - every watch
is searched for every batch, matching or not.

The first ``--warmup`` articles (300) go through the same running pipeline at the same rate
and are not measured: a stack that monitors feeds has been running for a while, and the first
minute after a start (the JVMs compiling, caches empty) measured up to 3x slower. Their p95
is printed beside the rest (``warmup_alert_latency_p95_s``), and an article of theirs without
an alert counts as missing like any other.

Measured (over the articles after the warm-up):
* ``alert_latency_p50_s`` / ``_p95_s``: per article, publication on the feed (wall clock,
  recorded by the feed process) to the first alert for it received by the webhook;
* ``stages_s``: the same time hop by hop, p50 / p95: ``poll_fetch`` (publication -> raw record
  in Kafka), ``extract`` (-> enriched record), ``index`` (-> searchable, the indexer's
  ``indexed_at``), ``match`` (-> the matcher's ``matched_at``), ``deliver`` (-> webhook);
* ``alert_stage_p50_s`` / ``_p95_s``: the alerter's share, from the indexer's announcement
  (the article is searchable) to webhook receipt;
* ``matches_per_s``: (watch, article) pairs decided per second of matching time, from the
  alerter's own metrics (candidate selection, ``_msearch`` and the "what is new" decision);
* ``scaling``: after the run, one batch of 10 indexed articles against 10 ... 3,000 watches
  of the mix, every watch searched (no candidate selection: the worst case, e.g. watches
  whose names all occur in the batch), grouped as the alerter does and one search per watch.

Usage: ``python bench/alerts.py [--watches 1000] [--articles 2000] [--rate 10] [--warmup 300]``;
a quick check: ``--watches 50 --articles 100 --warmup 0``. Run it alone on the machine: it
is a measurement.
The goal (issue 17): p95 < 3 s at 10 articles/s with 1,000 watches. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.support.corpus import SPEAKERS  # noqa: E402
from tests.support.webhook import WebhookReceiver  # noqa: E402

from feedproc import FeedProcess  # noqa: E402
from newsstream.alerts.matching import plan_msearch  # noqa: E402
from newsstream.alerts.store import WatchStore, ensure_alert_indices  # noqa: E402
from newsstream.alerts.watches import Watch, new_watch  # noqa: E402
from newsstream.indexer.setup import ensure_indices  # noqa: E402
from newsstream.messages import article_id_for  # noqa: E402
from newsstream.roles import scrape, settings_env  # noqa: E402
from newsstream.settings import Settings  # noqa: E402
from newsstream.stack import manager  # noqa: E402
from newsstream.store import make_es  # noqa: E402
from newsstream.topics import ALERTS, COMPACTED, DEAD_LETTER, GroupShape, create_topics  # noqa: E402
from runkit import drop, first_written  # noqa: E402

ALERTER_METRICS_PORT = 19104
#: The HMAC key of the bench's watches (fresh per run; the receiver does not check it).
SECRET = secrets.token_hex(16)
#: How long after the last publication the alerts may still arrive before they count missing.
DRAIN_S = 180.0


def bench_settings(tag: str, feed_url: str) -> Settings:
    base = Settings(allowed_private_networks=["127.0.0.1/32"], log_format="json")
    names = {
        "topic_raw": f"{tag}.raw", "topic_enriched": f"{tag}.enriched",
        "topic_dead_letter": f"{tag}.dlq", "topic_indexed": f"{tag}.indexed",
        "topic_alerts": f"{tag}.alerts", "extractor_group": f"{tag}-extractor",
        "indexer_group": f"{tag}-indexer", "alerter_group": f"{tag}-alerter",
        "notifier_group": f"{tag}-notifier", "articles_alias": f"{tag}-articles",
        "quotes_alias": f"{tag}-quotes", "watches_alias": f"{tag}-watches",
        "alerts_alias": f"{tag}-alerts",
    }  # fmt: skip
    settings = base.model_copy(
        update={
            **names,
            "state_dir": Path(f"/tmp/newsstream-bench/{tag}"),
            "feeds": [feed_url],
            "allowed_hosts": [],
            "poll_interval_s": 1.0,
            "poll_max_interval_s": 2.0,
            "extract_batch_wait_ms": 200,
            "index_bulk_max_wait_s": 0.3,
            "metrics_port_poller": 19101,
            "metrics_port_extractor": 19102,
            "metrics_port_indexer": 19103,
            "metrics_port_alerter": ALERTER_METRICS_PORT,
        }
    )
    create_topics(
        settings,
        {
            settings.topic_raw: (6, COMPACTED),
            settings.topic_enriched: (6, COMPACTED),
            settings.topic_indexed: (6, COMPACTED),
            settings.topic_alerts: (6, ALERTS),
            settings.topic_dead_letter: (1, DEAD_LETTER),
        },
    )
    return settings


def make_watches(n: int, hook_url: str) -> list[Watch]:
    """Six matching speaker watches, then a mix that (almost) never matches."""
    now = datetime.now(UTC)
    target = [f"webhook:{hook_url}"]
    watches = [new_watch(f"speaker-{i}", speaker=name, notify=target, secret=SECRET,
                         created_at=now) for i, (_, name) in enumerate(SPEAKERS)]  # fmt: skip
    kinds = (
        lambda i: {"speaker": f"Vorname{i} Nachname{i}"},
        lambda i: {"entities": [f"Organisation {i}"]},
        lambda i: {"query": f"Waffenruhe AND Stichwort{i}"},
        lambda i: {"query": f'"Verhandlungen in Ort{i}" OR Begriff{i}'},
        lambda i: {"speaker": f"Nachname{i}", "query": "Waffenruhe"},
        lambda i: {"entities": ["Wladimir Putin", f"Person {i}"]},
    )
    for i in range(len(watches), n):
        spec: dict[str, Any] = kinds[i % len(kinds)](i)
        watches.append(new_watch(f"mix-{i}", notify=target, secret=SECRET, created_at=now,
                                 **spec))  # fmt: skip
    return watches[:n]


def store_watches(settings: Settings, watches: list[Watch]) -> None:
    """Validate one of each kind (as ``watch add`` does), store all in one bulk request."""
    es = make_es(settings)
    ensure_indices(es, settings)
    ensure_alert_indices(es, settings)
    store = WatchStore(es, settings)
    for watch in watches[:12]:
        store.validate(watch)
    lines: list[dict[str, Any]] = []
    for w in watches:
        lines += [{"create": {"_index": settings.watches_alias, "_id": w.name}}, w.to_document()]
    answer = es.bulk(operations=lines, refresh=True)
    assert not answer["errors"], "watches not stored"


def wait_for_roles(settings: Settings, extractors: int, timeout_s: float = 180) -> None:
    """Until every consumer group has its members (models loaded, groups joined)."""
    groups = [
        (settings.extractor_group, settings.topic_raw, extractors),
        (settings.indexer_group, settings.topic_enriched, 1),
        (settings.alerter_group, settings.topic_indexed, 1),
        (settings.notifier_group, settings.topic_alerts, 1),
    ]
    deadline = time.monotonic() + timeout_s
    for group, topic, members in groups:
        shape = GroupShape(settings, group, topic)
        try:
            while True:
                got = shape()
                if got is not None and got[1] >= members:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{group} has no members after {timeout_s:.0f}s")
                time.sleep(0.5)
        finally:
            shape.close()


def _msearch_ms(es: Any, lines: list[dict[str, Any]], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        es.msearch(searches=lines)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def scaling(settings: Settings, counts: list[int]) -> list[dict[str, Any]]:
    """``_msearch`` time of one 10-article batch of the run against ``n`` watches of the
    bench's mix (built in memory: the search does not need them stored), grouped as the
    alerter does and one search per watch."""
    es = make_es(settings)
    hits = es.search(index=settings.articles_alias, size=10, source=False)["hits"]["hits"]
    ids = [h["_id"] for h in hits]
    rows = []
    for n in counts:
        watches = make_watches(n, "http://127.0.0.1:9/unused")
        grouped = _msearch_ms(es, plan_msearch(watches, ids, settings)[0])
        single = _msearch_ms(es, plan_msearch(watches, ids, settings, group=1)[0])
        rows.append({"watches": n, "batch_articles": len(ids), "msearch_ms": round(grouped, 1),
                     "msearch_ms_one_search_per_watch": round(single, 1),
                     "matches_per_s": round(n * len(ids) * 1000 / grouped)})  # fmt: skip
        print(f"  scaling: {n:5d} watches x {len(ids)} articles: {grouped:7.1f} ms per _msearch "
              f"({single:7.1f} ms with one search per watch)")  # fmt: skip
    return rows


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def alerter_figures() -> dict[str, float]:
    """What the alerter measured itself, from its /metrics."""
    samples = scrape(ALERTER_METRICS_PORT)

    def total(name: str) -> float:
        return sum(v for _, v in samples.get(name, []))

    return {
        "pairs": total("newsstream_alerter_pairs_total"),
        "match_s": total("newsstream_alerter_match_seconds_sum"),
        "batches": total("newsstream_alerter_match_seconds_count"),
        "msearch_s": total("newsstream_alerter_msearch_seconds_sum"),
        "msearches": total("newsstream_alerter_msearch_seconds_count"),
        "searched": total("newsstream_alerter_watch_searches_total"),
    }


def drain(feed: FeedProcess, hook: WebhookReceiver) -> dict[str, Any]:
    """Wait until every published article has an alert (or DRAIN_S passed); first receipts
    (the webhook's receipt time, the alert's ``indexed_at`` and ``matched_at``)."""
    while not feed.done():
        time.sleep(1)
    published = {article_id_for(p["url"]) for p in feed.published()}
    deadline = time.monotonic() + DRAIN_S
    first: dict[str, Any] = {}
    while True:
        for received in list(hook.received):
            body = received.json
            first.setdefault(
                body["article_id"], (received.at, body.get("indexed_at"), body.get("matched_at"))
            )
        if published <= set(first) or time.monotonic() > deadline:
            return first
        time.sleep(0.5)


def _ts(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None


def stages(
    settings: Settings, published: dict[str, float], first: dict[str, Any]
) -> dict[str, dict[str, float | None]]:
    """Where each article's time went, hop by hop (p50/p95 over the articles with an alert).

    The clocks: publication (feed process), the raw and enriched records' producer
    timestamps, the indexer's ``indexed_at``, the matcher's ``matched_at``, the webhook's
    receipt - all wall clocks of this one machine.
    """
    raw = first_written(settings, settings.topic_raw)
    enriched = first_written(settings, settings.topic_enriched)
    hops: dict[str, list[float]] = {"poll_fetch": [], "extract": [], "index": [], "match": [],
                                    "deliver": []}  # fmt: skip
    for article_id, t in published.items():
        if article_id not in first or article_id not in raw or article_id not in enriched:
            continue
        received, indexed, matched = first[article_id]
        points = [t, raw[article_id], enriched[article_id], _ts(indexed), _ts(matched), received]
        if any(p is None for p in points):
            continue
        for name, a, b in zip(hops, points, points[1:], strict=False):
            hops[name].append(b - a)
    return {k: {"p50": percentile(v, 0.5), "p95": percentile(v, 0.95)} for k, v in hops.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=10.0, help="articles per second")
    parser.add_argument("--extractors", type=int, default=2)
    parser.add_argument(
        "--warmup", type=int, default=300, help="articles published first and not measured"
    )
    parser.add_argument(
        "--page-latency", type=float, default=0.0,
        help="seconds each article page takes to answer (a slow news site)",
    )  # fmt: skip
    parser.add_argument(
        "--slow-page", type=float, nargs=2, default=(0, 0.0), metavar=("EVERY", "SECONDS"),
        help="every EVERY-th article's page answers only after SECONDS (e.g. 50 3)",
    )  # fmt: skip
    args = parser.parse_args()
    manager.ensure_up(Settings(allowed_private_networks=["127.0.0.1/32"]))
    tag = f"ba{uuid.uuid4().hex[:6]}"
    feed = FeedProcess(rate=args.rate, total=args.warmup + args.articles,
                       log=Path(f"/tmp/newsstream-bench/{tag}.feed"),
                       page_latency_s=args.page_latency, slow_every=int(args.slow_page[0]),
                       slow_page_s=args.slow_page[1])  # fmt: skip
    settings = bench_settings(tag, feed.start())
    hook = WebhookReceiver().start()
    watches = make_watches(args.watches, hook.url)
    store_watches(settings, watches)
    print(f"alerts bench {tag}: {len(watches)} watches, {args.warmup} + {args.articles} "
          f"articles at {args.rate:g}/s (the first {args.warmup} warm up), "
          f"{args.extractors} extractors, pages answered after {args.page_latency:g} s, "
          f"every {int(args.slow_page[0])}th after {args.slow_page[1]:g} s")  # fmt: skip
    log = Path(f"/tmp/newsstream-bench/{tag}.run.log")
    with log.open("wb") as out:
        run = subprocess.Popen(
            [sys.executable, "-m", "newsstream", "run", "--no-status",
             "--extractors", str(args.extractors)],
            env=settings_env(settings), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for_roles(settings, args.extractors)
        feed.publish()
        first = drain(feed, hook)
        figures = alerter_figures()
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=120)
        feed.stop()
        hook.stop()
    in_order = [(article_id_for(p["url"]), p["t"]) for p in feed.published()]
    warm, published = dict(in_order[: args.warmup]), dict(in_order[args.warmup :])
    warm_latencies = [first[a][0] - t for a, t in warm.items() if a in first]
    latencies = [first[a][0] - t for a, t in published.items() if a in first]
    # The alert stage alone: searchable (the indexer's announcement) -> webhook receipt.
    stage = [first[a][0] - datetime.fromisoformat(first[a][1]).timestamp()
             for a in published if a in first and first[a][1]]  # fmt: skip
    try:
        hops = stages(settings, published, first)
        rows = scaling(settings, sorted({10, 100, 1000, 3000, len(watches)} - {0}))
    finally:
        drop(settings)  # its topics, indices and templates: left behind, they slow later runs
    result = {
        "watches": len(watches),
        "articles": len(published),
        "alerts": len(hook.received),
        "matches_per_s": round(figures["pairs"] / figures["match_s"])
        if figures["match_s"]
        else None,
        "match_batches": int(figures["batches"]),
        "match_ms_per_batch": round(1000 * figures["match_s"] / max(1, figures["batches"]), 1),
        "watches_searched_per_batch": round(figures["searched"] / max(1, figures["batches"]), 1),
        "msearch_ms_per_batch": round(
            1000 * figures["msearch_s"] / max(1, figures["msearches"]), 1
        ),
        "alert_latency_p50_s": percentile(latencies, 0.5),
        "alert_latency_p95_s": percentile(latencies, 0.95),
        "alert_stage_p50_s": percentile(stage, 0.5),
        "alert_stage_p95_s": percentile(stage, 0.95),
        "articles_without_alert": len(in_order) - len(warm_latencies) - len(latencies),
        "warmup_articles": len(warm),
        "warmup_alert_latency_p95_s": percentile(warm_latencies, 0.95),
        "rate": args.rate,
        "page_latency_s": args.page_latency,
        "slow_page": {"every": int(args.slow_page[0]), "seconds": args.slow_page[1]},
        "load_avg_1m_at_end": round(os.getloadavg()[0], 1),
        "stages_s": hops,
        "scaling": rows,
    }
    print(f"published {len(warm)} + {len(published)}, alerts received {len(hook.received)}, "
          f"articles without alert {result['articles_without_alert']}")  # fmt: skip
    print(
        f"warm-up: {len(warm)} articles, alert latency p95 {result['warmup_alert_latency_p95_s']} s"
    )
    print(
        f"alert latency (publication -> webhook) p50 {result['alert_latency_p50_s']} s, "
        f"p95 {result['alert_latency_p95_s']} s (goal p95 < 3 s at 10/s, 1,000 watches)"
    )
    print(f"of which the alert stage (searchable -> webhook) p50 {result['alert_stage_p50_s']} s, "
          f"p95 {result['alert_stage_p95_s']} s")  # fmt: skip
    print("where the time went (p50 / p95 s): " + ", ".join(
        f"{k} {v['p50']} / {v['p95']}" for k, v in hops.items()))  # fmt: skip
    print(f"matching: {result['matches_per_s']} watch x article pairs decided per second, "
          f"{result['match_ms_per_batch']} ms per batch")  # fmt: skip
    print(f"run log: {log}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
