"""``newsstream index``: the indexer role, from its settings and clients to a clean exit.

The loop itself is :class:`~newsstream.indexer.loop.Indexer`; this module checks that Kafka
and Elasticsearch answer, installs the index templates and aliases (waiting for
Elasticsearch if it is still starting), wires the consumer, the watchdog and the dead-letter
producer, and runs the loop until stopped or idle.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from elasticsearch import Elasticsearch
from kafka import ConsumerRebalanceListener
from tenacity import Retrying, retry_if_exception

from newsstream import gctune, heap
from newsstream.bus import subscribe
from newsstream.indexer.loop import Indexer, IndexerStats, Interrupted
from newsstream.indexer.setup import ensure_indices
from newsstream.indexer.writer import BACKOFF, is_retriable_exception
from newsstream.obs import start_metrics_server
from newsstream.reach import require_elasticsearch, require_kafka
from newsstream.settings import Settings
from newsstream.shutdown import stop_on_signals
from newsstream.topics import ensure_topics
from newsstream.wiring import Clients

log = logging.getLogger(__name__)

__all__ = ["IndexerStats", "run_indexer", "run_indexer_with_stats"]


class _Joined(ConsumerRebalanceListener):
    """Notes when the group first gave this indexer partitions: the end of its setup."""

    def __init__(self) -> None:
        self.first_at: float | None = None

    def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    def on_partitions_assigned(self, assigned: Any) -> None:
        if assigned and self.first_at is None:
            self.first_at = time.perf_counter()


def _ensure_indices_waiting(es: Elasticsearch, settings: Settings, stop: threading.Event) -> bool:
    """Install templates and aliases, waiting for Elasticsearch; False if stopped first."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise Interrupted

    runner: Retrying = Retrying(
        retry=retry_if_exception(is_retriable_exception),
        wait=BACKOFF,
        sleep=sleep,
        before_sleep=lambda state: log.warning(
            "Elasticsearch not ready, retrying",
            extra={"reason": repr(state.outcome.exception() if state.outcome else None)[:300]},
        ),
        reraise=True,
    )
    try:
        runner(ensure_indices, es, settings)
    except Interrupted:
        return False
    return True


def run_indexer_with_stats(
    settings: Settings,
    *,
    until_idle: bool = False,
    stop_event: threading.Event | None = None,
    es: Elasticsearch | None = None,
    clients: Clients | None = None,
) -> IndexerStats:
    """``run_indexer``, returning what the run did (for the benchmark and tests)."""
    clients = clients or Clients(settings)
    es = es or clients.es
    with stop_on_signals(stop_event or threading.Event()) as stop:
        require_kafka(settings)
        require_elasticsearch(settings, es)
        heap.keep_big_buffers_out_of_the_heap()  # a backlog's buffers are not kept resident
        start_metrics_server(settings.metrics_port_indexer, settings.metrics_enabled)
        ensure_topics(settings)  # news.indexed, which the indexer produces to
        if not _ensure_indices_waiting(es, settings, stop):
            return IndexerStats()
        # The announcements' producer connected, and knowing its topic's partitions, before
        # the first batch: built lazily, its first send waited for both inside the loop.
        clients.producer.partitions_for(settings.topic_indexed)
        consumer = clients.consumer(settings.indexer_group)
        joined = _Joined()
        subscribe(consumer, [settings.topic_enriched], listener=joined)
        watchdog = clients.watchdog(
            consumer, "indexer", settings.indexer_group, settings.topic_enriched
        )
        indexer = Indexer(settings, consumer, es, stop, watchdog, lambda: clients.producer)
        gctune.tune_for_streaming()
        log.info(
            "indexer started",
            extra={"topic": settings.topic_enriched, "group": settings.indexer_group},
        )
        try:
            indexer.run(until_idle=until_idle)
        except Interrupted:
            log.warning("stopped while Elasticsearch was unavailable; batch left uncommitted")
        finally:
            indexer.close()
            clients.close()
        indexer.stats.assigned_at = joined.first_at
        log.info("indexer stopped", extra={"messages": indexer.stats.messages})
        return indexer.stats


def run_indexer(
    settings: Settings,
    *,
    until_idle: bool = False,
    stop_event: threading.Event | None = None,
    clients: Clients | None = None,
) -> int:
    """Index ``settings.topic_enriched`` until stopped (or idle, with ``until_idle``); exit code."""
    run_indexer_with_stats(settings, until_idle=until_idle, stop_event=stop_event, clients=clients)
    return 0
