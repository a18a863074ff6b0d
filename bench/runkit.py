"""Driving the whole pipeline from a benchmark: settings, ``newsstream run``, readiness,
searchability and memory, measured from outside the pipeline's processes.

Shared by ``bench/pipeline.py``, ``bench/soak.py`` and ``bench/alerts.py``: the feed server runs
in its own process (``feedproc.FeedProcess``); this module starts ``newsstream run`` against
it, waits until every role is ready (models loaded, consumer groups joined), then records
when each published article first becomes searchable and samples every process's resident
memory once a second (peak = the maximum of the samples).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.isolation import drop_isolated, isolated  # noqa: E402

from newsstream.roles import settings_env  # noqa: E402
from newsstream.settings import Settings  # noqa: E402
from newsstream.stack import manager  # noqa: E402
from newsstream.store import make_es  # noqa: E402
from newsstream.topics import LagReader, admin_client, records_to_end  # noqa: E402


def run_settings(tag: str, feed_url: str, **overrides: Any) -> Settings:
    """Settings for one benchmark run: its own topics, groups, aliases, state and ports."""
    base = Settings(allowed_private_networks=["127.0.0.1/32"], log_format="json")
    values: dict[str, Any] = {
        "feeds": [feed_url],
        "allowed_hosts": [],
        "poll_interval_s": 1.0,
        "poll_max_interval_s": 2.0,
        "metrics_port_poller": 19101,
        "metrics_port_extractor": 19102,
        "metrics_port_indexer": 19103,
    }
    values.update(overrides)
    return isolated(base, tag, Path(f"/tmp/newsstream-bench/{tag}"), partitions=6, **values)


@dataclass
class Run:
    """A running ``newsstream run`` and what is measured about it from outside."""

    settings: Settings
    proc: subprocess.Popen[bytes]
    log: Path
    seen: dict[str, float] = field(default_factory=dict)
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    #: CPU seconds (user + system) of each role and JVM, sampled with the memory.
    cpu: dict[str, list[float]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    began: float = field(default_factory=time.monotonic)
    threads: list[threading.Thread] = field(default_factory=list)

    def children(self) -> list[tuple[str, psutil.Process]]:
        try:
            kids = psutil.Process(self.proc.pid).children()
        except psutil.NoSuchProcess:
            return []
        out = []
        for kid in kids:
            try:
                cmd = kid.cmdline()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if len(cmd) >= 4 and cmd[1:3] == ["-m", "newsstream"]:
                out.append((cmd[3], kid))
        return out

    def terminate(self, timeout: float = 120.0) -> int:
        self.stop.set()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def start_run(settings: Settings, *, extractors: int = 2, **env_overrides: Any) -> Run:
    """``newsstream run`` (continuous) with exactly ``settings``, logging to a file."""
    log = settings.state_dir / "run.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsstream", "run", "--no-status",
             "--extractors", str(extractors)],
            env=settings_env(settings, **env_overrides),
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    run = Run(settings, proc, log)
    for target in (_sample_rss, _watch_searchable):
        thread = threading.Thread(target=target, args=(run,), daemon=True)
        thread.start()
        run.threads.append(thread)
    return run


def wait_ready(run: Run, extractors: int, timeout: float = 300.0) -> None:
    """Until every extractor and the indexer hold partitions (models loaded, groups joined)."""
    s = run.settings
    deadline = time.monotonic() + timeout
    admin = admin_client(s)
    try:
        while time.monotonic() < deadline:
            if run.proc.poll() is not None:
                raise SystemExit(f"newsstream run exited early; see {run.log}")
            groups = admin.describe_groups([s.extractor_group, s.indexer_group])
            members = {g: len(v.get("members", [])) for g, v in groups.items()}
            stable = all(v.get("group_state") == "Stable" for v in groups.values())
            if (
                stable
                and members.get(s.extractor_group) == extractors
                and members.get(s.indexer_group) == 1
            ):
                return
            time.sleep(1.0)
    finally:
        admin.close()
    raise SystemExit(f"the pipeline was not ready within {timeout:.0f}s; see {run.log}")


def _sample_rss(run: Run) -> None:
    """Every second: the resident memory of each role and of each JVM of the local stack."""
    jvms = jvm_pids()
    while not run.stop.wait(1.0):
        now = time.monotonic() - run.began
        counts: Counter[str] = Counter()
        procs = run.children() + [
            (name, psutil.Process(pid)) for name, pid in jvms.items() if psutil.pid_exists(pid)
        ]
        for role, proc in procs:
            counts[role] += 1
            key = f"{role}-{counts[role]}" if role == "extract" else role
            try:
                rss = proc.memory_info().rss / 2**20
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            run.rss.setdefault(key, []).append((now, rss))
            run.cpu.setdefault(key, []).append(times.user + times.system)


def _watch_searchable(run: Run) -> None:
    """When each article first becomes searchable: a search every 0.2 s (wall clock).

    The search never forces a refresh: an article counts when the pipeline itself made it
    searchable (the indexer's refresh, or Elasticsearch's 1 s interval). A forced refresh ten
    times a second flattered the latency and took CPU from the pipeline on a 2-core machine.
    """
    es = make_es(run.settings).options(request_timeout=5, max_retries=0)
    alias = run.settings.articles_alias
    while not run.stop.wait(0.2):
        # Only articles not seen yet: returning every article each time made the watcher's
        # own cost grow with the run (600 hits five times a second by the end of a latency
        # run), taking Elasticsearch's CPU from the pipeline it measures.
        query = {
            "bool": {
                "filter": [{"range": {"fetched_at": {"gte": "now-10m"}}}],
                "must_not": [{"ids": {"values": list(run.seen)}}] if run.seen else [],
            }
        }
        try:
            hits = es.search(index=alias, size=10_000, query=query, source=False)["hits"]["hits"]
        except Exception:  # noqa: S112 - not created yet, or Elasticsearch is away
            continue
        now = time.time()
        for hit in hits:
            run.seen.setdefault(hit["_id"], now)


def cpu_seconds(run: Run) -> dict[str, float]:
    """CPU seconds each role and JVM used while the run was sampled (where the cores went)."""
    return {k: round(v[-1] - v[0], 1) for k, v in run.cpu.items() if v}


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far (0 once it is gone)."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


def jvm_pids() -> dict[str, int]:
    """The process id of each JVM of the local stack (``kafka``, ``elasticsearch``)."""
    return {row.name: row.pid for row in manager.status(Settings()) if row.pid}


def jvm_cpu_s(pids: dict[str, int] | None = None) -> dict[str, float]:
    """CPU seconds each JVM of the local stack has used so far: read before and after a
    phase, the difference is what the phase cost the stack."""
    return {name: process_cpu_s(pid) for name, pid in (pids or jvm_pids()).items()}


def peak_rss(run: Run) -> dict[str, float]:
    return {k: round(max(v for _, v in s), 1) for k, s in run.rss.items() if s}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def wait_committed(
    settings: Settings, group: str, topic: str, timeout: float, total: int | None = None
) -> None:
    """Until ``group`` has committed all of ``topic`` (exactly ``total`` messages, if given):
    a cheap admin request five times a second, so the wait does not compete with the roles
    for the CPU by reading their output while they run."""
    reader = LagReader(settings)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            offsets = reader.offsets(group, topic)
            if offsets is not None and offsets[0] == offsets[1] and total in (None, offsets[1]):
                return
            time.sleep(0.2)
    finally:
        reader.close()
    raise SystemExit(f"{group} did not commit all of {topic} within {timeout:.0f}s")


def first_written(settings: Settings, topic: str, timeout_s: float = 120.0) -> dict[str, float]:
    """Key -> when its first record was written to ``topic`` (the producer's timestamp, in
    wall-clock seconds): read back after a run, so it costs the pipeline nothing while it
    runs. Between two topics, it says how long a role held each article."""
    first: dict[str, float] = {}
    for record in records_to_end(settings, topic, timeout_s=timeout_s):
        if record.key is not None:
            first.setdefault(record.key.decode("utf-8", "replace"), record.timestamp / 1000)
    return first


def drop(settings: Settings) -> None:
    """Delete what one run created on the shared stack: its topics, indices and templates.

    Left behind, they piled up (469 topics, 267 indices and 266 templates on the local stack),
    and every later run measured a busier stack: a restarted Elasticsearch spent its first
    minutes recovering them.
    """
    drop_isolated(settings, settings.topic_raw.split(".")[0])
