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

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.live import Live
from rich.table import Table

from newsstream.bus import LagReader
from newsstream.errors import RunFailedError
from newsstream.reach import require_elasticsearch, require_kafka
from newsstream.settings import Settings
from newsstream.watchdog import STALL_EXIT_CODE

log = logging.getLogger(__name__)

#: How long a role may take to finish its batch and commit after SIGTERM.
STOP_GRACE_S = 60.0
#: A role that dies is restarted after this delay (doubling up to a minute).
RESTART_BACKOFF_S = 2.0
#: A role that exits this soon after its start "could not start"; with ``--until-idle`` the
#: run gives up after that happened this many times in a row (continuous runs keep trying).
START_GRACE_S = 30.0
MAX_FAILED_STARTS = 3


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
    #: The role's own log file (stdout and stderr, JSON lines); the table says where.
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    #: Exits of the watchdog (a stalled, unassigned or spinning consumer), all restarted.
    stalls: int = 0
    #: Exits in a row that came soon after a start (a role that cannot start).
    failed_starts: int = 0
    stopping: bool = False
    next_start: float = 0.0
    started_at: float = 0.0
    exit_code: int | None = None
    history: list[tuple[float, float]] = field(default_factory=list)
    #: Last figures read from the role's /metrics (kept when it has stopped answering).
    figures: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        cmd = [sys.executable, "-m", "newsstream", *self.argv]
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("ab") as out:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                out.write(f"--- {stamp} newsstream {' '.join(self.argv)}\n".encode())
                self.proc = subprocess.Popen(
                    cmd, env=self.env, start_new_session=True, stdout=out, stderr=out
                )
        else:
            self.proc = subprocess.Popen(cmd, env=self.env, start_new_session=True)
        self.exit_code = None
        self.started_at = time.monotonic()
        log.info("role started", extra={"role": self.name, "pid": self.proc.pid})

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        self.stopping = True
        if self.running and self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)

    def last_error(self) -> str:
        """The role's latest warning or error, from the end of its log ("" if none)."""
        return last_problem(self.log_path) if self.log_path is not None else ""


#: How much of a role's log is read to find its latest problem.
_TAIL_BYTES = 64 * 1024
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b.*")


def last_problem(path: Path) -> str:
    """The newest problem line of a JSON-lines log: a warning/error, our one-line error, or the
    last line of a traceback. Plain text, at most 200 characters."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - _TAIL_BYTES))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        text = line.strip()
        if text.startswith("newsstream: ") or _EXCEPTION_LINE.match(text):
            return text.removeprefix("newsstream: ")[:200]
        if text.startswith("{"):
            try:
                record = json.loads(text)
            except ValueError:
                continue
            if record.get("level") in ("WARNING", "ERROR", "CRITICAL"):
                detail = record.get("error") or record.get("kind") or record.get("reason") or ""
                message = str(record.get("message", ""))
                return (f"{message}: {detail}" if detail else message)[:200]
    return ""


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
    for secret in ("es_password", "es_api_key", "es_admin_password", "kibana_system_password"):
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
        # Children write JSON lines to their own files: readable with jq, parseable for the table.
        role.env = settings_env(settings, log_format="json", **{port_setting: role.metrics_port})
        role.log_path = run_logs_dir(settings) / f"{role.name}.log"
    return roles


def run_logs_dir(settings: Settings) -> Path:
    """Where ``newsstream run`` keeps one log file per role."""
    return settings.state_dir / "logs" / "run"


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
        if role.stopping:
            if code not in (0, -signal.SIGTERM):
                self._fail(role, f"exit code {code} while stopping")
            return
        if self.until_idle and role.stage == "poller":
            role.stopping = True  # `poll --once` has done its one round, well or not
            if code != 0:
                self._fail(role, f"exit code {code}")
            return
        # An unexpected exit: restart with back-off; nothing is lost, offsets were not committed.
        if code == STALL_EXIT_CODE:
            role.stalls += 1
        quick = now - role.started_at < START_GRACE_S and code != STALL_EXIT_CODE
        role.failed_starts = role.failed_starts + 1 if quick else 0
        if self.until_idle and role.failed_starts >= MAX_FAILED_STARTS:
            role.stopping = True
            self._fail(role, f"could not start ({role.failed_starts} tries, exit code {code})")
            self.stop.set()
            return
        role.restarts += 1
        delay = min(60.0, RESTART_BACKOFF_S * 2 ** min(role.restarts, 5))
        role.next_start = now + delay
        role.proc = None
        log.warning(
            "role died; restarting",
            extra={"role": role.name, "code": code, "delay_s": delay, "error": role.last_error()},
        )

    def _fail(self, role: Role, how: str) -> None:
        """Record why ``role`` failed the run: the exit and the role's own last problem."""
        reason = role.last_error() or "no error in its log"
        self.failed.append(f"{role.name}: {how}: {reason} (log: {role.log_path})")

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
        from rich.markup import escape

        mode = "until idle" if self.until_idle else "continuous"
        table = Table(
            title=f"newsstream run ({mode}) - Ctrl-C stops every part cleanly",
            caption=f"each role logs to {run_logs_dir(self.settings)}/<role>.log",
        )
        columns = ("role", "pid", "state", "processed", "per s", "lag", "errors", "restarts")
        for column in columns:
            table.add_column(column, justify="right" if column != "role" else "left")
        table.add_column("last problem", overflow="fold", max_width=60)
        now = time.monotonic()
        for role in self.roles:
            processed, errors = role_figures(role)
            role.history = [*role.history[-9:], (now, processed)]
            first_t, first_n = role.history[0]
            rate = (processed - first_n) / (now - first_t) if now > first_t else 0.0
            lag = {"extractor": self.lags["raw"], "indexer": self.lags["enriched"]}.get(role.stage)
            table.add_row(
                role.name,
                str(role.proc.pid if role.proc else "-"),
                _state(role),
                f"{processed:.0f}",
                f"{rate:.1f}",
                "-" if lag is None else str(lag),
                f"{errors:.0f}",
                str(role.restarts),
                escape(role.last_error()),
            )
        return table


def _state(role: Role) -> str:
    if role.running:
        return "running"
    if role.stopping:
        return "stopped" if role.exit_code in (0, -signal.SIGTERM, None) else "failed"
    return "restarting"


def run_pipeline(
    settings: Settings,
    *,
    until_idle: bool = False,
    extractors: int | None = None,
    live: bool = True,
    stop_event: threading.Event | None = None,
) -> int:
    """Run every role until stopped (or drained, with ``until_idle``); 0 if all ended well.

    Kafka and Elasticsearch are checked first: without them no role could start, and the
    user should read why at once instead of watching roles restart.
    """
    require_kafka(settings)
    require_elasticsearch(settings)
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
    live = live and console.is_terminal
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
        raise RunFailedError("; ".join(supervisor.failed))
    return 0


def _install_signal_handlers(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
