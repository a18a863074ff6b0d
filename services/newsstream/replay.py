"""Replaying the compacted topics: Kafka is the system of record.

* :func:`reprocess` re-extracts every article of ``news.articles.raw`` with the current model
  (after a model upgrade) into ``news.articles.enriched`` without crawling again. It reads
  with a fresh consumer group, so the live extractors' offsets are untouched; the running
  indexer picks the new results up like any other message (same revision, newer extraction).
* :func:`reindex` rebuilds Elasticsearch from ``news.articles.enriched`` into new indices and
  then swaps both aliases in one atomic call: searches never see a half-built index. A
  second pass after the swap writes whatever arrived while the first pass ran.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from newsstream import progress
from newsstream.errors import NewsstreamError
from newsstream.reach import require_elasticsearch, require_kafka
from newsstream.settings import Settings
from newsstream.topics import LagReader, delete_groups
from newsstream.wiring import Clients

log = logging.getLogger(__name__)


@dataclass
class ReindexResult:
    articles_index: str
    quotes_index: str
    old_indices: list[str]
    messages: int
    seconds: float


def _run_id() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime())


@contextmanager
def group_progress(settings: Settings, description: str, group: str, topic: str) -> Iterator[None]:
    """A bar (done of total, rate, ETA) fed from the group's committed offsets every second.

    Watching the group from outside keeps the extractor and indexer loops free of progress
    code, and "committed" is the honest measure: what a crash would not redo.
    """
    if not progress.interactive():
        yield
        return
    reader = LagReader(settings)
    finished = threading.Event()

    def watch(bar: progress.Bar) -> None:
        while not finished.wait(1.0):
            got = reader.offsets(group, topic)
            if got is not None:
                bar.update(got[0], got[1])

    with progress.bar(description, unit="messages") as bar:
        thread = threading.Thread(target=watch, args=(bar,), daemon=True)
        thread.start()
        try:
            yield
        finally:
            finished.set()
            thread.join(timeout=5)
            got = reader.offsets(group, topic)
            if got is not None:
                bar.update(got[0], got[1])
            reader.close()


def reprocess(settings: Settings, *, stop_event: threading.Event | None = None) -> int:
    """Re-extract every raw article into the enriched topic; returns the exit code.

    The run's consumer group exists only for this run and is deleted when it ends.
    """
    from newsstream.extractor.service import run_extractor

    require_kafka(settings)
    group = f"{settings.extractor_group}-reprocess-{_run_id()}"
    log.info("reprocessing the raw topic", extra={"group": group, "topic": settings.topic_raw})
    replay_settings = settings.model_copy(update={"extractor_group": group})
    try:
        with group_progress(settings, "reprocess", group, settings.topic_raw):
            return run_extractor(replay_settings, until_idle=True, stop_event=stop_event)
    finally:
        delete_groups(settings, [group])


def reindex(
    settings: Settings,
    *,
    delete_old: bool = False,
    stop_event: threading.Event | None = None,
    clients: Clients | None = None,
) -> ReindexResult:
    """Rebuild both indices from the enriched topic and swap the aliases with no downtime."""
    from newsstream.indexer.setup import swap_aliases

    began = time.monotonic()
    clients = clients or Clients(settings)
    es = clients.es
    require_kafka(settings)
    require_elasticsearch(settings, es)
    target, building = _building_indices(settings, es, f"r{_run_id()}")
    articles_index, quotes_index = building
    stop = stop_event or threading.Event()
    messages = 0
    old: list[str] = []
    try:
        for phase in ("build", "catch-up"):
            messages += _index_pass(target, clients, stop, phase)
            if stop.is_set():
                raise NewsstreamError(
                    f"reindex interrupted; aliases unchanged, {articles_index} left"
                )
            if phase == "build":
                es.indices.refresh(index=[articles_index, quotes_index])
                old = swap_aliases(
                    es, settings, articles_index, quotes_index, delete_old=delete_old
                )
        es.indices.refresh(index=[articles_index, quotes_index])
        es.indices.update_aliases(
            actions=[{"remove": {"index": i, "alias": a}} for i, a in building.items()]
        )
    finally:
        delete_groups(settings, [target.indexer_group])
        clients.close()
    return ReindexResult(articles_index, quotes_index, old, messages, time.monotonic() - began)


def _building_indices(settings: Settings, es: Any, suffix: str) -> tuple[Settings, dict[str, str]]:
    """New versioned indices with private write aliases, and settings that write to them.

    The indexer only ever writes through aliases (``require_alias``: a typo can never create
    a stray index), so the new indices get "building" aliases for the rebuild.
    """
    from newsstream.indexer.setup import create_versioned_indices

    articles_index, quotes_index = create_versioned_indices(es, settings, suffix)
    building = {
        articles_index: f"{articles_index}-building",
        quotes_index: f"{quotes_index}-building",
    }
    es.indices.update_aliases(
        actions=[
            {"add": {"index": i, "alias": a, "is_write_index": True}} for i, a in building.items()
        ]
    )
    target = settings.model_copy(
        update={
            "articles_alias": building[articles_index],
            "quotes_alias": building[quotes_index],
            "indexer_group": f"{settings.indexer_group}-reindex-{suffix}",
        }
    )
    return target, building


def _index_pass(target: Settings, clients: Clients, stop: threading.Event, phase: str) -> int:
    """One pass of the indexer over the enriched topic into the building indices."""
    from newsstream.indexer.loop import Indexer

    consumer = clients.consumer(target.indexer_group, [target.topic_enriched])
    # A rebuild makes nothing newly searchable (the old indices serve until the swap): the
    # alerter is not told about it.
    indexer = Indexer(
        target, consumer, clients.es, stop, producer=lambda: clients.producer, announce=False
    )
    try:
        with group_progress(
            target, f"reindex ({phase})", target.indexer_group, target.topic_enriched
        ):
            indexer.run(until_idle=True)
    finally:
        indexer.close()
    log.info("reindex pass done", extra={"phase": phase, "messages": indexer.stats.messages})
    return indexer.stats.messages
