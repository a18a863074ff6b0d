"""The indexer's loop: Kafka records -> batches -> Elasticsearch -> commit, nothing lost.

The loop collects records until the batch is full by count, bytes or time
(``index_bulk_max_docs`` / ``_max_bytes`` / ``_max_wait_s``, or at once when the topic is
drained), hands it to a writer thread (:class:`~newsstream.indexer.apply.BatchApplier`),
dead-letters what can never be indexed, announces the batch's searchable revisions on
``news.indexed`` (the alerter's input), and only then commits the offsets. Announcing needs a
refresh first; while batches keep coming the refresh is made at most once every
``index_refresh_every_s`` and covers every batch written before it (a refresh per batch cost a
third of the indexer's throughput), and the batches it covers are announced and committed
together; the last batch of a backlog, and in a lull a written batch, is refreshed at once - or,
if the last refresh is younger than ``index_refresh_min_interval_s`` and no backlog came
since, as soon as it is not (a steady stream otherwise had the node refreshing every small
batch). Reading, parsing and encoding the next batch, and announcing and committing the
batches before, overlap the writes. ``index_writers`` writer threads (two by default) keep as
many bulk requests in flight; each has the next batch queued behind the one it writes, and a
batch with an article still being written goes to that article's writer, so Elasticsearch sees
each article's writes in order. A refresh runs on a thread of its own once its batch and every
earlier one are written, while the writers go on with the next batches (a refresh inline held
the writer back for an eighth to a third of a backlog).
While Elasticsearch is away the partitions stay paused and the consumer keeps polling (it stays
in its group): an outage pauses the indexer, it never drops or skips.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata
from kafka.structs import OffsetAndMetadata, TopicPartition

from newsstream.bus import (
    JOIN_GRACE_S,
    LAG_EVERY_S,
    SEND_TIMEOUT_S,
    Committer,
    close_quietly,
    fetched_lag,
    paused,
    send_dead_letter,
)
from newsstream.gctune import PeriodicCollector
from newsstream.heap import HeapTrimmer
from newsstream.indexer import metrics
from newsstream.indexer.announce import (
    announcements,
    produce_announcements,
    send_announcements,
)
from newsstream.indexer.apply import BatchApplier
from newsstream.indexer.batch import (
    Current,
    Received,
    choose_writer,
    index_ops,
    is_backlog,
    latest_per_article,
    next_offsets,
    parse_record,
    refresh_due,
    refresh_wait_s,
    split_batch,
    withdrawn,
)
from newsstream.indexer.ops import encode
from newsstream.indexer.setup import ensure_indices
from newsstream.indexer.writer import BulkWriter, WriteResult, retrying
from newsstream.messages import DeadLetter, Indexed
from newsstream.settings import Settings
from newsstream.watchdog import Watchdog, waiting

log = logging.getLogger(__name__)

T = TypeVar("T")

#: While announcements wait for Kafka's acks, the loop polls at most this long, so that their
#: batches are committed as soon as the acks are in (a 0.5 s poll in a lull held the commit
#: of the last batch of a backlog back that long) ...
ACK_POLL_S = 0.01
#: ... for at most this long after the announcement (acks that take longer mean Kafka is
#: struggling: the loop goes back to its usual waits rather than spin).
ACK_POLL_FOR_S = 2.0
#: Batches handed to each writer thread at once: the one being written and the next, queued
#: behind it (with one, a writer sat idle whenever the main thread was busy announcing and
#: committing, up to a tenth of a second after each refresh under a backlog). One more in all
#: is allowed: a written batch whose refresh is under way on the refresher thread.
IN_FLIGHT_PER_WRITER = 2
#: Documents per record assumed before the first poll (an article with four quotations, the
#: dev set's average): starting from 1 asked the first poll for 500 records, nine batches'
#: worth of parsing before the first write could begin.
FIRST_DOCS_PER_RECORD = 5.0


def refreshed_after(
    written: Future[WriteResult],
    earlier: list[Future[WriteResult]],
    refresher: Executor,
    refresh: Callable[[], object],
) -> Future[WriteResult]:
    """A future with ``written``'s result, done once ``written`` and the ``earlier`` batches'
    writes are done and ``refresh``, run on ``refresher`` after them, has returned.

    The refresh runs while the writer threads write the next batches (a refresh inline held
    the writer for 12-32 % of a backlog's time). Begun after this batch's writes and those of
    every batch before it returned, it makes them all searchable; a later batch, written
    meanwhile, waits for a later refresh. Any failure (a batch's, the refresh's) becomes the
    future's: it never stays pending.
    """
    done: Future[WriteResult] = Future()
    waited = [f for f in earlier if not f.done()] + [written]
    left = [len(waited)]
    lock = threading.Lock()

    def run_refresh(result: WriteResult) -> None:
        try:
            refresh()
        except BaseException as exc:  # Interrupted, or a bug: the loop's _await raises it
            done.set_exception(exc)
        else:
            done.set_result(result)

    def then(_: Future[WriteResult]) -> None:
        with lock:
            left[0] -= 1
            if left[0]:
                return
        try:
            for future in earlier:
                future.result()  # an earlier batch failed: this one is not searchable
            refresher.submit(run_refresh, written.result())
        except BaseException as exc:
            done.set_exception(exc)

    for future in waited:
        future.add_done_callback(then)
    return done


class Interrupted(Exception):
    """Shutdown was requested while waiting for Elasticsearch: the batch stays uncommitted."""


class RejectedDocumentError(Exception):
    """Elasticsearch refused a document for good (mapping conflict, malformed value)."""


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
    #: Offset commits made (the batches acknowledged together go in one).
    commits: int = 0
    #: Refreshes asked for (one covers every batch written before it).
    refreshes: int = 0
    #: Back-off waits (Elasticsearch or Kafka unavailable, or items to retry).
    retries: int = 0
    #: Times the indexer gave a backlog's freed heap back to the OS (:mod:`newsstream.heap`).
    heap_trims: int = 0
    #: ``time.perf_counter()`` when the loop began polling, when the group assigned it
    #: partitions (the end of its setup: the benchmark's clock starts here, before the first
    #: fetch), at the first record and at the last commit (where the benchmark's clock stops).
    loop_started_at: float | None = None
    assigned_at: float | None = None
    first_message_at: float | None = None
    last_commit_at: float | None = None
    #: When the last batch's announcements were handed to the producer (same clock).
    last_announced_at: float | None = None


@dataclass
class _InFlight:
    """A batch whose Elasticsearch writes run on a writer thread; committed when done."""

    items: list[Received]
    latest: dict[str, Received]
    #: Done once the batch is searchable, if ``refreshed``; else once it is written.
    future: Future[WriteResult]
    #: A refresh follows this batch: it and every batch before it become searchable.
    refreshed: bool
    #: The writer thread it went to, the articles it writes or withdraws, and the future of
    #: its writes alone (a later batch with one of these articles goes to the same writer).
    writer: int
    articles: frozenset[str]
    written: Future[WriteResult]


@dataclass
class _Writer:
    """One writer thread with its own applier (a ``BulkWriter`` keeps per-request state)."""

    executor: ThreadPoolExecutor
    applier: BatchApplier


@dataclass
class _Announced:
    """A settled batch whose ``news.indexed`` records are on their way: committed once every
    one of them is acknowledged, so the loop reads the next batch instead of waiting."""

    items: list[Received]
    news: list[Indexed]
    futures: list[FutureRecordMetadata]
    at: float = 0.0

    def acked(self) -> bool:
        return all(f.is_done for f in self.futures)


@dataclass
class _Buffer:
    """Records read for the next batch, with their document count and bytes."""

    items: list[Received]
    started: float = 0.0

    @property
    def docs(self) -> int:
        return sum(i.docs for i in self.items)

    @property
    def size(self) -> int:
        return sum(i.size for i in self.items)


class Indexer:
    """One consumer, ``index_writers`` Elasticsearch writer threads, a refresher thread."""

    def __init__(
        self,
        settings: Settings,
        consumer: KafkaConsumer,
        es: Elasticsearch,
        stop: threading.Event,
        watchdog: Watchdog | None = None,
        producer: Callable[[], KafkaProducer] | None = None,
        *,
        announce: bool = True,
    ) -> None:
        self.settings = settings
        #: Produce each batch's searchable revisions to ``news.indexed`` before committing.
        self.announce = announce
        self.consumer = consumer
        self.stop = stop
        self.watchdog = watchdog
        self.stats = IndexerStats()
        self._make_producer = producer
        self._producer: KafkaProducer | None = None
        self._carry: list[Received] = []
        #: Batches handed to the writer threads, oldest first (``_max_in_flight`` at most).
        self._inflight: deque[_InFlight] = deque()
        #: Written batches waiting for a refresh before they are announced and committed ...
        self._written: list[tuple[_InFlight, WriteResult]] = []
        #: ... of which the first so many are searchable (a refresh after them has run).
        self._searchable = 0
        #: Announced batches, oldest first, waiting for Kafka's acks before their commit.
        self._announced: deque[_Announced] = deque()
        #: When the last refresh was seen done (``time.monotonic()``): the min interval counts
        #: from there. (Counted from the moment it was asked for, the indexer announced every
        #: 0.50 s instead of every 0.54 s, just inside the alerter's 0.5 s match window, whose
        #: phase then drifted: alerts waited 0.35 s for a match instead of 0.09 s.)
        self._last_refresh = 0.0
        #: A batch written since that refresh was part of a backlog (another full batch waited).
        self._backlog = False
        #: Documents per record lately (an article and its quotations), to size each poll.
        self._docs_per_record = FIRST_DOCS_PER_RECORD
        self._heap = HeapTrimmer()
        #: Cyclic garbage is collected on a clock, not by allocation counts (``gctune``).
        self._collector = PeriodicCollector()
        self._committer = Committer(consumer)
        self._writers = [
            _Writer(
                ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"es-writer-{n}"),
                BatchApplier(
                    es,
                    BulkWriter(
                        es, wait=self._sleep, on_missing_index=lambda: ensure_indices(es, settings)
                    ),
                    settings,
                    self._sleep,
                ),
            )
            for n in range(settings.index_writers)
        ]
        self._max_in_flight = IN_FLIGHT_PER_WRITER * len(self._writers) + 1
        #: Refreshes run here, so the writer threads go on with the next batches meanwhile.
        self._refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="es-refresher")
        self._applier = self._writers[0].applier  # its refresh_once covers every writer's

    # --- the loop ----------------------------------------------------------------------
    def run(self, *, until_idle: bool) -> None:
        """Fill batches from Kafka while the previous batch is being written to Elasticsearch."""
        s = self.settings
        buffer = _Buffer([])
        self.stats.loop_started_at = time.perf_counter()
        started = last_message = last_lag = time.monotonic()
        drained = False  # the last poll found nothing more to read: no reason to wait
        while True:
            if self.watchdog is not None:
                self.watchdog.check()
            self._collector.maybe_collect()
            now = time.monotonic()
            self._commit_announced(wait=False)
            if self._inflight and self._inflight[0].future.done():
                self._finish(done_only=True)  # commit as soon as Elasticsearch has the batch
            if self._lull(buffer) and self._refresh_wait(now) == 0:
                self._settle_now()  # a lull: make the written batches searchable now
            if buffer.items and (self.stop.is_set() or drained or self._full(buffer, now)):
                batch, rest = split_batch(
                    buffer.items, s.index_bulk_max_docs, s.index_bulk_max_bytes
                )
                # more input already waiting (buffered, or unread in Kafka): one refresh may
                # cover several batches; a trickle is refreshed batch by batch. A backlog: at
                # least another full batch waits, not just a record that came in meanwhile.
                waiting = 0 if self.stop.is_set() else len(rest) + self._lag()
                backlog = is_backlog(waiting, self._docs_per_record, s.index_bulk_max_docs)
                self._submit(batch, more=waiting > 0, backlog=backlog)
                buffer = _Buffer(rest + self._take_carry(), time.monotonic())
                continue
            if self._should_end(until_idle, buffer, now - last_message, now - started):
                self._finish()
                buffer = _Buffer(self._take_carry(), now)
                if not buffer.items:
                    self._settle_now()
                    self._commit_announced(wait=True)
                    self._committer.flush()  # offsets a rebalance refused, if any are left
                    return
                continue
            if now - last_lag >= LAG_EVERY_S:
                metrics.LAG.set(self._lag())
                last_lag = now
            if not buffer.items and not self._inflight and not self._written:
                self._trim_heap()  # between batches: the moment a steady stream also has
            received = self._poll(self._poll_wait(buffer, now), self._records_wanted(buffer))
            if received and not buffer.items:
                buffer.started = time.monotonic()
            buffer.items.extend(received)
            if received:
                last_message = time.monotonic()
            # nothing more in Kafka (by the watermarks this poll brought back): write now; a
            # trickle must not wait out a batch window, and a backlog still fills batches
            drained = bool(buffer.items) and self._lag() == 0

    def _trim_heap(self) -> None:
        """Give a backlog's freed memory back to the OS once it is written (:mod:`heap`)."""
        if self._heap.maybe_trim():
            self.stats.heap_trims += 1
            metrics.HEAP_TRIMS.inc()

    def _full(self, buffer: _Buffer, now: float) -> bool:
        s = self.settings
        return (
            buffer.docs >= s.index_bulk_max_docs
            or buffer.size >= s.index_bulk_max_bytes
            or now - buffer.started >= s.index_bulk_max_wait_s
        )

    def _should_end(self, until_idle: bool, buffer: _Buffer, quiet: float, running: float) -> bool:
        if self.stop.is_set():
            return True
        s = self.settings
        if not until_idle or buffer.items or quiet < s.idle_seconds:
            return False
        if running >= s.idle_seconds + JOIN_GRACE_S and not self.consumer.assignment():
            return True  # never got a partition: nothing of ours to index or commit
        self._commit_announced(wait=True)
        return self._caught_up() and self._committer.flush()

    def _records_wanted(self, buffer: _Buffer) -> int:
        """Records that should fill the next batch, from the documents a record has made
        lately: asking for documents' worth of records (9 documents an article) parsed 9
        batches at once, while the writer thread sat idle for want of the next one."""
        docs_left = max(1, self.settings.index_bulk_max_docs - buffer.docs)
        return max(1, math.ceil(docs_left / self._docs_per_record))

    def _lull(self, buffer: _Buffer) -> bool:
        """Written batches wait for a refresh, and nothing is being written or gathered."""
        return bool(self._written) and not self._inflight and not buffer.items

    def _refresh_wait(self, now: float) -> float:
        """Seconds until the written batches of a lull may be refreshed (``refresh_wait_s``)."""
        return refresh_wait_s(
            now - self._last_refresh,
            backlog_since=self._backlog,
            min_interval_s=self.settings.index_refresh_min_interval_s,
        )

    def _refresh_due(self, *, more: bool) -> bool:
        """Whether the batch being submitted is to be followed by a refresh (``refresh_due``)."""
        s = self.settings
        # a refresh already handed to the writer: the interval counts from its end
        under_way = any(inflight.refreshed for inflight in self._inflight)
        return refresh_due(
            0.0 if under_way else time.monotonic() - self._last_refresh,
            more=more,
            backlog_since=self._backlog,
            every_s=s.index_refresh_every_s,
            min_interval_s=s.index_refresh_min_interval_s,
        )

    def _poll_wait(self, buffer: _Buffer, now: float) -> float:
        s = self.settings
        wait_s = s.index_bulk_max_wait_s - (now - buffer.started) if buffer.items else 0.5
        if self._inflight:
            wait_s = min(wait_s, 0.05)  # come back soon to commit the finished batch
        if self._lull(buffer):
            wait_s = min(wait_s, self._refresh_wait(now))  # back when the refresh is due
        if self._announced and now - self._announced[0].at < ACK_POLL_FOR_S:
            wait_s = min(wait_s, ACK_POLL_S)  # back to commit as soon as Kafka has acked
        return max(0.0, min(wait_s, 0.5))

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
                position = self.consumer.position(tp)
                if highwater is None or position is None or position < highwater:
                    return False
        except (KafkaError, OSError):
            return False
        return True

    def _lag(self) -> int:
        return fetched_lag(self.consumer)

    def _poll(self, timeout_s: float, max_records: int | None = None) -> list[Received]:
        polled = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        items = [
            parse_record(r.topic, r.partition, r.offset, r.key, r.value)
            for records in polled.values()
            for r in records
        ]
        if items:
            docs = sum(max(1, item.docs) for item in items) / len(items)
            self._docs_per_record = 0.7 * self._docs_per_record + 0.3 * docs
        if self.watchdog is not None:
            self.watchdog.polled(len(items))
        if items and self.stats.first_message_at is None:
            self.stats.first_message_at = time.perf_counter()
        self.stats.messages += len(items)
        return items

    # --- one batch ---------------------------------------------------------------------
    def _submit(self, items: list[Received], *, more: bool = False, backlog: bool = False) -> None:
        """Queue ``items`` for a writer thread (waiting, if ``_max_in_flight`` batches are
        handed over already, for the oldest), then settle what became searchable.

        Each writer thread writes its batches one after the other, and a batch with an
        article of a batch still being written goes to that batch's writer
        (:meth:`_writer_for`): so each article's writes reach Elasticsearch strictly in
        order (a newer revision's stale-quote clean-up never overtakes an older write, a
        withdrawal never a write), while batches of other articles are written at the same
        time. Meanwhile the main thread reads and parses the next batch from Kafka, and
        announces and commits the batches before. Whether a refresh follows this batch:
        :meth:`_refresh_due`.
        """
        gone = withdrawn(items)
        latest = {aid: it for aid, it in latest_per_article(items).items() if aid not in gone}
        articles = {aid: item.article for aid, item in latest.items() if item.article is not None}
        ops = index_ops(articles.values(), self.settings)
        encode(ops)  # here, while Elasticsearch is still busy with the batch in flight
        current = {aid: Current(a.revision, len(a.quotes)) for aid, a in articles.items()}
        self._collect(keep=self._max_in_flight - 1)
        ids = frozenset(latest) | gone
        n = self._writer_for(ids, spread=backlog)
        refresh = self._refresh_due(more=more)
        if refresh:
            self._backlog = False
        else:
            self._backlog = self._backlog or backlog
        writer = self._writers[n]
        written = writer.executor.submit(writer.applier.apply, ops, current, gone)
        future = written
        if refresh:
            future = self._refreshed_after(written, [i.written for i in self._inflight])
        self._inflight.append(_InFlight(items, latest, future, refresh, n, ids, written))
        if self._searchable:
            # Announce and commit the batches written before while Elasticsearch writes this
            # one: it would sit idle for those Kafka round trips otherwise.
            self._settle()

    def _writer_for(self, articles: frozenset[str], *, spread: bool) -> int:
        """The writer thread for a batch of these articles (:func:`choose_writer`; ``spread``
        under a backlog); if batches on two writers have some, the batches in flight are
        waited for first."""
        busy = [(i.writer, i.articles) for i in self._inflight if not i.written.done()]
        n = choose_writer(articles, busy, len(self._writers), spread=spread)
        if n is None:
            self._collect()
            n = choose_writer(articles, [], len(self._writers), spread=spread)
        assert n is not None
        return n

    def _refreshed_after(
        self, written: Future[WriteResult], earlier: list[Future[WriteResult]]
    ) -> Future[WriteResult]:
        """The batch's future once refreshed (:func:`refreshed_after`), on the refresher."""
        return refreshed_after(
            written,
            earlier,
            self._refresher,
            lambda: retrying(self._applier.refresh_once, sleep=self._sleep),
        )

    def _collect(self, *, keep: int = 0, done_only: bool = False) -> None:
        """Wait for the oldest batches handed to the writer until ``keep`` are left (with
        ``done_only``: take only those already written) and keep their results. A refreshed
        one makes it and every written batch before it searchable (``_searchable``) - not a
        batch collected after it, which the refresh did not cover."""
        while len(self._inflight) > keep:
            if done_only and not self._inflight[0].future.done():
                break
            inflight = self._inflight.popleft()
            self._written.append((inflight, self._await(inflight.future)))
            if inflight.refreshed:
                self._searchable, self._last_refresh = len(self._written), time.monotonic()

    def _finish(self, *, done_only: bool = False) -> None:
        """Wait for the batches in flight; once refreshed, settle them and those before."""
        self._collect(done_only=done_only)
        if self._searchable:
            self._settle()

    def _settle_now(self) -> None:
        """Refresh here (the writer thread is idle), then settle every written batch."""
        self._finish()
        if self._written:
            self._backlog = False
            retrying(self._applier.refresh_once, sleep=self._wait)
            self._last_refresh, self._searchable = time.monotonic(), len(self._written)
            self._settle()

    def _settle(self) -> None:
        """After a refresh: dead-letter, announce and commit the written batches it covered,
        in order (searchable now)."""
        self.stats.refreshes += 1
        covered, self._written = (
            self._written[: self._searchable],
            self._written[self._searchable :],
        )
        self._searchable = 0
        for inflight, result in covered:
            self._settle_one(inflight, result)

    def _settle_one(self, inflight: _InFlight, result: WriteResult) -> None:
        items, latest = inflight.items, inflight.latest
        self.stats.docs_written += result.written
        self.stats.docs_stale += result.stale
        self.stats.stale_quotes_deleted = sum(
            w.applier.cleanup.stale_quotes_deleted for w in self._writers
        )
        self.stats.withdrawn = sum(w.applier.cleanup.withdrawn for w in self._writers)
        letters = [(item, item.error) for item in items if item.error is not None] + [
            (latest[aid], RejectedDocumentError(error)) for aid, error in result.rejected.items()
        ]
        for item, error in letters:
            self._dead_letter(item, error)
        news = announcements(latest, result) if self.announce else []
        futures = []
        if news:
            futures = retrying(
                lambda: produce_announcements(self._get_producer(), self.settings, news),
                sleep=self._wait,
            )
        self._announced.append(_Announced(items, news, futures, time.monotonic()))
        self.stats.last_announced_at = time.perf_counter()
        self.stats.batches += 1
        metrics.MESSAGES.labels(outcome="indexed").inc(len(items) - len(letters))
        log.info(
            "batch indexed",
            extra={"messages": len(items), "articles": len(latest), "written": result.written,
                   "stale": result.stale, "dead_letters": len(letters)},
        )  # fmt: skip

    def _commit_announced(self, *, wait: bool) -> None:
        """Commit the announced batches, in order, whose records Kafka has acknowledged (with
        ``wait``: all of them, waiting). A batch whose records failed is announced again
        (retrying while Kafka is away) before its commit: nothing is committed unannounced.

        The ready batches go in one commit: a refresh settles a dozen batches at once under a
        backlog, and a synchronous commit each took a tenth of the main thread's time (while
        the writer thread waited for the next batch)."""
        ready: list[Received] = []
        try:
            while self._announced:
                batch = self._announced[0]
                if not wait and not batch.acked():
                    return
                try:
                    for future in batch.futures:
                        future.get(timeout=SEND_TIMEOUT_S)
                except KafkaError as exc:
                    log.warning("announcement not acknowledged, sending again",
                                extra={"error": str(exc)[:300]})  # fmt: skip
                    resend = partial(
                        send_announcements, self._get_producer(), self.settings, batch.news
                    )
                    retrying(resend, sleep=self._wait)
                self._announced.popleft()
                ready.extend(batch.items)
        finally:
            if ready:
                self._commit(ready)

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
            with paused(self.consumer), self._waiting():
                while not future.done() and not self.stop.is_set():
                    self._carry.extend(self._poll(0.5))

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
        retrying(lambda: send_dead_letter(self._get_producer(), self.settings, letter),
                 sleep=self._wait)  # fmt: skip
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
        if self._committer.commit(offsets):
            self.stats.commits += 1
            self.stats.last_commit_at = time.perf_counter()

    # --- waiting without losing the group ------------------------------------------------
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
        deadline = time.monotonic() + seconds
        with paused(self.consumer), self._waiting():
            while (remaining := deadline - time.monotonic()) > 0:
                if self.stop.is_set():
                    raise Interrupted
                self._carry.extend(self._poll(min(remaining, 0.5)))

    def _waiting(self) -> AbstractContextManager[None]:
        """Waiting for Elasticsearch with partitions paused is not a stall (watchdog)."""
        return waiting(self.watchdog)

    def _get_producer(self) -> KafkaProducer:
        if self._producer is None:
            if self._make_producer is None:
                raise RuntimeError("this indexer has no producer for dead letters")
            self._producer = self._make_producer()
        return self._producer

    def close(self) -> None:
        for writer in self._writers:
            writer.executor.shutdown(wait=True)
        self._refresher.shutdown(wait=True)
        if self._producer is not None:
            close_quietly(self._producer, timeout=10)
        close_quietly(self.consumer, autocommit=False)
