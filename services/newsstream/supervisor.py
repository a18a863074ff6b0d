"""``newsstream run``: poller, extractors, indexer and alerter as processes on one machine.

Each role runs in its own process (so extraction really uses every core), started with
exactly this process's settings. The supervisor restarts a role that dies, shows a live
status view (per-stage counts, rates, consumer lag, errors from each role's ``/metrics``),
and on Ctrl-C/SIGTERM asks every role to finish its batch, commit and exit.

With ``until_idle`` it drains instead: the poller polls once; the extractors are stopped when
the raw topic has no lag left for ``idle_seconds`` after the poller finished, then the indexer
when the enriched topic is drained too, then the alerter when, after the indexer stopped,
both ``news.indexed`` (matched) and ``news.alerts`` (delivered) are drained. Lag is read from
the committed offsets of the consumer groups, so "drained" means "committed", not merely
"seen".
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time

from rich.console import Console
from rich.live import Live
from rich.table import Table

from newsstream.errors import RunFailedError
from newsstream.reach import require_elasticsearch, require_kafka
from newsstream.roles import (
    Role,
    plan_roles,
    role_figures,
    run_logs_dir,
)
from newsstream.settings import Settings
from newsstream.shutdown import stop_on_signals
from newsstream.watchdog import STALL_EXIT_CODE
from newsstream.wiring import Clients

log = logging.getLogger(__name__)

#: How long a role may take to finish its batch and commit after SIGTERM.
STOP_GRACE_S = 60.0
#: A role that dies is restarted after this delay (doubling up to a minute).
RESTART_BACKOFF_S = 2.0
#: A role that exits this soon after its start "could not start"; with ``--until-idle`` the
#: run gives up after that happened this many times in a row (continuous runs keep trying).
START_GRACE_S = 30.0
MAX_FAILED_STARTS = 3


class Supervisor:
    def __init__(self, settings: Settings, roles: list[Role], *, until_idle: bool) -> None:
        self.settings = settings
        self.roles = roles
        self.until_idle = until_idle
        self.stop = threading.Event()
        self.failed: list[str] = []
        self._idle_since: dict[str, float] = {}
        self.lags: dict[str, int | None] = {
            "raw": None, "enriched": None, "indexed": None, "alerts": None
        }  # fmt: skip
        self._lag_reader = Clients(settings).lag_reader()

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
        if any(role.stage == "alerter" for role in self.roles):
            self.lags["indexed"] = self._lag_reader.lag(s.alerter_group, s.topic_indexed)
            self.lags["alerts"] = self._lag_reader.lag(s.notifier_group, s.topic_alerts)
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
        index_done = all(not r.running for r in self.roles if r.stage == "indexer")
        self._stop_stage_when_drained("alerter", ("indexed", "alerts"), index_done, now)

    def _stop_stage_when_drained(
        self, stage: str, topics: str | tuple[str, ...], upstream_done: bool, now: float
    ) -> None:
        roles = [r for r in self.roles if r.stage == stage and not r.stopping]
        if not roles or not upstream_done:
            return
        names = (topics,) if isinstance(topics, str) else topics
        if all(self.lags[topic] == 0 for topic in names):
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
            lag = self._stage_lag(role.stage)
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

    def _stage_lag(self, stage: str) -> int | None:
        if stage == "alerter":
            indexed, alerts = self.lags["indexed"], self.lags["alerts"]
            return None if indexed is None or alerts is None else indexed + alerts
        return {"extractor": self.lags["raw"], "indexer": self.lags["enriched"]}.get(stage)


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
    with stop_on_signals(supervisor.stop):
        return _supervise(supervisor, live=live)


def _supervise(supervisor: Supervisor, *, live: bool) -> int:
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
