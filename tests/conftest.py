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
from kafka import KafkaAdminClient
from tests.support.shared import seed_gold, seed_text

from newsstream.bus import bootstrap_servers
from newsstream.settings import Settings
from newsstream.store import make_es
from newsstream.topics import ALERTS, COMPACTED, DEAD_LETTER, create_topics

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
    settings = stack.model_copy(
        update={
            "topic_raw": f"{tag}.articles.raw",
            "topic_enriched": f"{tag}.articles.enriched",
            "topic_dead_letter": f"{tag}.dead-letter",
            "topic_indexed": f"{tag}.indexed",
            "topic_alerts": f"{tag}.alerts",
            "extractor_group": f"{tag}-extractor",
            "indexer_group": f"{tag}-indexer",
            "alerter_group": f"{tag}-alerter",
            "notifier_group": f"{tag}-notifier",
            "articles_alias": f"{tag}-news-articles",
            "quotes_alias": f"{tag}-news-quotes",
            "watches_alias": f"{tag}-news-watches",
            "alerts_alias": f"{tag}-news-alerts",
            "state_dir": tmp_path / "state",
            "idle_seconds": 3.0,
        }
    )
    create_topics(
        settings,
        {
            settings.topic_raw: (3, COMPACTED),
            settings.topic_enriched: (3, COMPACTED),
            settings.topic_indexed: (3, COMPACTED),
            settings.topic_alerts: (3, ALERTS),
            settings.topic_dead_letter: (1, DEAD_LETTER),
        },
    )
    yield settings
    _drop_test_resources(settings, tag)


def _drop_test_resources(settings: Settings, tag: str) -> None:
    with contextlib.suppress(Exception):
        admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(settings))
        try:
            mine = [t for t in admin.list_topics() if t.startswith(tag)]
            if mine:
                admin.delete_topics(mine)
        finally:
            admin.close()
    with contextlib.suppress(Exception):
        es = make_es(settings)
        es.indices.delete(index=f"{tag}-*", ignore_unavailable=True, allow_no_indices=True)
        templates = es.indices.get_index_template(name=f"{tag}-*")
        for item in templates.get("index_templates", []):
            es.indices.delete_index_template(name=item["name"])


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
