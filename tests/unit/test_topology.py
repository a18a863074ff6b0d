"""The local stack's shapes: the single-node layout stays as it was; a cluster is consistent."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsstream.settings import Settings
from newsstream.stack.es_node import elasticsearch_yml
from newsstream.stack.kafka_broker import server_properties
from newsstream.stack.topology import Topology
from newsstream.topics import replicas_for, replication_for


def _settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, state_dir=tmp_path)  # type: ignore[call-arg]


def test_single_node_keeps_its_old_directories_and_ports(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    single = Topology()
    (kafka,) = single.kafka_nodes(settings)
    (es,) = single.es_node_list(settings)
    assert (kafka.port, kafka.controller_port, kafka.state_dir) == (9092, 9093, tmp_path / "kafka")
    assert (es.http_port, es.transport_port, es.state_dir) == (
        9200,
        9300,
        tmp_path / "elasticsearch",
    )
    props = server_properties(settings, single, kafka)
    assert "controller.quorum.voters=1@127.0.0.1:9093" in props
    assert "offsets.topic.replication.factor=1" in props and "min.insync.replicas=1" in props
    assert "discovery.type: single-node" in elasticsearch_yml(settings, single, es)


def test_cluster_of_three_brokers_is_one_quorum_with_replication_three(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    cluster = Topology(brokers=3, es_nodes=2)
    brokers = cluster.kafka_nodes(settings)
    assert [b.port for b in brokers] == [9092, 9094, 9096]
    assert len({b.state_dir for b in brokers}) == 3
    assert all(b.state_dir.parent == tmp_path / "cluster" for b in brokers)
    voters = "1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097"
    for broker in brokers:
        props = server_properties(settings, cluster, broker)
        assert f"node.id={broker.node_id}" in props
        assert f"controller.quorum.voters={voters}" in props
        assert "default.replication.factor=3" in props and "min.insync.replicas=2" in props
        assert "offsets.topic.replication.factor=3" in props
    assert cluster.bootstrap(settings) == "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"


def test_two_elasticsearch_nodes_have_one_master_so_the_data_node_may_go(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    cluster = Topology(brokers=3, es_nodes=2)
    first, second = cluster.es_node_list(settings)
    assert (first.http_port, second.http_port) == (9200, 9201)
    one, two = (elasticsearch_yml(settings, cluster, n) for n in (first, second))
    assert "node.roles: [master, data, ingest]" in one and "node.roles: [data, ingest]" in two
    for text in (one, two):
        assert "discovery.seed_hosts: [127.0.0.1:9300, 127.0.0.1:9301]" in text
        assert "cluster.initial_master_nodes: [newsstream-1]" in text
        assert "single-node" not in text
    assert cluster.es_url(settings) == "http://127.0.0.1:9200,http://127.0.0.1:9201"


def test_replication_follows_the_number_of_brokers_and_nodes() -> None:
    assert replication_for(1) == (1, 1)
    assert replication_for(2) == (2, 1)
    assert replication_for(3) == (3, 2)
    assert replication_for(5) == (3, 2)
    assert (replicas_for(1), replicas_for(2)) == (0, 1)


def test_topology_limits() -> None:
    with pytest.raises(ValueError):
        Topology(brokers=0).validate()
    with pytest.raises(ValueError):
        Topology(es_nodes=9).validate()
