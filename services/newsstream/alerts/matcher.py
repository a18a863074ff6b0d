"""Matching: ``news.indexed`` -> one ``_msearch`` per batch -> ``news.alerts`` -> commit.

The matcher's memory - which evidence each (watch, article) pair was alerted for - is the
alerts topic itself: every alert carries the pair's whole evidence, the topic is compacted by
pair, and the memory is read back from it at start and whenever partitions are assigned. An
alert is produced (and acknowledged) before the batch's offsets are committed, so a crash
in between matches the batch again and finds the alert already remembered: no duplicate.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from pydantic import ValidationError

from newsstream.alerts import metrics
from newsstream.alerts.loop import ConsumerLoop, Record, send_all
from newsstream.alerts.matching import (
    WATCHES_PER_SEARCH,
    Failure,
    Match,
    batch_names,
    candidates,
    new_alerts,
    plan_msearch,
    read_responses,
    retriable_status,
)
from newsstream.alerts.store import WatchStore
from newsstream.alerts.watches import Watch
from newsstream.bus import send_dead_letter
from newsstream.errors import PoisonMessageError
from newsstream.messages import Alert, DeadLetter, Indexed
from newsstream.settings import Settings
from newsstream.topics import read_to_end
from newsstream.watchdog import Watchdog

log = logging.getLogger(__name__)

#: The watches' version is checked at most this often, and they are read again only when it
#: changed (a removed watch is also checked at delivery).
WATCH_CACHE_S = 1.0


class _Assigned(ConsumerRebalanceListener):
    """Partitions newly ours may have been matched by another member: re-read the memory."""

    def __init__(self) -> None:
        self.changed = True

    def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.changed = True


class _RetriableSearch(Exception):
    """Some watch searches were refused for now (429, 5xx): the batch's search is redone."""


def load_memory(settings: Settings) -> dict[str, set[str]]:
    """(watch/article key) -> evidence already alerted, from the compacted alerts topic."""
    memory: dict[str, set[str]] = {}
    for key, value in read_to_end(settings, settings.topic_alerts):
        if key is None or value is None:
            continue
        try:
            alert = Alert.from_bytes(value)
        except (ValidationError, ValueError):
            continue  # the notifier dead-letters it; it holds no memory
        memory.setdefault(key.decode("utf-8", "replace"), set()).update(alert.evidence)
    return memory


class Matcher(ConsumerLoop):
    role = "alerter"
    #: The indexer announces all batches one refresh covered at once, but a fetch returns as
    #: soon as the first partition has records: without gathering, a burst could be split
    #: over two polls, each costing a whole ``_msearch`` (whose cost grows far more slowly
    #: than its batch). Polls of this long take the rest of a burst into the same match.
    gather_s = 0.03

    def __init__(
        self,
        settings: Settings,
        consumer: KafkaConsumer,
        es: Elasticsearch,
        producer: KafkaProducer,
        stop: threading.Event,
        listener: _Assigned,
        watchdog: Watchdog | None = None,
    ) -> None:
        super().__init__(consumer, stop, settings.idle_seconds, watchdog)
        self.handle_every_s = settings.alert_match_every_s
        self.settings = settings
        self.es = es
        self.producer = producer
        self.store = WatchStore(es, settings)
        self.listener = listener
        self.memory: dict[str, set[str]] = {}
        self._watches: list[Watch] = []
        self._watches_at = float("-inf")
        self._watches_version: tuple[tuple[str, str, int], ...] | None = None
        self.alerts_produced = 0
        self.matches = 0

    def handle(self, records: list[Record]) -> None:
        if self.listener.changed:
            self.listener.changed = False
            self.memory = self.retrying(lambda: load_memory(self.settings), "reading alerts")
            log.info("alert memory loaded", extra={"pairs": len(self.memory)})
        indexed_at: dict[str, datetime] = {}
        announced: list[Indexed] = []
        for record in records:
            try:
                news = Indexed.from_bytes(record.value or b"")
            except (ValidationError, ValueError) as exc:
                self._dead_letter(record, PoisonMessageError(f"not an Indexed record: {exc}"))
                continue
            announced.append(news)
            before = indexed_at.get(news.article_id)
            indexed_at[news.article_id] = max(before or news.indexed_at, news.indexed_at)
        metrics.ARTICLES.inc(len(indexed_at))
        watches = self._current_watches()
        metrics.WATCHES.set(len(watches))
        if not indexed_at or not watches:
            return
        started = time.perf_counter()
        searched = candidates(watches, batch_names(announced))
        alerts = self.match(searched, indexed_at) if searched else []
        metrics.MATCH_SECONDS.observe(time.perf_counter() - started)
        metrics.PAIRS.inc(len(watches) * len(indexed_at))
        metrics.SEARCHED.inc(len(searched))
        items = [(a.key.encode("utf-8"), a.to_bytes()) for a in alerts]
        self.retrying(lambda: send_all(self.producer, self.settings.topic_alerts, items),
                      "producing alerts")  # fmt: skip
        for alert in alerts:
            self.memory[alert.key] = set(alert.evidence)
        self.alerts_produced += len(alerts)
        metrics.ALERTS.inc(len(alerts))

    def match(self, watches: list[Watch], indexed_at: dict[str, datetime]) -> list[Alert]:
        """Every watch against the batch's articles (one ``_msearch``); the new alerts.

        A search of several watches that Elasticsearch refuses for its content (one watch's
        query failing at run time) is redone watch by watch, so only that watch misses the
        batch - and says so in the log.
        """
        matches, failures = self._search(watches, indexed_at, WATCHES_PER_SEARCH)
        suspects = {w for f in failures if len(f.watch_ids) > 1 for w in f.watch_ids}
        if suspects:
            alone = [w for w in watches if w.watch_id in suspects]
            matches = [m for m in matches if m.watch.watch_id not in suspects]
            more, failures = self._search(alone, indexed_at, 1)
            matches += more
        for failure in failures:
            metrics.WATCH_ERRORS.inc()
            log.error(
                "watch search refused; this batch is not matched against the watch",
                extra={"watch_id": ",".join(failure.watch_ids), "status": failure.status,
                       "error": failure.error[:300]},
            )  # fmt: skip
        self.matches += len(matches)
        return new_alerts(matches, self.memory, indexed_at=indexed_at, now=datetime.now(UTC))

    def _search(
        self, watches: list[Watch], indexed_at: dict[str, datetime], group: int
    ) -> tuple[list[Match], list[Failure]]:
        lines, steps = plan_msearch(watches, indexed_at, self.settings, group=group)

        def search() -> list[Any]:
            started = time.perf_counter()
            answer = self.es.msearch(searches=lines)
            metrics.MSEARCH_SECONDS.observe(time.perf_counter() - started)
            responses: list[Any] = answer["responses"]
            if any(retriable_status(r.get("status", 500)) for r in responses if "error" in r):
                raise _RetriableSearch("Elasticsearch refused some watch searches for now")
            return responses

        responses = self.retrying(lambda: self._again(search), "matching")
        return read_responses(steps, responses, watches)

    def _again(self, search: Any) -> list[Any]:
        """Retry a partly refused ``_msearch`` with the same back-off as an outage."""
        while True:
            try:
                result: list[Any] = search()
                return result
            except _RetriableSearch as exc:
                metrics.RETRIES.labels(reason="search_rejected").inc()
                log.warning("watch searches rejected, retrying", extra={"error": str(exc)})
                self.wait(1.0)

    def _current_watches(self) -> list[Watch]:
        if time.monotonic() - self._watches_at >= WATCH_CACHE_S:
            # The version before the read: a change racing the read is read again next time
            # (the store's writes refresh at once, so the read sees what the version counts).
            version = self.retrying(self.store.version, "reading watches")
            if version is None or version != self._watches_version:
                self._watches = self.retrying(self.store.all, "reading watches")
                self._watches_version = version
            self._watches_at = time.monotonic()
        return self._watches

    def _dead_letter(self, record: Record, error: Exception) -> None:
        letter = DeadLetter.of_record("alerter", error, record)
        self.retrying(lambda: send_dead_letter(self.producer, self.settings, letter),
                      "dead letter")  # fmt: skip
        metrics.DEAD_LETTERS.inc()
