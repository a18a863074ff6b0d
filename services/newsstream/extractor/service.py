"""The extractor worker: raw articles from Kafka -> spaCy -> enriched articles to Kafka.

At-least-once: a batch is produced with ``acks=all``, every future is awaited, and only
then are the batch's offsets committed. Output is keyed by article id (compacted topic)
and carries the revision, so a redelivery after a crash or rebalance is harmless. A poison
message (bad JSON, wrong schema, an article that makes processing raise) goes to the
dead-letter topic with its original bytes; its offset is committed like any other.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from kafka import ConsumerRebalanceListener
from kafka.errors import KafkaError, MessageSizeTooLargeError
from kafka.structs import OffsetAndMetadata, TopicPartition
from prometheus_client import Counter, Gauge, Histogram
from pydantic import ValidationError

from newsstream.bus import (
    JOIN_GRACE_S,
    LAG_EVERY_S,
    Committer,
    close_quietly,
    consumer_lag,
    fetched_lag,
    send_dead_letter,
    subscribe,
)
from newsstream.errors import BusError
from newsstream.extractor.enrich import enrich, warm_up
from newsstream.messages import Article, DeadLetter, EnrichedArticle
from newsstream.obs import start_metrics_server
from newsstream.settings import Settings
from newsstream.shutdown import stop_on_signals
from newsstream.watchdog import Watchdog
from newsstream.wiring import Clients

log = logging.getLogger(__name__)

ARTICLES = Counter("newsstream_extractor_articles_total", "Articles enriched and produced")
WORDS = Counter("newsstream_extractor_words_total", "Words of the enriched article bodies")
QUOTES = Counter("newsstream_extractor_quotes_total", "Quotations found")
SKIPPED_LANGUAGE = Counter(
    "newsstream_extractor_skipped_language_total",
    "Articles indexed without entities and quotations: a language the model does not cover",
    ["language"],
)
DEAD_LETTERS = Counter("newsstream_extractor_dead_letters_total", "Messages sent to the DLQ")
BATCH_SECONDS = Histogram(
    "newsstream_extractor_batch_seconds",
    "Time to enrich, produce and commit one batch",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
LAG = Gauge("newsstream_extractor_lag", "Raw messages not yet consumed by this worker")


@dataclass
class _Record:
    """What the worker keeps of one consumed message."""

    tp: TopicPartition
    offset: int
    key: bytes | None
    value: bytes


class _Revocations(ConsumerRebalanceListener):
    """Remember revoked partitions so records fetched before a rebalance are dropped
    (their new owner reads them from the last commit) instead of committed by us."""

    def __init__(self) -> None:
        self.revoked: set[TopicPartition] = set()

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.revoked.update(revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.revoked.difference_update(assigned)
        log.info(
            "partitions assigned",
            extra={"count": len(assigned), "partitions": sorted(tp.partition for tp in assigned)},
        )


def run_extractor(
    settings: Settings,
    *,
    until_idle: bool = False,
    stop_event: threading.Event | None = None,
    clients: Clients | None = None,
) -> int:
    """Consume ``topic_raw`` in group ``extractor_group`` until stopped (or idle); 0 = clean."""
    from newsstream.nlp.model import load_pipeline
    from newsstream.reach import require_kafka

    require_kafka(settings)
    nlp = load_pipeline(settings)
    warm_up(nlp)  # before joining the group: the first article gets no cold-start bill
    start_metrics_server(settings.metrics_port_extractor, settings.metrics_enabled)
    clients = clients or Clients(settings)
    listener = _Revocations()
    consumer = clients.consumer(
        settings.extractor_group, max_poll_records=max(1, settings.extract_batch_size)
    )
    subscribe(consumer, [settings.topic_raw], listener=listener)
    # the extractor does all its work between polls, so an idle one should use no CPU at all
    watchdog = clients.watchdog(
        consumer, "extractor", settings.extractor_group, settings.topic_raw, idle_cpu=True
    )
    worker = _Worker(settings, nlp, consumer, clients.producer, listener, watchdog)
    log.info(
        "extractor started",
        extra={"topic": settings.topic_raw, "group": settings.extractor_group},
    )
    try:
        with stop_on_signals(stop_event or threading.Event()) as stop:
            worker.loop(stop, until_idle)
    except (BusError, KafkaError) as exc:
        log.error("extractor stopped by a Kafka failure", extra={"error": str(exc)})
        return 1
    finally:
        # nothing unproduced was committed, so a broker that is away loses nothing here
        close_quietly(consumer, autocommit=False)
        clients.close()
    log.info("extractor stopped", extra={"articles": worker.processed})
    return 0


class _Worker:
    """The poll -> enrich -> produce -> commit loop around one consumer and producer."""

    def __init__(
        self,
        settings: Settings,
        nlp: Any,
        consumer: Any,
        producer: Any,
        listener: _Revocations,
        watchdog: Watchdog | None = None,
    ) -> None:
        self.settings = settings
        self.nlp = nlp
        self.consumer = consumer
        self.producer = producer
        self.listener = listener
        self.watchdog = watchdog
        self.committer = Committer(consumer)
        self.processed = 0
        #: Articles passed on without entities and quotations (language not covered).
        self.skipped_language = 0
        self._lag_at = 0.0

    def loop(self, stop: threading.Event, until_idle: bool) -> None:
        started = last_message = time.monotonic()
        while not stop.is_set():
            batch = self._poll_batch(stop)
            if batch:
                last_message = time.monotonic()
                self.process(batch)
                if self.watchdog is not None:
                    self.watchdog.progress()
            elif until_idle and self._idle(started, last_message):
                log.info("idle, exiting", extra={"idle_seconds": self.settings.idle_seconds})
                break
            self._update_lag()
            if self.watchdog is not None:
                self.watchdog.check()
        self.committer.flush()  # offsets a rebalance refused, if any are left

    def _idle(self, started: float, last_message: float) -> bool:
        """Quiet for ``idle_seconds`` AND caught up on assigned partitions.

        Right after a worker was killed its group still holds the dead member until the
        session times out; a new worker has no partitions until then and must not take the
        silence for "nothing to do". Without any assignment it waits a join grace period.
        """
        now = time.monotonic()
        if now - last_message < self.settings.idle_seconds:
            return False
        if self.consumer.assignment():
            return consumer_lag(self.consumer) == 0 and self.committer.flush()
        return now - started >= self.settings.idle_seconds + JOIN_GRACE_S

    def _poll_batch(self, stop: threading.Event) -> list[_Record]:
        """Up to ``extract_batch_size`` records, waiting at most ``extract_batch_wait_ms``.

        The wait is for a backlog to fill a batch (``nlp.pipe`` is faster on many texts); when
        Kafka holds nothing more, the records in hand go at once, so a trickle of articles is
        not delayed by the batch window.
        """
        size = max(1, self.settings.extract_batch_size)
        deadline = time.monotonic() + self.settings.extract_batch_wait_ms / 1000
        records: list[_Record] = []
        self.listener.revoked.clear()
        while len(records) < size and not stop.is_set():
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0 and records:
                break
            polled = self.consumer.poll(
                timeout_ms=max(remaining_ms, 100), max_records=size - len(records)
            )
            before = len(records)
            for tp, messages in polled.items():
                records.extend(_Record(tp, m.offset, m.key, m.value) for m in messages)
            if self.watchdog is not None:
                self.watchdog.polled(len(records) - before)
            if remaining_ms <= 0 or (records and fetched_lag(self.consumer) == 0):
                break
        if self.listener.revoked:
            kept = [r for r in records if r.tp not in self.listener.revoked]
            log.info("rebalance: dropped fetched records", extra={"n": len(records) - len(kept)})
            records = kept
        return records

    def process(self, batch: list[_Record]) -> None:
        """Enrich, produce (acks=all, all futures awaited), dead-letter poison, commit."""
        started = time.perf_counter()
        good: list[tuple[_Record, Article]] = []
        futures = []
        for record in batch:
            if record.value is None:  # tombstone: the article was deleted; delete downstream
                futures.append((record, None, self._send_tombstone(record)))
                continue
            try:
                good.append((record, _decode(record)))
            except (ValueError, ValidationError, UnicodeDecodeError) as exc:
                self._dead_letter(record, exc)
        results = self._enrich_isolated(good)
        for record, outcome in results:
            if isinstance(outcome, BaseException):
                self._dead_letter(record, outcome)
                continue
            try:
                futures.append((record, outcome, self._send(outcome)))
            except MessageSizeTooLargeError as exc:  # raised by send() before any I/O
                self._dead_letter(record, exc)
        self.producer.flush()
        for record, enriched, future in futures:
            try:
                future.get(timeout=60)
            except KafkaError as exc:
                if not isinstance(exc, MessageSizeTooLargeError):
                    raise BusError(f"enriched article not written: {exc}") from exc
                self._dead_letter(record, exc)
                continue
            if enriched is None:
                continue
            ARTICLES.inc()
            WORDS.inc(len(enriched.body.split()))
            QUOTES.inc(len(enriched.quotes))
            if enriched.nlp.skipped:
                SKIPPED_LANGUAGE.labels(enriched.language or "unknown").inc()
                self.skipped_language += 1
            self.processed += 1
        self._commit(batch)
        BATCH_SECONDS.observe(time.perf_counter() - started)

    def _enrich_isolated(
        self, good: list[tuple[_Record, Article]]
    ) -> list[tuple[_Record, EnrichedArticle | BaseException]]:
        """The batch in one ``nlp.pipe``; if it raises, article by article to find the bad one."""
        if not good:
            return []

        def run(arts: list[Article]) -> list[EnrichedArticle]:
            return enrich(
                self.nlp,
                arts,
                batch_size=self.settings.extract_batch_size,
                max_body_chars=self.settings.max_body_chars,
                languages=self.settings.nlp_languages,
            )

        try:
            enriched = run([a for _, a in good])
            return [(r, e) for (r, _), e in zip(good, enriched, strict=True)]
        except Exception:  # isolate the poison article below
            log.warning("batch failed, retrying article by article", extra={"n": len(good)})
        out: list[tuple[_Record, EnrichedArticle | BaseException]] = []
        for record, article in good:
            try:
                out.append((record, run([article])[0]))
            except Exception as exc:  # one bad article goes to the DLQ
                out.append((record, exc))
        return out

    def _send(self, enriched: EnrichedArticle) -> Any:
        return self.producer.send(
            self.settings.topic_enriched,
            key=enriched.article_id.encode("utf-8"),
            value=enriched.to_bytes(),
        )

    def _send_tombstone(self, record: _Record) -> Any:
        return self.producer.send(self.settings.topic_enriched, key=record.key, value=None)

    def _dead_letter(self, record: _Record, exc: BaseException) -> None:
        letter = DeadLetter.of_record("extractor", exc, record)
        send_dead_letter(self.producer, self.settings, letter)
        DEAD_LETTERS.inc()

    def _commit(self, batch: list[_Record]) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for record in batch:
            current = offsets.get(record.tp)
            if current is None or record.offset + 1 > current.offset:
                offsets[record.tp] = OffsetAndMetadata(record.offset + 1, "", -1)
        self.committer.commit(offsets)

    def _update_lag(self) -> None:
        now = time.monotonic()
        if now - self._lag_at >= LAG_EVERY_S:
            self._lag_at = now
            LAG.set(consumer_lag(self.consumer))


def _decode(record: _Record) -> Article:
    assert record.value is not None
    return Article.from_bytes(record.value)
