"""The shape of the local stack: one Kafka broker and one Elasticsearch node, or a cluster.

Pure: ports, directories, node names and roles follow from the settings and the node counts.
The single-node layout is the one newsstream always had (``kafka/`` and ``elasticsearch/``
under the state directory, ports 9092/9093 and 9200/9300), so an existing stack keeps its
data. A cluster (``stack up --brokers 3 --es-nodes 2``) lives in ``cluster/`` beside it:
KRaft metadata records its quorum, so a single-node log directory can never join a cluster.

Kafka nodes are combined broker+controller, a quorum of all of them. Of two Elasticsearch
nodes the first is master-eligible and holds data, the second holds data only: with two
master-eligible nodes, losing either would stop the cluster (no majority), so the second
node is the one a fault can take away without an outage (replicas keep every shard).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from newsstream.settings import Settings

#: Where ``stack up`` remembers the shape it brought up (``stack status``/``down`` read it).
TOPOLOGY_FILE = "stack.json"
MAX_BROKERS = 5
MAX_ES_NODES = 3


@dataclass(frozen=True)
class KafkaNode:
    """One combined Kafka broker and KRaft controller."""

    name: str
    node_id: int
    port: int
    controller_port: int
    state_dir: Path


@dataclass(frozen=True)
class EsNode:
    """One Elasticsearch node; ``master`` when it is master-eligible."""

    name: str
    node_name: str
    http_port: int
    transport_port: int
    state_dir: Path
    master: bool


@dataclass(frozen=True)
class Topology:
    """How many of each the local stack runs (1/1 is the default, single-node layout)."""

    brokers: int = 1
    es_nodes: int = 1

    @property
    def cluster(self) -> bool:
        return self.brokers > 1 or self.es_nodes > 1

    def validate(self) -> None:
        if not 1 <= self.brokers <= MAX_BROKERS:
            raise ValueError(f"--brokers must be 1..{MAX_BROKERS}, not {self.brokers}")
        if not 1 <= self.es_nodes <= MAX_ES_NODES:
            raise ValueError(f"--es-nodes must be 1..{MAX_ES_NODES}, not {self.es_nodes}")

    def kafka_nodes(self, settings: Settings) -> list[KafkaNode]:
        base = settings.kafka_port
        if not self.cluster:
            return [KafkaNode("kafka-1", 1, base, base + 1, settings.state_dir / "kafka")]
        root = settings.state_dir / "cluster"
        return [
            KafkaNode(
                f"kafka-{i}", i, base + 2 * (i - 1), base + 2 * (i - 1) + 1, root / f"kafka-{i}"
            )
            for i in range(1, self.brokers + 1)
        ]

    def es_node_list(self, settings: Settings) -> list[EsNode]:
        base = settings.es_port
        if not self.cluster:
            return [
                EsNode(
                    "es-1",
                    "newsstream-local",
                    base,
                    base + 100,
                    settings.state_dir / "elasticsearch",
                    master=True,
                )
            ]
        root = settings.state_dir / "cluster"
        return [
            EsNode(
                f"es-{j}",
                f"newsstream-{j}",
                base + j - 1,
                base + 100 + j - 1,
                root / f"es-{j}",
                master=j == 1,
            )
            for j in range(1, self.es_nodes + 1)
        ]

    def bootstrap(self, settings: Settings) -> str:
        """``NEWSSTREAM_KAFKA_BOOTSTRAP`` naming every broker (a client must survive one)."""
        return ",".join(f"127.0.0.1:{n.port}" for n in self.kafka_nodes(settings))

    def es_url(self, settings: Settings) -> str:
        """``NEWSSTREAM_ES_URL`` naming every node (the client fails over between them)."""
        return ",".join(f"http://127.0.0.1:{n.http_port}" for n in self.es_node_list(settings))

    def quorum_voters(self, settings: Settings) -> str:
        return ",".join(
            f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.kafka_nodes(settings)
        )

    def node_names(self, settings: Settings) -> list[str]:
        return [n.name for n in self.kafka_nodes(settings)] + [
            n.name for n in self.es_node_list(settings)
        ]


def load(settings: Settings) -> Topology:
    path = settings.state_dir / TOPOLOGY_FILE
    try:
        data = json.loads(path.read_text())
        return Topology(int(data.get("brokers", 1)), int(data.get("es_nodes", 1)))
    except (OSError, ValueError, TypeError):
        return Topology()


def save(settings: Settings, topology: Topology) -> None:
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    payload = {"brokers": topology.brokers, "es_nodes": topology.es_nodes}
    (settings.state_dir / TOPOLOGY_FILE).write_text(json.dumps(payload) + "\n")
