"""``newsstream stack up | down | status``: the local Kafka + Elasticsearch without Docker.

``up`` is idempotent and returns only when both services are healthy; ``down`` stops exactly
the processes ``up`` started (by PID file, checked against the command line). Tests use
:func:`ensure_up` and, for fault injection, :func:`stop_service` / :func:`start_service`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from newsstream.errors import StackError
from newsstream.progress import spinner
from newsstream.settings import Settings
from newsstream.stack import artifacts, es_node, kafka_broker
from newsstream.stack.process import PidFile, is_alive, log_tail, rss_mb, terminate

log = logging.getLogger(__name__)

ServiceName = Literal["kafka", "elasticsearch"]
SERVICES: tuple[ServiceName, ...] = ("kafka", "elasticsearch")


@dataclass
class ServiceStatus:
    name: str
    version: str
    port: int
    pid: int | None
    healthy: bool
    rss_mb: float | None
    heap_mb: int
    log: str


def _pid_file(settings: Settings, name: ServiceName) -> PidFile:
    return kafka_broker.pid_file(settings) if name == "kafka" else es_node.pid_file(settings)


def _healthy(settings: Settings, name: ServiceName) -> bool:
    return kafka_broker.healthy(settings) if name == "kafka" else es_node.healthy(settings)


def _log(settings: Settings, name: ServiceName) -> Path:
    return kafka_broker.log_path(settings) if name == "kafka" else es_node.log_path(settings)


def _wait(settings: Settings, name: ServiceName, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    pids = _pid_file(settings, name)
    while time.monotonic() < deadline:
        if _healthy(settings, name):
            return
        pid = pids.read()
        if pid is not None and not is_alive(pid):
            break  # it died: no point in waiting any longer
        time.sleep(0.5)
    raise StackError(
        f"{name} did not become healthy within {timeout_s:.0f}s; last log lines "
        f"({_log(settings, name)}):\n{log_tail(_log(settings, name))}"
    )


def start_service(settings: Settings, name: ServiceName) -> bool:
    """Start one service unless it already runs; True if this call started it."""
    if _pid_file(settings, name).running_pid() is not None:
        _wait(settings, name, settings.stack_start_timeout_s)
        return False
    if _healthy(settings, name):
        raise StackError(
            f"port of {name} is already served by a process newsstream did not start "
            f"(not ours, left alone); stop it or choose another port in the settings"
        )
    paths = artifacts.install(settings)
    started = time.monotonic()
    with spinner(f"starting {name} and waiting until it is healthy"):
        if name == "kafka":
            kafka_broker.start(settings, paths)
        else:
            es_node.start(settings, paths, timeout_s=settings.stack_start_timeout_s)
        _wait(settings, name, settings.stack_start_timeout_s)
    log.info(f"{name} started", extra={"seconds": round(time.monotonic() - started, 1)})
    return True


def stop_service(settings: Settings, name: ServiceName) -> bool:
    """Stop one service started by us; True if a process was stopped."""
    pids = _pid_file(settings, name)
    pid = pids.running_pid()
    if pid is None:
        pids.clear()
        return False
    if not terminate(pid, pids.marker, timeout_s=60):
        raise StackError(f"{name} (pid {pid}) did not stop")
    pids.clear()
    return True


def up(settings: Settings) -> list[str]:
    """Bring both services up (installing them on first use); the names this call started."""
    artifacts.install(settings)
    started: list[str] = []
    for name in SERVICES:
        if start_service(settings, name):
            started.append(name)
    from newsstream.topics import ensure_topics

    ensure_topics(settings)
    return started


def ensure_up(settings: Settings) -> list[str]:
    """Like :func:`up`, for tests and benchmarks: the services that this call had to start."""
    return up(settings)


def down(settings: Settings) -> list[str]:
    """Stop what ``up`` started, Elasticsearch first; the names that were stopped."""
    return [name for name in reversed(SERVICES) if stop_service(settings, name)]


def status(settings: Settings) -> list[ServiceStatus]:
    result = []
    versions: dict[str, tuple[str, int, int]] = {
        "kafka": (artifacts.KAFKA_VERSION, settings.kafka_port, settings.kafka_heap_mb),
        "elasticsearch": (artifacts.ELASTICSEARCH_VERSION, settings.es_port, settings.es_heap_mb),
    }
    for name in SERVICES:
        version, port, heap = versions[name]
        pid = _pid_file(settings, name).running_pid()
        rss = rss_mb(pid) if pid else None
        result.append(
            ServiceStatus(
                name=name,
                version=version,
                port=port,
                pid=pid,
                healthy=_healthy(settings, name),
                rss_mb=round(rss, 1) if rss is not None else None,
                heap_mb=heap,
                log=str(_log(settings, name)),
            )
        )
    return result


def status_dicts(settings: Settings) -> list[dict[str, object]]:
    return [asdict(s) for s in status(settings)]
