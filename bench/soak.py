"""Soak: the whole pipeline for N minutes at a steady feed rate, with faults on a schedule.

What runs: a feed server in its own process publishes ``--rate`` articles per second (full
length, each with two quotations); ``newsstream run`` (poller, 2 extractors, indexer, the
supervisor that restarts what dies) follows it against the local stack. Faults, spread evenly
over the run: an extractor SIGKILL, a Kafka broker restart, Elasticsearch stopped for 20 s, a
poller SIGKILL (then the same again, for longer runs).

What is measured (wall clock):
* ``lost``: articles published on the feed that are not in Elasticsearch after the drain;
* ``duplicated_in_kafka``: enriched messages beyond one per (article, revision) - a SIGKILL may
  legitimately cause a few; the index must still hold each article exactly once, which is
  checked separately (``index_exactly_once``: every article id once, each with exactly its
  two quotation documents - a check that fails if anything was indexed twice or lost a quote);
* ``stalls`` and ``restarts``: watchdog exits and supervisor restarts (from the supervisor's
  own log lines);
* ``latency_p95_s``: publication on the feed -> searchable (first seen by a search issued
  every 0.25 s), for articles published outside fault windows (a fault window runs from the
  fault to 60 s after it ended); ``latency_p95_all_s`` includes every article;
* ``max_rss_mb_per_role``: the maximum of per-second RSS samples of every role, and
  ``rss_growth_pct``: per role, the RSS at the end against the RSS at minute 5 (flat = no
  growth above 10 %).

Usage: ``python bench/soak.py [--minutes 20] [--rate 2]``. The last line is one JSON object.
Run it alone on the machine: it is a measurement.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from feedproc import FeedProcess  # noqa: E402
from newsstream.messages import article_id_for  # noqa: E402
from newsstream.roles import settings_env  # noqa: E402
from newsstream.settings import Settings  # noqa: E402
from newsstream.stack import manager  # noqa: E402
from newsstream.store import make_es  # noqa: E402
from newsstream.topics import COMPACTED, DEAD_LETTER, create_topics, read_to_end  # noqa: E402

FAULT_TAIL_S = 60.0
ES_DOWN_S = 20.0
FAULTS = ("extractor-kill", "broker-restart", "elasticsearch-down", "poller-kill")


@dataclass
class Fault:
    name: str
    start: float
    end: float = 0.0
    note: str = ""


@dataclass
class Soak:
    settings: Settings
    run: subprocess.Popen[bytes]
    log: Path
    seen: dict[str, float] = field(default_factory=dict)
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def soak_settings(tag: str, feed_url: str) -> Settings:
    base = Settings(allowed_private_networks=["127.0.0.1/32"], log_format="json")
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
            "state_dir": Path(f"/tmp/newsstream-soak/{tag}"),
            "feeds": [feed_url],
            "allowed_hosts": [],
            "poll_interval_s": 1.0,
            "poll_max_interval_s": 2.0,
            "metrics_port_poller": 19101,
            "metrics_port_extractor": 19102,
            "metrics_port_indexer": 19103,
            "metrics_port_alerter": 19104,
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


def role_of(proc: psutil.Process) -> str | None:
    try:
        cmd = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    if len(cmd) >= 4 and cmd[1:3] == ["-m", "newsstream"]:
        return cmd[3]
    return None


def children(soak: Soak) -> list[tuple[str, psutil.Process]]:
    try:
        kids = psutil.Process(soak.run.pid).children()
    except psutil.NoSuchProcess:
        return []
    return [(role, p) for p in kids if (role := role_of(p)) is not None]


def sample_rss(soak: Soak, began: float) -> None:
    while not soak.stop.wait(1.0):
        now = time.monotonic() - began
        counts: Counter[str] = Counter()
        for role, proc in children(soak):
            counts[role] += 1
            key = f"{role}-{counts[role]}" if role == "extract" else role
            try:
                rss = proc.memory_info().rss / 2**20
            except psutil.NoSuchProcess:
                continue
            soak.rss.setdefault(key, []).append((now, rss))


def watch_searchable(soak: Soak, ids: dict[str, str]) -> None:
    """Record when each article id first becomes searchable (a search every 0.25 s)."""
    es = make_es(soak.settings).options(request_timeout=5, max_retries=0)
    alias = soak.settings.articles_alias
    while not soak.stop.wait(0.25):
        try:
            es.indices.refresh(index=alias)
            hits = es.search(
                index=alias,
                size=500,
                query={"range": {"fetched_at": {"gte": "now-2m"}}},
                source=False,
            )["hits"]["hits"]
        except Exception:  # noqa: S112 - Elasticsearch is down in its fault window
            continue
        now = time.time()
        for hit in hits:
            soak.seen.setdefault(hit["_id"], now)
        _ = ids


def kill_role(soak: Soak, role: str) -> str:
    for name, proc in children(soak):
        if name == role:
            proc.send_signal(signal.SIGKILL)
            return f"pid {proc.pid}"
    return "not found"


def inject(soak: Soak, stack: Settings, name: str) -> Fault:
    fault = Fault(name, time.time())
    if name == "extractor-kill":
        fault.note = kill_role(soak, "extract")
    elif name == "poller-kill":
        fault.note = kill_role(soak, "poll")
    elif name == "broker-restart":
        manager.stop_service(stack, "kafka")
        time.sleep(5)
        manager.start_service(stack, "kafka")
    elif name == "elasticsearch-down":
        manager.stop_service(stack, "elasticsearch")
        time.sleep(ES_DOWN_S)
        manager.start_service(stack, "elasticsearch")
    fault.end = time.time()
    soak.faults.append(fault)
    print(f"  fault {name} at +{fault.start - START[0]:.0f}s ({fault.note or 'done'})", flush=True)
    return fault


START = [0.0]


def exactly_once(settings: Settings, expected: set[str]) -> tuple[bool, int, int]:
    """(every expected article once with exactly 2 quotations, articles found, lost)."""
    es = make_es(settings)
    es.indices.refresh(index=[settings.articles_alias, settings.quotes_alias])
    found: list[str] = []
    for page in range(0, 100):
        hits = es.search(index=settings.articles_alias, size=10_000, from_=page * 10_000,
                         source=False, sort=["_doc"])["hits"]["hits"]  # fmt: skip
        found.extend(h["_id"] for h in hits)
        if len(hits) < 10_000:
            break
    buckets = es.search(
        index=settings.quotes_alias,
        size=0,
        aggs={"a": {"terms": {"field": "article_id", "size": 100_000}}},
    )["aggregations"]["a"]["buckets"]
    quotes = {b["key"]: b["doc_count"] for b in buckets}
    once = len(found) == len(set(found)) and all(quotes.get(a) == 2 for a in set(found))
    lost = len(expected - set(found))
    return once and not (set(found) - expected), len(set(found)), lost


def duplicated_in_kafka(settings: Settings) -> int:
    seen: Counter[tuple[str, int]] = Counter()
    for _, value in read_to_end(settings, settings.topic_enriched, timeout_s=600):
        if value:
            data = json.loads(value)
            seen[(data["article_id"], data["revision"])] += 1
    return sum(n - 1 for n in seen.values())


def supervisor_counts(log: Path) -> tuple[int, int]:
    """(restarts, stalls) from the supervisor's own JSON log lines."""
    restarts = stalls = 0
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("message") == "role died; restarting":
            restarts += 1
            stalls += record.get("code") == 75
    return restarts, stalls


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def in_fault_window(t: float, faults: list[Fault]) -> bool:
    return any(f.start <= t <= f.end + FAULT_TAIL_S for f in faults)


def rss_summary(soak: Soak) -> tuple[dict[str, float], dict[str, float]]:
    peak = {k: round(max(v for _, v in s), 1) for k, s in soak.rss.items() if s}
    growth: dict[str, float] = {}
    for key, samples in soak.rss.items():
        at5 = [v for t, v in samples if 300 <= t <= 330]
        end = [v for _, v in samples[-30:]]
        if at5 and end:
            growth[key] = round(100 * (statistics.median(end) / statistics.median(at5) - 1), 1)
    return peak, growth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=2.0, help="articles per second")
    args = parser.parse_args()
    stack = Settings(allowed_private_networks=["127.0.0.1/32"])
    manager.ensure_up(stack)
    seconds = args.minutes * 60
    total = int(seconds * args.rate)
    tag = f"soak{uuid.uuid4().hex[:6]}"
    feed = FeedProcess(rate=args.rate, total=total, log=Path(f"/tmp/newsstream-soak/{tag}.feed"))
    settings = soak_settings(tag, feed.start())
    log = Path(f"/tmp/newsstream-soak/{tag}.run.log")
    with log.open("wb") as out:
        run = subprocess.Popen(
            [sys.executable, "-m", "newsstream", "run", "--no-status"],
            env=settings_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    soak = Soak(settings, run, log)
    print(f"soak {tag}: {args.minutes:g} min at {args.rate:g} articles/s ({total} articles)")
    time.sleep(15)  # model loads, group joins
    START[0] = time.time()
    began = time.monotonic()
    feed.publish()
    threads = [
        threading.Thread(target=sample_rss, args=(soak, began), daemon=True),
        threading.Thread(target=watch_searchable, args=(soak, {}), daemon=True),
    ]
    for thread in threads:
        thread.start()
    schedule = [(seconds * (i + 1) / (2 * len(FAULTS) + 1), FAULTS[i % len(FAULTS)])
                for i in range(2 * len(FAULTS) if args.minutes >= 20 else len(FAULTS))]  # fmt: skip
    for at, name in schedule:
        while time.monotonic() - began < at:
            time.sleep(0.5)
        inject(soak, stack, name)
    while not feed.done():
        time.sleep(1)
    published = feed.published()
    expected = {article_id_for(p["url"]): p["t"] for p in published}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not set(expected) <= set(soak.seen):
        time.sleep(1)
    soak.stop.set()
    run.send_signal(signal.SIGTERM)
    try:
        run.wait(timeout=120)
    except subprocess.TimeoutExpired:
        run.kill()
    feed.stop()
    once, indexed, lost = exactly_once(settings, set(expected))
    restarts, stalls = supervisor_counts(log)
    latencies = {a: soak.seen[a] - t for a, t in expected.items() if a in soak.seen}
    quiet = [v for a, v in latencies.items() if not in_fault_window(expected[a], soak.faults)]
    peak, growth = rss_summary(soak)
    result: dict[str, Any] = {
        "minutes": args.minutes,
        "articles": len(expected),
        "indexed": indexed,
        "lost": lost,
        "duplicated_in_kafka": duplicated_in_kafka(settings),
        "index_exactly_once": once,
        "stalls": stalls,
        "restarts": restarts,
        "faults": [f.name for f in soak.faults],
        "max_rss_mb_per_role": peak,
        "rss_growth_pct": growth,
        "latency_p50_s": percentile(quiet, 0.5),
        "latency_p95_s": percentile(quiet, 0.95),
        "latency_p95_all_s": percentile(list(latencies.values()), 0.95),
        "never_searchable": len(expected) - len(latencies),
    }
    print(f"published {len(expected)}, indexed {indexed}, lost {lost}, exactly once: {once}")
    print(f"restarts {restarts} (stalls {stalls}); faults {result['faults']}")
    print(
        f"latency outside faults p50 {result['latency_p50_s']} s, p95 {result['latency_p95_s']} s"
    )
    print(f"peak RSS MiB {peak}; growth after minute 5 (%) {growth}")
    print(json.dumps(result))
    return 0 if lost == 0 and once else 1


if __name__ == "__main__":
    sys.exit(main())
