"""Shared fixtures: the real local stack (Kafka + Elasticsearch) and per-test isolation.

The ``stack`` fixture starts the project's own local stack when it is not already healthy and
stops, at the end of the session, only what it started. ``ns_settings`` gives each test its
own topics, consumer groups, index aliases and state directory, so tests never see each
other's data and can run against one long-lived stack.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from tests.support.isolation import drop_isolated, isolated
from tests.support.shared import seed_gold, seed_text

from newsstream.settings import Settings
from newsstream.store import make_es

with contextlib.suppress(ImportError):  # the poller's feed server, when present
    from tests.support.fixtures import feed_server  # noqa: F401


def _base_settings() -> Settings:
    return Settings(
        allowed_private_networks=["127.0.0.1/32"],
        metrics_enabled=False,
        log_format="console",
    )


@pytest.fixture(scope="session")
def stack() -> Iterator[Settings]:
    """The running local stack (started here if needed, stopped here only if started here)."""
    from newsstream.stack import manager

    settings = _base_settings()
    started = manager.ensure_up(settings)
    yield settings
    for name in reversed(started):
        manager.stop_service(settings, name)  # type: ignore[arg-type]


@pytest.fixture
def ns_settings(stack: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Settings for one test: unique topics (3 partitions), groups, aliases and state dir."""
    tag = f"t{uuid.uuid4().hex[:10]}"
    settings = isolated(stack, tag, tmp_path / "state", idle_seconds=3.0)
    yield settings
    drop_isolated(settings, tag)


@pytest.fixture
def es(ns_settings: Settings) -> Elasticsearch:
    return make_es(ns_settings)


@pytest.fixture(scope="session")
def gold() -> dict[str, object]:
    """The seed article's gold (skips with a reason when ../shared is not there)."""
    return seed_gold()


@pytest.fixture(scope="session")
def gold_text() -> str:
    return seed_text()
