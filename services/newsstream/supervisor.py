"""``newsstream run``: poller, extractors and indexer as separate processes on one machine.

Each role runs in its own process (so extraction really uses every core), started with
exactly this process's settings. The supervisor restarts a role that dies, shows a live
status view (per-stage counts, rates, consumer lag, errors from each role's ``/metrics``),
and on Ctrl-C/SIGTERM asks every role to finish its batch, commit and exit.

With ``until_idle`` it drains instead: the poller polls once; the extractors are stopped when
the raw topic has no lag left for ``idle_seconds`` after the poller finished, then the indexer
when the enriched topic is drained too. Lag is read from the committed offsets of the
consumer groups, so "drained" means "committed", not merely "seen".
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.errors import KafkaError
from kafka.structs import TopicPartition
from pydantic import SecretStr
from rich.console import Console
from rich.live import Live
from rich.table import Table

from newsstream.bus import bootstrap_servers
from newsstream.settings import Settings

log = logging.getLogger(__name__)

#: How long a role may take to finish its batch and commit after SIGTERM.
STOP_GRACE_S = 60.0
#: A role that dies is restarted after this delay (doubling up to a minute).
RESTART_BACKOFF_S = 2.0


@dataclass(frozen=True)
class Stage:
    """How to read a role's progress from its Prometheus metrics."""

    processed: tuple[tuple[str, dict[str, str]], ...]
    errors: tuple[str, ...]


STAGES: dict[str, Stage] = {
    "poller": Stage(
        processed=(
            ("newsstream_poller_articles_total", {"outcome": "new"}),
            ("newsstream_poller_articles_total", {"outcome": "updated"}),
        ),
        errors=("newsstream_poller_errors_total",),
    ),
    "extractor": Stage(
        processed=(("newsstream_extractor_articles_total", {}),),
        errors=("newsstream_extractor_dead_letters_total",),
    ),
    "indexer": Stage(
        processed=(("newsstream_indexer_messages_total", {}),),
        errors=("newsstream_indexer_dead_letters_total", "newsstream_indexer_retries_total"),
    ),
}


@dataclass
class Role:
    name: str
    stage: str
    argv: list[str]
    metrics_port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    stopping: bool = False
    next_start: float = 0.0
    exit_code: int | None = None
    history: list[tuple[float, float]] = field(default_factory=list)
    #: Last figures read from the role's /metrics (kept when it has stopped answering).
    figures: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        cmd = [sys.executable, "-m", "newsstream", *self.argv]
        self.proc = subprocess.Popen(cmd, env=self.env, start_new_session=True)
        self.exit_code = None
        log.info("role started", extra={"role": self.name, "pid": self.proc.pid})

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        self.stopping = True
        if self.running and self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)


def settings_env(settings: Settings, **overrides: object) -> dict[str, str]:
    """Environment that makes a child process read exactly ``settings`` (plus overrides)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSTREAM_")}
    values = settings.model_dump()
    values.update(overrides)
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, list | tuple | set | frozenset):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, Path):
            value = str(value)
        env[f"NEWSSTREAM_{name.upper()}"] = str(value)
    for secret in ("es_password", "es_api_key", "kibana_system_password"):
        raw = getattr(settings, secret)
        if raw is not None:
            env[f"NEWSSTREAM_{secret.upper()}"] = raw.get_secret_value()
    return env


def plan_roles(settings: Settings, *, until_idle: bool, extractors: int) -> list[Role]:
    poll_args = ["poll", "--once"] if until_idle else ["poll"]
    roles = [Role("poller", "poller", poll_args, settings.metrics_port_poller, {})]
    for i in range(extractors):
        port = settings.metrics_port_extractor + 10 * i if settings.metrics_port_extractor else 0
        roles.append(Role(f"extractor-{i + 1}", "extractor", ["extract"], port, {}))
    roles.append(Role("indexer", "indexer", ["index"], settings.metrics_port_indexer, {}))
    for role in roles:
        port_setting = f"metrics_port_{role.stage}"
        role.env = settings_env(settings, **{port_setting: role.metrics_port})
    return roles


class LagReader:
    """Committed-offset lag of a consumer group, with clients kept open between reads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._admin: KafkaAdminClient | None = None
        self._consumer: KafkaConsumer | None = None

    def _clients(self) -> tuple[KafkaAdminClient, KafkaConsumer]:
        if self._admin is None or self._consumer is None:
            servers = bootstrap_servers(self.settings)
            self._admin = KafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=5000)
            self._consumer = KafkaConsumer(
                bootstrap_servers=servers, request_timeout_ms=5000, enable_auto_commit=False
            )
        return self._admin, self._consumer

    def lag(self, group: str, topic: str) -> int | None:
        """Messages in ``topic`` that ``group`` has not committed yet (None if Kafka is away)."""
        try:
            admin, consumer = self._clients()
            committed = admin.list_group_offsets(group).get(group, {})
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in partitions]
            ends = consumer.end_offsets(tps)
        except (KafkaError, OSError):
            self.close()
            return None
        lag = 0
        for tp in tps:
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag += max(0, ends.get(tp, 0) - done)
        return lag

    def close(self) -> None:
        for client in (self._admin, self._consumer):
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()
        self._admin = self._consumer = None


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples of a role's /metrics endpoint by sample name ({} when it does not answer)."""
    from prometheus_client.parser import text_string_to_metric_families

    if port <= 0:
        return {}
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=1) as resp:
            text = resp.read().decode("utf-8")
    except OSError:
        return {}
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples


def _total(
    samples: dict[str, list[tuple[dict[str, str], float]]],
    name: str,
    labels: dict[str, str] | None = None,
) -> float:
    return sum(
        value
        for got, value in samples.get(name, [])
        if all(got.get(k) == v for k, v in (labels or {}).items())
    )


def role_figures(role: Role) -> tuple[float, float]:
    """(processed, errors) from the role's /metrics; the last known ones if it is silent."""
    samples = scrape(role.metrics_port)
    if samples:
        stage = STAGES[role.stage]
        processed = sum(_total(samples, name, labels) for name, labels in stage.processed)
        errors = sum(_total(samples, name) for name in stage.errors)
        role.figures = (processed, errors)
    return role.figures


class Supervisor:
    def __init__(self, settings: Settings, roles: list[Role], *, until_idle: bool) -> None:
        self.settings = settings
        self.roles = roles
        self.until_idle = until_idle
        self.stop = threading.Event()
        self.failed: list[str] = []
        self._idle_since: dict[str, float] = {}
        self.lags: dict[str, int | None] = {"raw": None, "enriched": None}
        self._lag_reader = LagReader(settings)

    # -- lifecycle ---------------------------------------------------------------------
    def start_all(self) -> None:
        for role in self.roles:
            role.start()

    def step(self) -> bool:
        """One supervision round; False when the pipeline is finished."""
        now = time.monotonic()
        s = self.settings
        self.lags["raw"] = self._lag_reader.lag(s.extractor_group, s.topic_raw)
        self.lags["enriched"] = self._lag_reader.lag(s.indexer_group, s.topic_enriched)
        for role in self.roles:
            self._watch(role, now)
        if self.stop.is_set():
            for role in self.roles:
                role.terminate()
        elif self.until_idle:
            self._drain(now)
        return not all(role.stopping and not role.running for role in self.roles)

    def _watch(self, role: Role, now: float) -> None:
        if role.proc is None or role.running:
            if role.proc is None and not role.stopping and now >= role.next_start:
                role.start()
            return
        code = role.proc.returncode
        if role.exit_code is None:
            role.exit_code = code
            log.info("role exited", extra={"role": role.name, "code": code})
        if role.stopping or (self.until_idle and role.stage == "poller" and code == 0):
            role.stopping = True
            if code not in (0, -signal.SIGTERM):
                self.failed.append(role.name)
            return
        # An unexpected exit: restart with back-off; nothing is lost, offsets were not committed.
        role.restarts += 1
        delay = min(60.0, RESTART_BACKOFF_S * 2 ** min(role.restarts, 5))
        role.next_start = now + delay
        role.proc = None
        log.warning(
            "role died; restarting", extra={"role": role.name, "code": code, "delay_s": delay}
        )

    def _drain(self, now: float) -> None:
        poller_done = all(not r.running and r.stopping for r in self.roles if r.stage == "poller")
        self._stop_stage_when_drained("extractor", "raw", poller_done, now)
        extract_done = all(not r.running for r in self.roles if r.stage == "extractor")
        self._stop_stage_when_drained("indexer", "enriched", extract_done, now)

    def _stop_stage_when_drained(
        self, stage: str, topic: str, upstream_done: bool, now: float
    ) -> None:
        roles = [r for r in self.roles if r.stage == stage and not r.stopping]
        if not roles or not upstream_done:
            return
        if self.lags[topic] == 0:
            since = self._idle_since.setdefault(stage, now)
            if now - since >= self.settings.idle_seconds:
                for role in roles:
                    role.terminate()
        else:
            self._idle_since.pop(stage, None)

    def close(self) -> None:
        self._lag_reader.close()

    def shutdown(self) -> None:
        for role in self.roles:
            role.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for role in self.roles:
            if role.proc is None:
                continue
            try:
                role.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("role did not stop in time; killing", extra={"role": role.name})
                role.proc.kill()
                role.proc.wait()

    # -- status view -----------------------------------------------------------------------
    def table(self) -> Table:
        mode = "until idle" if self.until_idle else "continuous"
        table = Table(title=f"newsstream run ({mode}) - Ctrl-C stops every part cleanly")
        for column in ("role", "pid", "state", "processed", "per s", "lag", "errors", "restarts"):
            table.add_column(column, justify="right" if column != "role" else "left")
        now = time.monotonic()
        for role in self.roles:
            processed, errors = role_figures(role)
            role.history = [*role.history[-9:], (now, processed)]
            first_t, first_n = role.history[0]
            rate = (processed - first_n) / (now - first_t) if now > first_t else 0.0
            lag = {"extractor": self.lags["raw"], "indexer": self.lags["enriched"]}.get(role.stage)
            state = "running" if role.running else ("stopped" if role.stopping else "restarting")
            table.add_row(
                role.name,
                str(role.proc.pid if role.proc else "-"),
                state,
                f"{processed:.0f}",
                f"{rate:.1f}",
                "-" if lag is None else str(lag),
                f"{errors:.0f}",
                str(role.restarts),
            )
        return table


def run_pipeline(
    settings: Settings,
    *,
    until_idle: bool = False,
    extractors: int | None = None,
    live: bool = True,
    stop_event: threading.Event | None = None,
) -> int:
    """Run every role until stopped (or drained, with ``until_idle``); 0 if all ended well."""
    count = extractors if extractors is not None else min(2, os.cpu_count() or 1)
    supervisor = Supervisor(
        settings,
        plan_roles(settings, until_idle=until_idle, extractors=count),
        until_idle=until_idle,
    )
    if stop_event is not None:
        supervisor.stop = stop_event
    _install_signal_handlers(supervisor.stop)
    supervisor.start_all()
    console = Console(stderr=True)
    try:
        with Live(console=console, auto_refresh=False, transient=False) as view:
            while supervisor.step():
                if live:
                    view.update(supervisor.table(), refresh=True)
                supervisor.stop.wait(1.0)
            if live:
                view.update(supervisor.table(), refresh=True)
    finally:
        supervisor.shutdown()
        supervisor.close()
    if supervisor.failed:
        log.error("roles failed", extra={"roles": supervisor.failed})
        return 1
    return 0


def _install_signal_handlers(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
