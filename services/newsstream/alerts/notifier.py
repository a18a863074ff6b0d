"""Delivery: ``news.alerts`` -> notify targets -> ``news-alerts`` index -> commit.

The targets and the HMAC secret are read from the watch as it is now: an alert of a watch
removed meanwhile is not delivered (it is indexed with status ``watch_removed``). Deliveries
of a batch run in parallel threads, each retrying on its own; the consumer keeps polling
(paused) meanwhile. A delivery that ran out of tries puts the alert in the dead-letter topic
with the target and the last error. Only when every alert of the batch is delivered or
dead-lettered and indexed are the offsets committed: at-least-once, and receivers can tell
a repeat by its ``alert_id``.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer
from pydantic import ValidationError

from newsstream.alerts import metrics
from newsstream.alerts.loop import ConsumerLoop, Record
from newsstream.alerts.matching import retriable_status
from newsstream.alerts.notify import Notifiers
from newsstream.alerts.payload import Outcome, alert_document
from newsstream.alerts.store import alert_operations, recipients
from newsstream.bus import send_dead_letter
from newsstream.errors import DeliveryError, PoisonMessageError
from newsstream.messages import Alert, DeadLetter
from newsstream.settings import Settings
from newsstream.watchdog import Watchdog

log = logging.getLogger(__name__)

#: Deliveries in flight at once (a slow receiver holds one thread, not the batch).
DELIVERY_THREADS = 8


class _IndexItemsLeft(Exception):
    """Some alert documents were refused for now (429, 5xx)."""


class Notifier(ConsumerLoop):
    role = "notifier"

    def __init__(
        self,
        settings: Settings,
        consumer: KafkaConsumer,
        es: Elasticsearch,
        producer: KafkaProducer,
        stop: threading.Event,
        watchdog: Watchdog | None = None,
    ) -> None:
        super().__init__(consumer, stop, settings.idle_seconds, watchdog)
        self.settings = settings
        self.es = es
        self.producer = producer
        self.notifiers = Notifiers(settings, stop)
        self.pool = ThreadPoolExecutor(DELIVERY_THREADS, thread_name_prefix="deliver")
        self.handled = 0

    def handle(self, records: list[Record]) -> None:
        alerts: list[tuple[Record, Alert]] = []
        for record in records:
            try:
                alerts.append((record, Alert.from_bytes(record.value or b"")))
            except (ValidationError, ValueError) as exc:
                self._dead_letter(record, PoisonMessageError(f"not an Alert: {exc}"))
        if not alerts:
            return
        wanted = {alert.watch_id for _, alert in alerts}
        current = self.retrying(lambda: recipients(self.es, self.settings, wanted),
                                "reading watches")  # fmt: skip
        jobs: list[tuple[Record, Alert, list[Future[Outcome]] | None]] = []
        for record, alert in alerts:
            who = current.get(alert.watch_id)
            futures = None
            if who is not None:
                futures = [self.pool.submit(self.notifiers.deliver, target, alert, who.secret)
                           for target in who.notify]  # fmt: skip
            jobs.append((record, alert, futures))
        pending = [f for _, _, futures in jobs for f in futures or []]
        self.wait_for(pending)
        now = datetime.now(UTC)
        docs = []
        for record, alert, futures in jobs:
            outcomes = None if futures is None else [f.result() for f in futures]
            if outcomes is None:
                metrics.DELIVERIES.labels(kind="any", outcome="watch_removed").inc()
                log.info("alert of a removed watch not delivered",
                         extra={"alert_id": alert.alert_id, "watch": alert.watch})  # fmt: skip
            for outcome in outcomes or []:
                if not outcome.ok:
                    self._undeliverable(record, alert, outcome)
            docs.append(alert_document(alert, outcomes, now))
        self.retrying(lambda: self._index(docs), "indexing alerts")
        self.handled += len(alerts)

    def _undeliverable(self, record: Record, alert: Alert, outcome: Outcome) -> None:
        error = DeliveryError(
            f"alert {alert.alert_id} of watch {alert.watch!r} not delivered to {outcome.target} "
            f"after {outcome.tries} tries: {outcome.error}"
        )
        log.error(error.message, extra={"target": outcome.target, "alert_id": alert.alert_id})
        self._dead_letter(record, error)

    def _index(self, docs: list[dict[str, Any]]) -> None:
        lines = alert_operations(docs, self.settings)
        while lines:
            answer = self.es.bulk(operations=lines, require_alias=True)
            again: list[dict[str, Any]] = []
            for i, item in enumerate(answer["items"]):
                result = item["index"]
                status = int(result.get("status", 500))
                if 200 <= status < 300:
                    continue
                if retriable_status(status) or status == 404:
                    again += lines[2 * i : 2 * i + 2]
                else:
                    log.error("alert not indexed", extra={"error": str(result.get("error"))[:300]})
            if again:
                metrics.RETRIES.labels(reason="index_items").inc()
                self.wait(1.0)
            lines = again

    def _dead_letter(self, record: Record, error: Exception) -> None:
        letter = DeadLetter.of_record("notifier", error, record)
        self.retrying(lambda: send_dead_letter(self.producer, self.settings, letter),
                      "dead letter")  # fmt: skip
        metrics.DEAD_LETTERS.inc()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.notifiers.close()
