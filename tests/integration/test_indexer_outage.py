"""Elasticsearch stopped in the middle of a run and started again: nothing lost, nothing twice.

This stops the shared local Elasticsearch for a while, so it is marked ``slow``; run it on its
own: ``.venv/bin/pytest -m integration tests/integration/test_indexer_outage.py``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from tests.support.samples import enriched_from_gold
from tests.support.shared import seed_gold, seed_text

from newsstream.bus import make_producer
from newsstream.indexer.service import IndexerStats, run_indexer_with_stats
from newsstream.messages import article_id_for
from newsstream.settings import Settings
from newsstream.stack.manager import start_service, stop_service
from newsstream.topics import LagReader

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ARTICLES = 40


def _articles(numbers: range) -> list[Any]:

    body, gold = seed_text(), seed_gold()
    return [
        enriched_from_gold(body, gold, url=f"https://www.br.de/nachrichten/outage-{n},X{n}")
        for n in numbers
    ]


def _send(settings: Settings, numbers: range) -> None:
    producer = make_producer(settings)
    try:
        for article in _articles(numbers):
            producer.send(
                settings.topic_enriched, key=article.article_id.encode(), value=article.to_bytes()
            )
        producer.flush(timeout=30)
    finally:
        producer.close()


def _count(es: Elasticsearch, index: str) -> int:
    es.indices.refresh(index=index)
    return int(es.count(index=index)["count"])


def _wait_for(predicate: Any, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: S110 - Elasticsearch may still be starting
            pass
        time.sleep(1.0)
    return False


def _retries() -> float:
    """Back-off waits of the indexer in this process (its Prometheus counter)."""
    from newsstream.indexer import metrics

    return sum(
        sample.value
        for family in metrics.RETRIES.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
    )


def _count_when_up(es: Elasticsearch, settings: Settings) -> int | None:
    try:
        return _count(es, settings.articles_alias)
    except Exception:
        return None


def test_indexer_outage_pauses_and_resumes_exactly_once(
    stack: Settings, ns_settings: Settings, es: Elasticsearch
) -> None:
    """``stack`` (not ``ns_settings``) names the shared services' state dir for stop/start."""
    settings = ns_settings.model_copy(update={"index_bulk_max_wait_s": 0.2})
    stop = threading.Event()
    result: list[IndexerStats] = []
    worker = threading.Thread(
        target=lambda: result.append(run_indexer_with_stats(settings, stop_event=stop)),
        daemon=True,
    )
    half = ARTICLES // 2
    _send(settings, range(half))
    worker.start()
    try:
        assert _wait_for(lambda: _count(es, settings.articles_alias) == half, 60)
        stop_service(stack, "elasticsearch")
        _send(settings, range(half, ARTICLES))  # arrives while Elasticsearch is down
        retries_before = _retries()
        # the indexer met the outage and is backing off, committing nothing
        assert _wait_for(lambda: _retries() > retries_before, 60)
        assert worker.is_alive()
        assert _count_when_up(es, settings) is None  # still down
        start_service(stack, "elasticsearch")
        assert _wait_for(lambda: _count(es, settings.articles_alias) == ARTICLES, 180)
        assert _wait_for(lambda: _count(es, settings.quotes_alias) == ARTICLES * 8, 60)
    finally:
        stop.set()
        worker.join(timeout=60)
        start_service(stack, "elasticsearch")  # never leave the shared stack down
    assert not worker.is_alive()
    assert result and result[0].retries > 0  # it did wait for Elasticsearch
    assert result[0].dead_letters == 0

    ids = [
        hit["_id"]
        for hit in es.search(index=settings.articles_alias, size=1000, source=False)["hits"]["hits"]
    ]
    expected = [
        article_id_for(f"https://www.br.de/nachrichten/outage-{n},X{n}") for n in range(ARTICLES)
    ]
    assert sorted(ids) == sorted(expected)  # each exactly once (a list, not a set)
    # every message committed: the group's committed offsets reach the end of every partition
    # (read through the admin API; one read of a fresh group consumer was seen to answer
    # "nothing committed" while the offsets were there, so the read is retried, the claim not)
    reader = LagReader(settings)
    try:
        assert _wait_for(
            lambda: reader.lag(settings.indexer_group, settings.topic_enriched) == 0, 30
        )
        committed, total = reader.offsets(settings.indexer_group, settings.topic_enriched) or (
            0,
            -1,
        )
        assert committed == total == ARTICLES
    finally:
        reader.close()
