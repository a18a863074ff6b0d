"""``newsstream stack up | down | status | kill | start``: local Kafka + Elasticsearch, no Docker.

``up`` is idempotent and returns only when every node is healthy; ``down`` stops exactly the
processes ``up`` started (by PID file, checked against the command line). The stack is one
broker and one node by default, or a cluster (``up --brokers 3 --es-nodes 2``, see
:mod:`newsstream.stack.topology`); the shape is remembered for ``status`` and ``down``.
Tests use :func:`ensure_up` and, for fault injection, :func:`stop_service` /
:func:`start_service` (a whole service) or :func:`kill_node` / :func:`start_node` (one node).
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
from newsstream.stack import artifacts, es_node, kafka_broker, topology
from newsstream.stack.process import PidFile, is_alive, kill, log_tail, rss_mb, terminate
from newsstream.stack.topology import EsNode, KafkaNode, Topology

log = logging.getLogger(__name__)

ServiceName = Literal["kafka", "elasticsearch"]
SERVICES: tuple[ServiceName, ...] = ("kafka", "elasticsearch")
Node = KafkaNode | EsNode


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
    #: "broker+controller (active controller)", "master+data", "data", ...
    role: str = ""


def nodes(settings: Settings, name: str, shape: Topology | None = None) -> list[Node]:
    """The nodes a name stands for: a service (``kafka``, ``elasticsearch``) or one node."""
    shape = shape or topology.load(settings)
    kafka: list[Node] = list(shape.kafka_nodes(settings))
    search: list[Node] = list(shape.es_node_list(settings))
    if name == "kafka":
        return kafka
    if name == "elasticsearch":
        return search
    found = [n for n in kafka + search if n.name == name]
    if not found:
        known = ", ".join(shape.node_names(settings))
        raise StackError(f"no node {name!r} in this stack (nodes: {known})")
    return found


def _pid_file(node: Node) -> PidFile:
    return kafka_broker.pid_file(node) if isinstance(node, KafkaNode) else es_node.pid_file(node)


def _healthy(settings: Settings, node: Node) -> bool:
    if isinstance(node, KafkaNode):
        return kafka_broker.healthy(settings, node)
    return es_node.healthy(node)


def _log(node: Node) -> Path:
    return kafka_broker.log_path(node) if isinstance(node, KafkaNode) else es_node.log_path(node)


def _wait(settings: Settings, node: Node, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    pids = _pid_file(node)
    while time.monotonic() < deadline:
        if _healthy(settings, node):
            return
        pid = pids.read()
        if pid is not None and not is_alive(pid):
            break  # it died: no point in waiting any longer
        time.sleep(0.5)
    raise StackError(
        f"{node.name} did not become healthy within {timeout_s:.0f}s; last log lines "
        f"({_log(node)}):\n{log_tail(_log(node))}"
    )


def _launch(settings: Settings, shape: Topology, node: Node) -> bool:
    """Start one node's process unless it already runs; True if this call started it."""
    if _pid_file(node).running_pid() is not None:
        return False
    port = node.port if isinstance(node, KafkaNode) else node.http_port
    if not isinstance(node, KafkaNode) and es_node.request(port, "/") is not None:
        raise StackError(
            f"port {port} of {node.name} is already served by a process newsstream did not "
            "start (not ours, left alone); stop it or choose another port in the settings"
        )
    paths = artifacts.install(settings)
    if isinstance(node, KafkaNode):
        kafka_broker.start(settings, shape, node, paths)
    else:
        es_node.start(settings, shape, node, paths, timeout_s=settings.stack_start_timeout_s)
    return True


def start_service(settings: Settings, name: str) -> bool:
    """Start every node of ``name`` (a service or one node); True if this call started any.

    All of them are launched before any is waited for: a Kafka quorum or an Elasticsearch
    cluster only becomes healthy once enough of its members run.
    """
    shape = topology.load(settings)
    targets = nodes(settings, name, shape)
    with spinner(f"starting {name} and waiting until it is healthy"):
        began = time.monotonic()
        started = [node.name for node in targets if _launch(settings, shape, node)]
        for node in targets:
            _wait(settings, node, settings.stack_start_timeout_s)
    if started:
        seconds = round(time.monotonic() - began, 1)
        log.info(f"{name} started", extra={"nodes": started, "seconds": seconds})
    return bool(started)


def start_node(settings: Settings, name: str) -> bool:
    """Start one node again (after ``kill_node``); True if it was started."""
    return start_service(settings, name)


def stop_service(settings: Settings, name: str) -> bool:
    """Stop every node of ``name`` started by us (SIGTERM); True if a process was stopped."""
    stopped = False
    for node in nodes(settings, name):
        pids = _pid_file(node)
        pid = pids.running_pid()
        if pid is None:
            pids.clear()
            continue
        if not terminate(pid, pids.marker, timeout_s=60):
            raise StackError(f"{node.name} (pid {pid}) did not stop")
        pids.clear()
        stopped = True
    return stopped


def kill_node(settings: Settings, name: str) -> bool:
    """SIGKILL one node (a crash, not a shutdown); True if it ran."""
    killed = False
    for node in nodes(settings, name):
        pids = _pid_file(node)
        pid = pids.running_pid()
        if pid is not None and kill(pid, pids.marker):
            killed = True
            for _ in range(100):
                if not is_alive(pid):
                    break
                time.sleep(0.1)
            pids.clear()
    return killed


def up(settings: Settings, shape: Topology | None = None) -> list[str]:
    """Bring every node up (installing on first use); the names this call started.

    With ``shape`` the stack takes that shape; without, the shape it had last time.
    """
    current = topology.load(settings)
    shape = shape or current
    shape.validate()
    if shape != current and any(_pid_file(n).running_pid() for n in _all_nodes(settings, current)):
        raise StackError(
            f"the stack runs as {current.brokers} broker(s) and {current.es_nodes} Elasticsearch "
            "node(s); `newsstream stack down` first, then `stack up` with the new shape"
        )
    topology.save(settings, shape)
    artifacts.install(settings)
    started: list[str] = []
    for name in SERVICES:
        before = {n.name for n in nodes(settings, name, shape) if _pid_file(n).running_pid()}
        start_service(settings, name)
        started += [n.name for n in nodes(settings, name, shape) if n.name not in before]
    from newsstream.topics import ensure_topics

    ensure_topics(settings.model_copy(update={"kafka_bootstrap": shape.bootstrap(settings)}))
    return started


def _all_nodes(settings: Settings, shape: Topology) -> list[Node]:
    return [*shape.kafka_nodes(settings), *shape.es_node_list(settings)]


def ensure_up(settings: Settings) -> list[str]:
    """Like :func:`up`, for tests and benchmarks: the nodes that this call had to start."""
    return up(settings)


def down(settings: Settings) -> list[str]:
    """Stop what ``up`` started, Elasticsearch first; the names of the nodes stopped."""
    shape = topology.load(settings)
    stopped: list[str] = []
    order: list[Node] = [*shape.es_node_list(settings), *shape.kafka_nodes(settings)]
    for node in order:
        if stop_service(settings, node.name):
            stopped.append(node.name)
    return stopped


def status(settings: Settings) -> list[ServiceStatus]:
    shape = topology.load(settings)
    controller = _active_controller(settings, shape)
    rows = []
    for node in _all_nodes(settings, shape):
        pid = _pid_file(node).running_pid()
        rss = rss_mb(pid) if pid else None
        if isinstance(node, KafkaNode):
            version, port, heap = artifacts.KAFKA_VERSION, node.port, settings.kafka_heap_mb
            role = "broker+controller" + (
                " (active controller)" if node.node_id == controller else ""
            )
        else:
            version, port, heap = (
                artifacts.ELASTICSEARCH_VERSION,
                node.http_port,
                settings.es_heap_mb,
            )
            role = ("master+data" if node.master else "data") + _es_health(node, pid)
        rows.append(
            ServiceStatus(
                name=_service_name(node, shape), version=version, port=port, pid=pid,
                healthy=pid is not None and _healthy(settings, node),
                rss_mb=round(rss, 1) if rss is not None else None,
                heap_mb=heap, log=str(_log(node)), role=role,
            )
        )  # fmt: skip
    return rows


def _service_name(node: Node, shape: Topology) -> str:
    """``kafka``/``elasticsearch`` for the single-node stack (as always), else the node name."""
    if shape.cluster:
        return node.name
    return "kafka" if isinstance(node, KafkaNode) else "elasticsearch"


def _es_health(node: EsNode, pid: int | None) -> str:
    health = es_node.cluster_health(node) if pid else None
    return f", cluster {health.get('status')}" if health else ""


def _active_controller(settings: Settings, shape: Topology) -> int | None:
    """The KRaft quorum's leader (the active controller), from any broker that answers."""
    from newsstream.topics import metadata_quorum_leader

    return metadata_quorum_leader(
        settings.model_copy(update={"kafka_bootstrap": shape.bootstrap(settings)})
    )


def status_dicts(settings: Settings) -> list[dict[str, object]]:
    return [asdict(s) for s in status(settings)]
