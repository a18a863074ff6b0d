"""A three-broker Kafka quorum and a two-node Elasticsearch cluster, for the cluster faults.

It runs beside the ordinary local stack (its own state directory and ports: Kafka
29092/29094/29096, Elasticsearch 29200/29201) and is stopped at the end only if this session
started it. Run with ``make test-cluster`` (not part of ``make test``: it needs five JVMs and
several minutes on a 2-core machine).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.isolation import isolated

from newsstream.settings import Settings
from newsstream.stack import manager
from newsstream.stack.topology import Topology
from newsstream.topics import admin_client

CLUSTER = Topology(brokers=3, es_nodes=2)
STATE = Path("/tmp/newsstream-cluster-tests")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Settings]:
    base = Settings(
        _env_file=None,  # type: ignore[call-arg]
        state_dir=STATE,
        kafka_bootstrap="127.0.0.1:29092",
        es_url="http://127.0.0.1:29200",
        kafka_heap_mb=384,
        es_heap_mb=512,
        allowed_private_networks=["127.0.0.1/32"],
        metrics_enabled=False,
        log_format="console",
    )
    started = manager.up(base, CLUSTER)
    settings = base.model_copy(
        update={"kafka_bootstrap": CLUSTER.bootstrap(base), "es_url": CLUSTER.es_url(base)}
    )
    yield settings
    if started:
        manager.down(base)


@pytest.fixture
def cl_settings(cluster: Settings, tmp_path: Path) -> Iterator[Settings]:
    """One test's topics (3 partitions, replication 3 / min ISR 2), groups, aliases."""
    tag = f"c{uuid.uuid4().hex[:10]}"
    settings = isolated(cluster, tag, tmp_path / "state", idle_seconds=3.0)
    yield settings
    with contextlib.suppress(Exception):
        admin = admin_client(settings)
        try:
            admin.delete_topics([t for t in admin.list_topics() if t.startswith(tag)])
        finally:
            admin.close()


# child processes log to files that a failing test's report shows (as in tests/e2e)
from tests.e2e.conftest import child_logs, pytest_runtest_makereport  # noqa: E402, F401
