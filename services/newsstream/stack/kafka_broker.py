"""The local Kafka broker: single combined broker/controller in KRaft mode on 127.0.0.1."""

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
from newsstream.topics import broker_answers

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


def state_dir(settings: Settings) -> Path:
    return settings.state_dir / "kafka"


def pid_file(settings: Settings) -> PidFile:
    config = state_dir(settings) / "server.properties"
    return PidFile(state_dir(settings) / "kafka.pid", marker=str(config))


def log_path(settings: Settings) -> Path:
    return state_dir(settings) / "logs" / "server.log"


def server_properties(settings: Settings) -> str:
    port = settings.kafka_port
    controller_port = port + 1
    data = state_dir(settings) / "data"
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={data}",
            # newsstream creates its topics explicitly, with partitions and compaction.
            "auto.create.topics.enable=false",
            # the same limit everywhere (bus.MAX_MESSAGE_BYTES); the broker default is 1 MiB
            f"message.max.bytes={MAX_MESSAGE_BYTES}",
            f"replica.fetch.max.bytes={MAX_MESSAGE_BYTES}",
            "num.partitions=1",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=10",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            # One machine, many short-lived test consumer groups: no rebalance delay.
            "group.initial.rebalance.delay.ms=0",
            "log.cleaner.enable=true",
            "delete.topic.enable=true",
            "",
        ]
    )


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")


def prepare(settings: Settings, paths: StackPaths) -> Path:
    """Write the config and format the storage once (KRaft needs a formatted log dir)."""
    root = state_dir(settings)
    (root / "logs").mkdir(parents=True, exist_ok=True)
    config = root / "server.properties"
    config.write_text(server_properties(settings))
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
            _cluster_id(),
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


def start(settings: Settings, paths: StackPaths) -> int:
    config = prepare(settings, paths)
    root = state_dir(settings)
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
    pid_file(settings).write(proc.pid)
    return proc.pid


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def healthy(settings: Settings) -> bool:
    """True when the broker answers metadata requests.

    A plain TCP connect comes first: kafka-python's admin client spends half a minute (and
    many log lines) trying to bootstrap from a port nobody listens on.
    """
    if not _port_open(settings.kafka_port):
        return False
    local = settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{settings.kafka_port}"})
    return broker_answers(local)
