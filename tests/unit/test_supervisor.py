"""``newsstream run``'s supervision rules, with real child processes that fail on purpose.

The roles here are real ``python -m newsstream`` processes pointed at a closed port, so they
fail the way a role fails when its broker is missing; the lag reader is replaced because no
broker is there to ask.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import newsstream.supervisor as sup
from newsstream.errors import RunFailedError
from newsstream.roles import Role, last_problem, plan_roles, settings_env
from newsstream.settings import Settings
from newsstream.supervisor import Supervisor


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        kafka_bootstrap=f"127.0.0.1:{_closed_port()}",
        es_url=f"http://127.0.0.1:{_closed_port()}",
        state_dir=tmp_path / "state",
        metrics_enabled=False,
        idle_seconds=1.0,
    )


class _NoLag:
    """Kafka cannot tell (no broker here): never "drained", so only failures end a run."""

    def lag(self, group: str, topic: str) -> int | None:
        return None

    def close(self) -> None:
        return None


def _supervise(supervisor: Supervisor, timeout_s: float) -> None:
    supervisor._lag_reader = _NoLag()  # type: ignore[assignment]
    supervisor.start_all()
    deadline = time.monotonic() + timeout_s
    try:
        while supervisor.step():
            assert time.monotonic() < deadline, "the supervisor never finished"
            time.sleep(0.2)
    finally:
        supervisor.shutdown()


def test_last_problem_reads_json_errors_our_one_line_errors_and_tracebacks(
    tmp_path: Path,
) -> None:
    log = tmp_path / "role.log"
    ok = {"level": "INFO", "message": "fine"}
    warn = {"level": "WARNING", "message": "feed poll failed", "error": "HTTP 503"}
    log.write_text(json.dumps(ok) + "\n" + json.dumps(warn) + "\n")
    assert last_problem(log) == "feed poll failed: HTTP 503"
    with log.open("a") as f:
        f.write("newsstream: [NS012] no Kafka broker answers at x:1 - start it\n")
    assert last_problem(log).startswith("[NS012] no Kafka broker")
    with log.open("a") as f:
        f.write("Traceback (most recent call last):\n  File x\nKeyError: 'y'\n")
    assert last_problem(log) == "KeyError: 'y'"
    assert last_problem(tmp_path / "missing.log") == ""


def test_plan_gives_every_role_its_own_json_log_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    roles = plan_roles(settings, until_idle=True, extractors=2)
    paths = {role.log_path for role in roles}
    assert len(paths) == 5  # poller, 2 extractors, indexer, alerter
    assert all(p is not None and p.parent == settings.state_dir / "logs" / "run" for p in paths)
    assert all(role.env["NEWSSTREAM_LOG_FORMAT"] == "json" for role in roles)


def test_until_idle_ends_with_the_reason_when_a_role_cannot_start(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    extractor = Role("extractor-1", "extractor", ["extract"], 0, {})
    roles = [extractor]
    for role in roles:
        role.log_path = tmp_path / f"{role.name}.log"
        role.env = settings_env(settings, log_format="json")
    supervisor = Supervisor(settings, roles, until_idle=True)
    original = sup.RESTART_BACKOFF_S
    sup.RESTART_BACKOFF_S = 0.05
    try:
        _supervise(supervisor, timeout_s=90)
    finally:
        sup.RESTART_BACKOFF_S = original
    assert len(supervisor.failed) == 1
    reason = supervisor.failed[0]
    assert reason.startswith("extractor-1: could not start (3 tries")
    assert "[NS012]" in reason and str(extractor.log_path) in reason


def test_until_idle_reports_a_failed_poll_round_and_does_not_restart_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    poller = Role("poller", "poller", ["poll", "--once"], 0, {})
    poller.log_path = tmp_path / "poller.log"
    poller.env = settings_env(settings, log_format="json")
    supervisor = Supervisor(settings, [poller], until_idle=True)
    _supervise(supervisor, timeout_s=60)
    assert poller.restarts == 0
    assert supervisor.failed and supervisor.failed[0].startswith("poller: exit code 1")


def test_run_pipeline_checks_the_services_before_starting_any_role(tmp_path: Path) -> None:
    from newsstream.errors import KafkaUnavailableError
    from newsstream.supervisor import run_pipeline

    settings = _settings(tmp_path)
    stop = threading.Event()
    with pytest.raises(KafkaUnavailableError):
        run_pipeline(settings, until_idle=True, live=False, stop_event=stop)
    assert not (settings.state_dir / "logs" / "run").exists()


def test_run_failed_error_has_its_code() -> None:
    assert RunFailedError("x").code == "NS060"
    assert signal.SIGTERM  # the supervisor treats -SIGTERM as a clean stop


def test_until_idle_stops_the_alerter_only_when_both_its_topics_are_drained_after_the_indexer(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    indexer = Role("indexer", "indexer", ["index"], 0, {})
    alerter = Role("alerter", "alerter", ["alert"], 0, {})
    supervisor = Supervisor(settings, [indexer, alerter], until_idle=True)
    supervisor._lag_reader = _NoLag()  # type: ignore[assignment]
    indexer.proc = subprocess.Popen(["sleep", "30"])  # a running indexer
    try:
        supervisor.lags.update(raw=0, enriched=0, indexed=0, alerts=0)
        supervisor._drain(0.0)
        supervisor._drain(10.0)
        assert not alerter.stopping  # the indexer may still announce
    finally:
        indexer.proc.kill()
        indexer.proc.wait()
    indexer.stopping = True
    supervisor._idle_since.clear()
    supervisor.lags.update(indexed=0, alerts=2)  # alerts matched, not yet delivered
    supervisor._drain(20.0)
    supervisor._drain(30.0)
    assert not alerter.stopping
    supervisor.lags.update(alerts=0)
    supervisor._drain(31.0)
    assert not alerter.stopping  # drained, but not for idle_seconds yet
    supervisor._drain(31.0 + settings.idle_seconds)
    assert alerter.stopping
    assert supervisor._stage_lag("alerter") == 0
