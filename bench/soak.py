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
  checked separately (``index_exactly_once``: every article id once, each with exactly the
  quotation documents of its newest enriched revision - a check that fails if anything was
  indexed twice, a stale quotation stayed or a quotation was lost);
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
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from feedproc import FeedProcess  # noqa: E402
from newsstream.messages import article_id_for  # noqa: E402
from newsstream.settings import Settings  # noqa: E402
from newsstream.stack import manager  # noqa: E402
from newsstream.store import make_es  # noqa: E402
from newsstream.topics import read_to_end  # noqa: E402
from runkit import Run, drop, peak_rss, percentile, run_settings, start_run, wait_ready  # noqa: E402

FAULT_TAIL_S = 60.0
ES_DOWN_S = 20.0
FAULTS = ("extractor-kill", "broker-restart", "elasticsearch-down", "poller-kill")
EXTRACTORS = 2


@dataclass
class Fault:
    name: str
    start: float
    end: float = 0.0
    note: str = ""


def kill_role(run: Run, role: str) -> str:
    for name, proc in run.children():
        if name == role:
            proc.send_signal(signal.SIGKILL)
            return f"pid {proc.pid}"
    return "not found"


def inject(run: Run, stack: Settings, name: str, began: float) -> Fault:
    fault = Fault(name, time.time())
    if name == "extractor-kill":
        fault.note = kill_role(run, "extract")
    elif name == "poller-kill":
        fault.note = kill_role(run, "poll")
    elif name == "broker-restart":
        manager.stop_service(stack, "kafka")
        time.sleep(5)
        manager.start_service(stack, "kafka")
    elif name == "elasticsearch-down":
        manager.stop_service(stack, "elasticsearch")
        time.sleep(ES_DOWN_S)
        manager.start_service(stack, "elasticsearch")
    fault.end = time.time()
    print(f"  fault {name} at +{time.monotonic() - began:.0f}s ({fault.note or 'done'})",
          flush=True)  # fmt: skip
    return fault


def enriched_in_kafka(settings: Settings) -> tuple[int, dict[str, int]]:
    """(enriched messages beyond one per (article, revision), quotations of each article's
    newest revision). The full-length articles hold real quotations besides the two the
    corpus adds, so what the index must hold is what the extractor produced."""
    seen: Counter[tuple[str, int]] = Counter()
    newest: dict[str, tuple[int, int]] = {}
    for _, value in read_to_end(settings, settings.topic_enriched, timeout_s=600):
        if value:
            data = json.loads(value)
            article, revision = data["article_id"], data["revision"]
            seen[(article, revision)] += 1
            if revision >= newest.get(article, (0, 0))[0]:
                newest[article] = (revision, len(data.get("quotes") or []))
    return sum(n - 1 for n in seen.values()), {a: q for a, (_, q) in newest.items()}


def exactly_once(
    settings: Settings, expected: set[str], quotes_expected: dict[str, int]
) -> tuple[bool, int, int]:
    """(every expected article once, each with exactly the quotation documents of its newest
    enriched revision; articles found; lost)."""
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
    once = len(found) == len(set(found)) and all(
        quotes.get(a, 0) == quotes_expected.get(a, -1) for a in set(found)
    )
    lost = len(expected - set(found))
    return once and not (set(found) - expected), len(set(found)), lost


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


def in_fault_window(t: float, faults: list[Fault]) -> bool:
    return any(f.start <= t <= f.end + FAULT_TAIL_S for f in faults)


def rss_growth(run: Run) -> dict[str, float]:
    """Per process: RSS at the end against RSS at minute 5 (flat = no growth above 10 %)."""
    growth: dict[str, float] = {}
    for key, samples in run.rss.items():
        at5 = [v for t, v in samples if 300 <= t <= 330]
        end = [v for _, v in samples[-30:]]
        if at5 and end:
            growth[key] = round(100 * (statistics.median(end) / statistics.median(at5) - 1), 1)
    return growth


def schedule(seconds: float, minutes: float) -> list[tuple[float, str]]:
    """Faults spread evenly over the run: each once, or twice from 20 minutes on."""
    count = 2 * len(FAULTS) if minutes >= 20 else len(FAULTS)
    return [(seconds * (i + 1) / (count + 1), FAULTS[i % len(FAULTS)]) for i in range(count)]


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
    feed = FeedProcess(rate=args.rate, total=total, log=Path(f"/tmp/newsstream-bench/{tag}.feed"))
    settings = run_settings(tag, feed.start())
    run = start_run(settings, extractors=EXTRACTORS)
    print(f"soak {tag}: {args.minutes:g} min at {args.rate:g} articles/s ({total} articles)")
    faults: list[Fault] = []
    try:
        wait_ready(run, EXTRACTORS)
        began = time.monotonic()
        feed.publish()
        for at, name in schedule(seconds, args.minutes):
            while time.monotonic() - began < at:
                time.sleep(0.5)
            faults.append(inject(run, stack, name, began))
        while not feed.done():
            time.sleep(1)
        expected = {article_id_for(p["url"]): p["t"] for p in feed.published()}
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not set(expected) <= set(run.seen):
            time.sleep(1)
    finally:
        run.terminate()
        feed.stop()
    try:
        result = report(args, run, settings, expected, faults)
    finally:
        drop(settings)
    return 0 if result["lost"] == 0 and result["index_exactly_once"] else 1


def report(args: Any, run: Run, settings: Settings, expected: dict[str, float],
           faults: list[Fault]) -> dict[str, Any]:  # fmt: skip
    duplicated, quotes_expected = enriched_in_kafka(settings)
    once, indexed, lost = exactly_once(settings, set(expected), quotes_expected)
    restarts, stalls = supervisor_counts(run.log)
    latencies = {a: run.seen[a] - t for a, t in expected.items() if a in run.seen}
    quiet = [v for a, v in latencies.items() if not in_fault_window(expected[a], faults)]
    peak, growth = peak_rss(run), rss_growth(run)
    series = (
        settings.state_dir / "rss.json"
    )  # the whole memory curve, to tell growth from a plateau
    series.write_text(json.dumps(run.rss))
    result: dict[str, Any] = {
        "minutes": args.minutes,
        "articles": len(expected),
        "indexed": indexed,
        "lost": lost,
        "duplicated_in_kafka": duplicated,
        "index_exactly_once": once,
        "stalls": stalls,
        "restarts": restarts,
        "faults": [f.name for f in faults],
        "max_rss_mb_per_role": peak,
        "rss_growth_pct": growth,
        "latency_p50_s": percentile(quiet, 0.5),
        "latency_p95_s": percentile(quiet, 0.95),
        "latency_p95_all_s": percentile(list(latencies.values()), 0.95),
        "never_searchable": len(expected) - len(latencies),
    }
    print(f"published {len(expected)}, indexed {indexed}, lost {lost}, exactly once: {once}")
    print(f"restarts {restarts} (stalls {stalls}); faults {result['faults']}")
    p50, p95 = result["latency_p50_s"], result["latency_p95_s"]
    print(f"latency outside faults p50 {p50} s, p95 {p95} s")
    print(f"peak RSS MiB {peak}; growth after minute 5 (%) {growth}; curve in {series}")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    sys.exit(main())
