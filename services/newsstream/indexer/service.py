"""The indexer: ``news.articles.enriched`` -> Elasticsearch, in bulk, without losing a message.

The loop collects records until the batch is full by count, bytes or time
(``index_bulk_max_docs`` / ``_max_bytes`` / ``_max_wait_s``, or at once when the topic is
drained), writes them in bulk, removes quote documents the current revision no longer has,
dead-letters what can never be indexed, and only then commits the offsets. The bulk writes run
on one writer thread so that reading and parsing the next batch overlaps them; at most one
batch is in flight, so Elasticsearch sees the batches in order.

While Elasticsearch is unreachable or overloaded the batch is retried with back-off and the
partitions stay paused (the consumer keeps polling so it stays in its group): an outage
pauses the indexer, it never drops or skips.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from newsstream.bus import (
    JOIN_GRACE_S,
    LAG_EVERY_S,
    LAG_UNKNOWN,
    GroupShape,
    close_quietly,
    commit_offsets,
    consumer_lag,
    make_consumer,
    make_producer,
    send_dead_letter,
)
from newsstream.indexer import metrics
from newsstream.indexer.batch import (
    Current,
    Received,
    index_ops,
    latest_per_article,
    next_offsets,
    parse_record,
    split_batch,
    stale_delete_ops,
    stale_quotes_query,
    withdraw_ops,
    withdrawn,
)
from newsstream.indexer.setup import ensure_indices
from newsstream.indexer.writer import (
    BulkWriter,
    Op,
    WriteResult,
    backoff_delays,
    is_retriable_exception,
)
from newsstream.messages import DeadLetter
from newsstream.obs import start_metrics_server
from newsstream.reach import require_elasticsearch, require_kafka
from newsstream.settings import Settings
from newsstream.store import make_es
from newsstream.watchdog import Watchdog

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Stale-quote search page size; more stale quotes than this are removed in further rounds.
STALE_PAGE = 1000


class Interrupted(Exception):
    """Shutdown was requested while waiting for Elasticsearch: the batch stays uncommitted."""


@dataclass
class IndexerStats:
    """What one run did; ``bench/index.py`` reads it."""

    messages: int = 0
    docs_written: int = 0
    docs_stale: int = 0
    stale_quotes_deleted: int = 0
    #: Articles deleted because a tombstone withdrew them.
    withdrawn: int = 0
    dead_letters: int = 0
    batches: int = 0
    #: Back-off waits (Elasticsearch or Kafka unavailable, or items to retry).
    retries: int = 0
    first_message_at: float | None = None
    last_commit_at: float | None = None


@dataclass
class _InFlight:
    """A batch whose Elasticsearch writes run on the writer thread; committed when done."""

    items: list[Received]
    latest: dict[str, Received]
    future: Future[WriteResult]


class Indexer:
    """One consumer, one Elasticsearch writer thread, at most one batch in flight."""

    def __init__(
        self,
        settings: Settings,
        consumer: KafkaConsumer,
        es: Elasticsearch,
        stop: threading.Event,
        watchdog: Watchdog | None = None,
    ) -> None:
        self.settings = settings
        self.consumer = consumer
        self.es = es
        self.stop = stop
        self.watchdog = watchdog
        self.stats = IndexerStats()
        self._producer: KafkaProducer | None = None
        self._carry: list[Received] = []
        self._inflight: _InFlight | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="es-writer")
        self._writer = BulkWriter(
            es, wait=self._sleep, on_missing_index=lambda: ensure_indices(es, settings)
        )

    # --- the loop ----------------------------------------------------------------------
    def run(self, *, until_idle: bool) -> None:
        """Fill batches from Kafka while the previous batch is being written to Elasticsearch."""
        s = self.settings
        buffer: list[Received] = []
        docs = size = 0
        batch_started = 0.0
        started = last_message = last_lag = time.monotonic()
        drained = False  # the last poll found nothing more to read: no reason to wait
        while True:
            if self.watchdog is not None:
                self.watchdog.check()
            now = time.monotonic()
            if self._inflight is not None and self._inflight.future.done():
                self._finish()  # commit as soon as Elasticsearch has the batch
            if buffer and (
                self.stop.is_set()
                or drained
                or docs >= s.index_bulk_max_docs
                or size >= s.index_bulk_max_bytes
                or now - batch_started >= s.index_bulk_max_wait_s
            ):
                batch, rest = split_batch(buffer, s.index_bulk_max_docs, s.index_bulk_max_bytes)
                self._submit(batch)
                buffer = rest + self._take_carry()
                docs, size = sum(i.docs for i in buffer), sum(i.size for i in buffer)
                batch_started = time.monotonic()
                continue
            idle = until_idle and not buffer and now - last_message >= s.idle_seconds
            if self.stop.is_set() or (
                idle and (self._caught_up() or now - started >= s.idle_seconds + JOIN_GRACE_S)
            ):
                self._finish()
                buffer = self._take_carry()
                if not buffer:
                    return
                docs, size = sum(i.docs for i in buffer), sum(i.size for i in buffer)
                continue
            if now - last_lag >= LAG_EVERY_S:
                metrics.LAG.set(self._lag())
                last_lag = now
            wait_s = s.index_bulk_max_wait_s - (now - batch_started) if buffer else 0.5
            if self._inflight is not None:
                wait_s = min(wait_s, 0.05)  # come back soon to commit the finished batch
            received = self._poll(max(0.0, min(wait_s, 0.5)), max(1, s.index_bulk_max_docs - docs))
            if received and not buffer:
                batch_started = time.monotonic()
            for item in received:
                buffer.append(item)
                docs, size = docs + item.docs, size + item.size
            if received:
                last_message = time.monotonic()
            drained = bool(buffer) and not received and self._lag() == 0

    def _take_carry(self) -> list[Received]:
        carry, self._carry = self._carry, []
        return carry

    def _caught_up(self) -> bool:
        """Every assigned partition fetched at least once and consumed to its end.

        Decided from the high watermarks that fetch responses brought back, never from a
        separate request that could fail or time out on a busy broker and look like "nothing
        left" (``--until-idle`` must not exit early).
        """
        assigned = self.consumer.assignment()
        if not assigned:
            return False
        try:
            for tp in assigned:
                highwater = self.consumer.highwater(tp)
                if highwater is None or self.consumer.position(tp) < highwater:
                    return False
        except (KafkaError, OSError):
            return False
        return True

    def _lag(self) -> int:
        """Unconsumed messages, from the high watermarks the fetches brought back (no request);
        asks the broker only while a partition has not been fetched yet."""
        total = 0
        try:
            for tp in self.consumer.assignment():
                highwater = self.consumer.highwater(tp)
                if highwater is None:
                    return consumer_lag(self.consumer)
                total += max(0, highwater - self.consumer.position(tp))
        except (KafkaError, OSError):
            return LAG_UNKNOWN  # the broker is restarting: not drained, and no crash
        return total

    def _poll(self, timeout_s: float, max_records: int | None = None) -> list[Received]:
        polled = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        items: list[Received] = []
        for records in polled.values():
            for r in records:
                items.append(parse_record(r.topic, r.partition, r.offset, r.key, r.value))
        if self.watchdog is not None:
            self.watchdog.polled(len(items))
        if items and self.stats.first_message_at is None:
            self.stats.first_message_at = time.perf_counter()
        self.stats.messages += len(items)
        return items

    # --- one batch ---------------------------------------------------------------------
    def flush(self, items: list[Received]) -> None:
        """Write one batch and commit it, without overlap (index, clean up, DLQ, commit)."""
        self._submit(items)
        self._finish()

    def _submit(self, items: list[Received]) -> None:
        """Finish the batch in flight (commit), then start writing ``items`` in the background.

        One batch at most is in flight, so Elasticsearch sees the batches strictly in order
        (a newer revision's stale-quote clean-up never overtakes an older write) while the
        main thread reads and parses the next batch from Kafka.
        """
        gone = withdrawn(items)
        latest = {aid: it for aid, it in latest_per_article(items).items() if aid not in gone}
        articles = {aid: item.article for aid, item in latest.items() if item.article is not None}
        ops = index_ops(articles.values(), self.settings)
        current = {aid: Current(a.revision, len(a.quotes)) for aid, a in articles.items()}
        self._finish()
        future = self._executor.submit(self._write, ops, current, gone)
        self._inflight = _InFlight(items, latest, future)

    def _withdraw(self, article_ids: set[str]) -> None:
        """Delete withdrawn articles (a tombstone upstream) with every quotation document."""
        alias = self.settings.quotes_alias
        hits: list[dict[str, Any]] = []
        if article_ids:
            self._retrying(lambda: self.es.indices.refresh(index=alias), self._sleep)
            response = self._retrying(
                lambda: self.es.search(
                    index=alias,
                    query={"terms": {"article_id": sorted(article_ids)}},
                    size=10_000,
                    source_includes=["article_id"],
                ),
                self._sleep,
            )
            hits = response["hits"]["hits"]
        result = self._writer.write(withdraw_ops(article_ids, hits, self.settings))
        self.stats.withdrawn += len(article_ids)
        log.info("articles withdrawn", extra={"articles": len(article_ids),
                                              "deleted_docs": result.written})  # fmt: skip

    def _write(self, ops: list[Op], current: dict[str, Current], gone: set[str]) -> WriteResult:
        """Elasticsearch side of a batch (runs on the writer thread; never touches Kafka).

        Stale quote documents are looked for only where the article document existed
        before (``updated``): a first revision has none, which keeps the common path to one
        bulk request per batch. Quote documents that an outdated revision (refused article)
        created are deleted again, versioned with that old revision.
        """
        result = self._writer.write(ops)
        if gone:
            self._withdraw(gone)
        updated = {aid: current[aid] for aid in result.updated if aid not in result.rejected}
        if updated:
            self._delete_stale_quotes(updated)
        undo = [
            Op("delete", op.index, op.doc_id, op.version, op.group, None, "quotes")
            for aid in result.outdated
            for op in result.created_quotes.get(aid, [])
        ]
        if undo:
            self.stats.stale_quotes_deleted += self._writer.write(undo).written
        return result

    def _finish(self) -> None:
        """Wait for the batch in flight, dead-letter its rejects, commit its offsets."""
        inflight, self._inflight = self._inflight, None
        if inflight is None:
            return
        result = self._await(inflight.future)
        items, latest = inflight.items, inflight.latest
        self.stats.docs_written += result.written
        self.stats.docs_stale += result.stale
        letters = [(item, item.error) for item in items if item.error is not None] + [
            (latest[aid], RejectedDocumentError(error)) for aid, error in result.rejected.items()
        ]
        for item, error in letters:
            self._dead_letter(item, error)
        self._commit(items)
        self.stats.batches += 1
        metrics.MESSAGES.labels(outcome="indexed").inc(len(items) - len(letters))
        log.info(
            "batch indexed",
            extra={
                "messages": len(items),
                "articles": len(latest),
                "written": result.written,
                "stale": result.stale,
                "dead_letters": len(letters),
            },
        )

    def _await(self, future: Future[WriteResult]) -> WriteResult:
        """The writer's result; while it is still retrying, keep the consumer in its group.

        On shutdown the writer finishes the batch if Elasticsearch is there (then it is
        committed) or gives up its back-off with ``Interrupted`` (then it is not).
        """
        while True:
            try:
                return future.result(timeout=1.0)
            except FutureTimeout:
                pass
            if self.stop.is_set():
                continue
            paused = self.consumer.assignment()
            self.consumer.pause(*paused)
            self._waiting(True)
            try:
                while not future.done() and not self.stop.is_set():
                    self._carry.extend(self._poll(0.5))
            finally:
                self._waiting(False)
                self.consumer.resume(*(tp for tp in paused if tp in self.consumer.assignment()))

    def _delete_stale_quotes(self, current: dict[str, Current]) -> None:
        """Remove the quote docs of these articles that their current revision does not have."""
        alias = self.settings.quotes_alias
        while True:
            self._retrying(lambda: self.es.indices.refresh(index=alias), self._sleep)
            response = self._retrying(
                lambda: self.es.search(
                    index=alias,
                    query=stale_quotes_query(current),
                    size=STALE_PAGE,
                    source_includes=["article_id", "revision", "position"],
                ),
                self._sleep,
            )
            hits = response["hits"]["hits"]
            ops = stale_delete_ops(hits, current, self.settings)
            if ops:
                result = self._writer.write(ops)
                self.stats.stale_quotes_deleted += result.written
                for group, error in result.rejected.items():
                    log.error(
                        "stale quote could not be deleted",
                        extra={"article_id": group, "error": error},
                    )
            if len(hits) < STALE_PAGE:
                return

    def _dead_letter(self, item: Received, error: Exception) -> None:
        reason = "rejected" if isinstance(error, RejectedDocumentError) else "invalid"
        letter = DeadLetter.wrap(
            stage="indexer",
            error=error,
            payload=item.value or b"",
            source_topic=item.topic,
            partition=item.partition,
            offset=item.offset,
            key=item.key,
        )
        self._retrying(lambda: send_dead_letter(self._get_producer(), self.settings, letter))
        self.stats.dead_letters += 1
        metrics.DEAD_LETTERS.labels(reason=reason).inc()
        metrics.MESSAGES.labels(outcome="dead_letter").inc()

    def _commit(self, items: list[Received]) -> None:
        offsets = {
            TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
            for (topic, partition), offset in next_offsets(items).items()
        }
        # A commit refused by a rebalance is dropped, never retried: the partitions' new owner
        # re-reads the batch and rewrites it idempotently (deterministic ids, external versions).
        if commit_offsets(self.consumer, offsets):
            self.stats.last_commit_at = time.perf_counter()

    # --- waiting without losing the group ------------------------------------------------
    def _retrying(self, call: Callable[[], T], wait: Callable[[float], None] | None = None) -> T:
        """Run ``call`` until it succeeds; retriable ES/Kafka failures back off and retry.

        ``wait`` defaults to the consumer-friendly ``_wait`` (main thread only); the writer
        thread passes ``_sleep``.
        """
        delays = backoff_delays()
        while True:
            try:
                return call()
            except KafkaError as exc:  # broker down or moving: wait, like for Elasticsearch
                if not getattr(exc, "retriable", False):
                    raise  # e.g. a message the broker will never take: retrying cannot help
                reason, error = "kafka", exc
            except Exception as exc:
                if not is_retriable_exception(exc):
                    raise
                reason, error = "elasticsearch", exc
            delay = next(delays)
            metrics.RETRIES.labels(reason=reason).inc()
            log.warning(
                f"{reason} unavailable, retrying in {delay:.1f}s: {type(error).__name__}",
                extra={"reason": reason, "error": f"{type(error).__name__}: {error}"[:300],
                       "delay_s": round(delay, 1)},
            )  # fmt: skip
            (wait or self._wait)(delay)

    def _sleep(self, seconds: float) -> None:
        """Back-off on the writer thread: a plain sleep that ends early on shutdown."""
        self.stats.retries += 1
        if self.stop.wait(seconds):
            raise Interrupted

    def _wait(self, seconds: float) -> None:
        """Back off for ``seconds`` with the partitions paused, polling to stay in the group.

        Records returned meanwhile (only possible for partitions newly assigned by a
        rebalance) are kept for the next batch, never dropped.
        """
        if self.stop.is_set():
            raise Interrupted
        self.stats.retries += 1
        paused = self.consumer.assignment()
        self.consumer.pause(*paused)
        self._waiting(True)
        deadline = time.monotonic() + seconds
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                if self.stop.is_set():
                    raise Interrupted
                self._carry.extend(self._poll(min(remaining, 0.5)))
        finally:
            self._waiting(False)
            self.consumer.resume(*(tp for tp in paused if tp in self.consumer.assignment()))

    def _waiting(self, on: bool) -> None:
        """Waiting for Elasticsearch with partitions paused is not a stall (watchdog)."""
        if self.watchdog is not None:
            self.watchdog.waiting(on)

    def _get_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = make_producer(self.settings)
        return self._producer

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._producer is not None:
            close_quietly(self._producer, timeout=10)
        close_quietly(self.consumer, autocommit=False)


class RejectedDocumentError(Exception):
    """Elasticsearch refused a document for good (mapping conflict, malformed value)."""


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set ``stop``: the current batch finishes and commits, then we exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        log.info("stop requested", extra={"signal": signum})
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _ensure_indices_waiting(es: Elasticsearch, settings: Settings, stop: threading.Event) -> bool:
    """Install templates and aliases, waiting for Elasticsearch; False if stopped first."""
    for delay in backoff_delays():
        try:
            ensure_indices(es, settings)
            return True
        except Exception as exc:
            if not is_retriable_exception(exc):
                raise
            log.warning("Elasticsearch not ready", extra={"error": str(exc)[:300]})
        if stop.wait(delay):
            return False
    return False  # pragma: no cover - the generator is endless


def run_indexer_with_stats(
    settings: Settings,
    *,
    until_idle: bool = False,
    stop_event: threading.Event | None = None,
    es: Elasticsearch | None = None,
) -> IndexerStats:
    """``run_indexer``, returning what the run did (for the benchmark and tests)."""
    stop = stop_event or threading.Event()
    stats = IndexerStats()
    with _stop_on_signals(stop):
        es = es or make_es(settings)
        require_kafka(settings)
        require_elasticsearch(settings, es)
        start_metrics_server(settings.metrics_port_indexer, settings.metrics_enabled)
        if not _ensure_indices_waiting(es, settings, stop):
            return stats
        consumer = make_consumer(settings, settings.indexer_group, [settings.topic_enriched])
        shape = GroupShape(settings, settings.indexer_group, settings.topic_enriched)
        watchdog = Watchdog(
            consumer,
            "indexer",
            stall_s=settings.stall_seconds,
            join_grace_s=2 * JOIN_GRACE_S,
            lag=lambda: consumer_lag(consumer),
            group_shape=shape,
        )
        indexer = Indexer(settings, consumer, es, stop, watchdog)
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
            shape.close()
        log.info("indexer stopped", extra={"messages": indexer.stats.messages})
        return indexer.stats


def run_indexer(
    settings: Settings,
    *,
    until_idle: bool = False,
    stop_event: threading.Event | None = None,
) -> int:
    """Index ``settings.topic_enriched`` until stopped (or idle, with ``until_idle``); exit code."""
    run_indexer_with_stats(settings, until_idle=until_idle, stop_event=stop_event)
    return 0
