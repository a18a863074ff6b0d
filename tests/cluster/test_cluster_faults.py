"""Losing a node of a cluster loses nothing: Kafka with three brokers (replication 3, two in
sync), Elasticsearch with two nodes (one replica of every shard).

Each test runs an extractor and an indexer against the cluster, loads half the articles,
injects the fault mid-stream, loads the other half, and ends with exact counts in
Elasticsearch. It prints (and records as properties) the articles in and out, the time to
recover (from the fault to the next article indexed), and the enriched messages produced
twice because of the fault, which a retry can explain (a batch at most).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from elasticsearch import Elasticsearch
from tests.e2e.helpers import count, start_cli, wait_until
from tests.e2e.test_faults import N, _exact, _load, _produced_twice, _stop

from newsstream.settings import Settings
from newsstream.stack import manager
from newsstream.store import make_es
from newsstream.topics import admin_client, metadata_quorum_leader

pytestmark = pytest.mark.cluster


def _leader_of_partition_0(settings: Settings, topic: str) -> int:
    admin = admin_client(settings)
    try:
        (described,) = admin.describe_topics([topic])
        partition = next(p for p in described["partitions"] if p["partition_index"] == 0)
        return int(partition["leader_id"])
    finally:
        admin.close()


def _run_fault(
    cluster: Settings,
    settings: Settings,
    es: Elasticsearch,
    fault: Callable[[], str],
    recover: Callable[[str], None],
    record: Callable[[str, object], None],
) -> None:
    half = N // 2
    _load(settings, 0, half)
    extractor = start_cli(settings, "extract")
    indexer = start_cli(settings, "index")
    node = ""
    try:
        assert wait_until(lambda: count(es, settings.articles_alias) >= 5, timeout=240)
        at_fault = count(es, settings.articles_alias)
        node = fault()
        began = time.monotonic()
        _load(settings, half, N)  # produced while the node is gone (acks=all, 2 in sync)
        assert wait_until(lambda: count(es, settings.articles_alias) > at_fault, timeout=300)
        recovered_s = time.monotonic() - began
        recover(node)
        assert wait_until(lambda: count(es, settings.articles_alias) >= N, timeout=300)
    finally:
        if node:
            manager.start_node(cluster, node)
        codes = [_stop(extractor), _stop(indexer)]
    assert at_fault < N, "the fault came after all the work"
    assert codes == [0, 0]
    _exact(es, settings)
    twice = _produced_twice(settings)
    print(f"\n{node}: in {N}, out {count(es, settings.articles_alias)}, "
          f"recovered in {recovered_s:.1f}s, produced twice {twice}")  # fmt: skip
    record("articles_in", N)
    record("articles_out", count(es, settings.articles_alias))
    record("recover_s", round(recovered_s, 1))
    record("produced_twice", twice)
    assert twice <= settings.extract_batch_size


def _kill_partition_leader(cluster: Settings, settings: Settings) -> str:
    node = f"kafka-{_leader_of_partition_0(settings, settings.topic_raw)}"
    assert manager.kill_node(cluster, node)
    return node


def _kill_active_controller(cluster: Settings, settings: Settings) -> str:
    leader = metadata_quorum_leader(settings)
    assert leader is not None
    node = f"kafka-{leader}"
    assert manager.kill_node(cluster, node)
    return node


def _stop_elasticsearch_data_node(cluster: Settings, settings: Settings) -> str:
    assert manager.stop_service(cluster, "es-2")
    return "es-2"


FAULTS = {
    "partition-leader-killed": _kill_partition_leader,
    "active-controller-killed": _kill_active_controller,
    "elasticsearch-data-node-stopped": _stop_elasticsearch_data_node,
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_cluster_node_lost_mid_stream_loses_nothing(
    cluster: Settings,
    cl_settings: Settings,
    record_property: Callable[[str, object], None],
    fault: str,
) -> None:
    es = make_es(cl_settings)
    _run_fault(
        cluster,
        cl_settings,
        es,
        lambda: FAULTS[fault](cluster, cl_settings),
        lambda node: manager.start_node(cluster, node),
        record_property,
    )
    if fault.startswith("elasticsearch"):
        health = es.cluster.health(wait_for_status="green", timeout="120s")
        assert health["status"] == "green"  # the returned node took its replicas back
