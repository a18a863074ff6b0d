"""A local Kafka node: a combined broker/controller in KRaft mode on 127.0.0.1 (one, or a
quorum of several; see :mod:`newsstream.stack.topology`)."""

from __future__ import annotations

import base64
import socket
import subprocess
import uuid
from pathlib import Path

from newsstream.bus import MAX_MESSAGE_BYTES
from newsstream.errors import StackError
from newsstream.settings import Settings
from newsstream.stack.artifacts import StackPaths, java_bin
from newsstream.stack.process import PidFile
from newsstream.stack.topology import KafkaNode, Topology
from newsstream.topics import broker_answers, replication_for

LOG4J2_CONFIG = """\
Configuration:
  name: newsstream-kafka
  Appenders:
    RollingFile:
      name: file
      fileName: "${sys:kafka.logs.dir}/server.log"
      filePattern: "${sys:kafka.logs.dir}/server.log.%i"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
      Policies:
        SizeBasedTriggeringPolicy:
          size: 20MB
      DefaultRolloverStrategy:
        max: 3
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: file
    Logger:
      - name: kafka.log.LogCleaner
        level: WARN
      - name: org.apache.kafka.storage.internals.log
        level: WARN
"""


def pid_file(node: KafkaNode) -> PidFile:
    config = node.state_dir / "server.properties"
    return PidFile(node.state_dir / "kafka.pid", marker=str(config))


def log_path(node: KafkaNode) -> Path:
    return node.state_dir / "logs" / "server.log"


def server_properties(settings: Settings, topology: Topology, node: KafkaNode) -> str:
    """The node's configuration; replication follows the number of brokers."""
    factor, min_isr = replication_for(topology.brokers)
    return "\n".join(
        [
            "process.roles=broker,controller",
            f"node.id={node.node_id}",
            f"controller.quorum.voters={topology.quorum_voters(settings)}",
            f"listeners=PLAINTEXT://127.0.0.1:{node.port},"
            f"CONTROLLER://127.0.0.1:{node.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{node.port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={node.state_dir / 'data'}",
            # newsstream creates its topics explicitly, with partitions and compaction.
            "auto.create.topics.enable=false",
            # the same limit everywhere (bus.MAX_MESSAGE_BYTES); the broker default is 1 MiB
            f"message.max.bytes={MAX_MESSAGE_BYTES}",
            f"replica.fetch.max.bytes={MAX_MESSAGE_BYTES}",
            "num.partitions=1",
            f"default.replication.factor={factor}",
            f"min.insync.replicas={min_isr}",
            f"offsets.topic.replication.factor={factor}",
            "offsets.topic.num.partitions=10",
            f"transaction.state.log.replication.factor={factor}",
            f"transaction.state.log.min.isr={min_isr}",
            f"share.coordinator.state.topic.replication.factor={factor}",
            f"share.coordinator.state.topic.min.isr={min_isr}",
            # One machine, many short-lived test consumer groups: no rebalance delay.
            "group.initial.rebalance.delay.ms=0",
            "log.cleaner.enable=true",
            "delete.topic.enable=true",
            "",
        ]
    )


def cluster_id(settings: Settings, topology: Topology) -> str:
    """One id for every node of a cluster (kept beside the nodes); a fresh one for a single."""
    if not topology.cluster:
        return _new_cluster_id()
    path = settings.state_dir / "cluster" / "kafka-cluster-id"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_new_cluster_id())
    return path.read_text().strip()


def _new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")


def prepare(settings: Settings, topology: Topology, node: KafkaNode, paths: StackPaths) -> Path:
    """Write the config and format the storage once (KRaft needs a formatted log dir)."""
    root = node.state_dir
    (root / "logs").mkdir(parents=True, exist_ok=True)
    config = root / "server.properties"
    config.write_text(server_properties(settings, topology, node))
    (root / "log4j2.yaml").write_text(LOG4J2_CONFIG)
    if not (root / "data" / "meta.properties").exists():
        cmd = [
            java_bin(settings),
            "-cp",
            f"{paths.kafka_libs}/*",
            *_log_flags(root),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id(settings, topology),
            "-c",
            str(config),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackError(f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}")
    return config


def _log_flags(root: Path) -> list[str]:
    return [
        f"-Dlog4j2.configurationFile={root / 'log4j2.yaml'}",
        f"-Dkafka.logs.dir={root / 'logs'}",
    ]


def start(settings: Settings, topology: Topology, node: KafkaNode, paths: StackPaths) -> int:
    config = prepare(settings, topology, node, paths)
    root = node.state_dir
    heap = settings.kafka_heap_mb
    cmd = [
        java_bin(settings),
        f"-Xms{min(heap, 256)}m",
        f"-Xmx{heap}m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        *_log_flags(root),
        "-cp",
        f"{paths.kafka_libs}/*",
        "kafka.Kafka",
        str(config),
    ]
    with open(root / "logs" / "stdout.log", "ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=root,
            start_new_session=True,
        )
    pid_file(node).write(proc.pid)
    return proc.pid


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def healthy(settings: Settings, node: KafkaNode) -> bool:
    """True when this broker answers metadata requests.

    A plain TCP connect comes first: kafka-python's admin client spends half a minute (and
    many log lines) trying to bootstrap from a port nobody listens on.
    """
    if not _port_open(node.port):
        return False
    local = settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{node.port}"})
    return broker_answers(local)
