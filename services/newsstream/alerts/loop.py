"""What the alerter's two consumer loops share: poll, back off without leaving the group,
commit after the output is durable, and know when they are idle.

Each loop owns one consumer and runs in its own thread (Kafka consumers are not shared
between threads). Waiting for Elasticsearch, Kafka or a webhook happens with the partitions
paused while the consumer keeps polling, as in the indexer: an outage pauses a loop, it never
drops a record or loses its group.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any, TypeVar

from kafka import KafkaConsumer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from tenacity import RetryCallState, Retrying, retry_if_exception

from newsstream.alerts import metrics
from newsstream.bus import commit_offsets, paused
from newsstream.indexer.writer import BACKOFF, retriable_service_error
from newsstream.watchdog import Watchdog, waiting

log = logging.getLogger(__name__)

T = TypeVar("T")

#: While waiting with its partitions paused, a loop polls this often to stay in its group.
POLL_EVERY_S = 0.1
#: Records one step takes at most.
MAX_RECORDS = 500


class Interrupted(Exception):
    """Shutdown came while waiting: the batch in hand stays uncommitted (it is redone)."""


@dataclass
class Record:
    tp: TopicPartition
    offset: int
    key: bytes | None
    value: bytes | None


class ConsumerLoop:
    """Base of the matcher and the notifier: ``step()`` handles one polled batch."""

    role = "alerter"
    #: Once a poll brought records, keep polling while each poll of this long brings more
    #: (0: take what one poll brings). See ``Matcher.gather_s``.
    gather_s = 0.0
    #: ``handle`` calls start on a grid of this period: records that come before the next
    #: slot are gathered until then (0: no grid, each poll's records at once).
    handle_every_s = 0.0

    def __init__(
        self,
        consumer: KafkaConsumer,
        stop: threading.Event,
        idle_seconds: float,
        watchdog: Watchdog | None = None,
    ) -> None:
        self.consumer = consumer
        self.stop = stop
        self.idle_seconds = idle_seconds
        self.watchdog = watchdog
        self._carry: list[Record] = []
        self._last_record = time.monotonic()
        self._next_handle = float("-inf")
        #: Set by the loop's own thread: quiet for ``idle_seconds`` and caught up.
        self.idle = False

    # --- polling ----------------------------------------------------------------------
    def poll(self, timeout_s: float, max_records: int = MAX_RECORDS) -> list[Record]:
        polled = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        records = [
            Record(tp, m.offset, m.key, m.value) for tp, msgs in polled.items() for m in msgs
        ]
        if self.watchdog is not None:
            self.watchdog.polled(len(records))
        return records

    def step(self) -> int:
        """Poll once, handle what came (committing it); the number of records handled."""
        if self.watchdog is not None:
            self.watchdog.check()
        records, self._carry = self._carry + self.poll(0.2), []
        held_back = bool(records) and time.monotonic() < self._next_handle
        if records and (self.gather_s > 0 or self.handle_every_s > 0):
            records += self.gather(MAX_RECORDS - len(records))
        if records:
            self._last_record = time.monotonic()
            # Records held back until their slot make the next slot one period after this
            # one, not after the end of the gathering: counted from there, every match started
            # a gather later than the one before, and records coming once a period (the
            # indexer's refreshes, 0.5 s apart like the matches) drifted until they waited up
            # to a whole period (alerts 0.35 s in the match stage instead of 0.09 s).
            start = self._next_handle if held_back else self._last_record
            self._next_handle = start + self.handle_every_s
            self.idle = False
            self.handle(records)
            self.commit(records)
        else:
            quiet = time.monotonic() - self._last_record >= self.idle_seconds
            self.idle = quiet and self.caught_up()
        return len(records)

    def gather(self, room: int) -> list[Record]:
        """The rest of a burst, and what comes until the next handle is due: records polled
        until a poll of ``gather_s`` brings none once it is due (or ``room`` are taken)."""
        more: list[Record] = []
        while len(more) < room and not self.stop.is_set():
            due = self._next_handle - time.monotonic()
            polled = self.poll(max(self.gather_s, due, 0.0), room - len(more))
            if not polled and due <= 0:
                break
            more += polled
        return more

    def handle(self, records: list[Record]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def caught_up(self) -> bool:
        """Every assigned partition consumed to the high watermark the fetches brought back."""
        assigned = self.consumer.assignment()
        if not assigned:
            return False
        try:
            for tp in assigned:
                highwater, position = self.consumer.highwater(tp), self.consumer.position(tp)
                if highwater is None:
                    highwater = self.consumer.end_offsets([tp]).get(tp)
                if highwater is None or position is None or position < highwater:
                    return False
        except (KafkaError, OSError):
            return False
        return True

    def commit(self, records: list[Record]) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for r in records:
            if r.tp not in offsets or r.offset + 1 > offsets[r.tp].offset:
                offsets[r.tp] = OffsetAndMetadata(r.offset + 1, "", -1)
        commit_offsets(self.consumer, offsets)

    # --- waiting ----------------------------------------------------------------------
    def wait(self, seconds: float) -> None:
        """Back off with the partitions paused, polling to stay in the group; records of
        partitions newly assigned meanwhile are kept for the next step."""
        if self.stop.is_set():
            raise Interrupted
        deadline = time.monotonic() + seconds
        with paused(self.consumer), waiting(self.watchdog):
            while (remaining := deadline - time.monotonic()) > 0:
                if self.stop.is_set():
                    raise Interrupted
                self._carry.extend(self.poll(min(remaining, 0.5)))

    def wait_for(self, futures: Sequence[Future[Any]]) -> None:
        """Wait for ``futures`` (deliveries on other threads), polling (paused) to stay in the
        group. The wait ends when the last future does: a paused poll of 0.1 s as the only
        clock held every batch ~0.1 s after a 5 ms delivery."""
        if all(f.done() for f in futures):
            return
        with paused(self.consumer), waiting(self.watchdog):
            while not wait_futures(futures, timeout=POLL_EVERY_S).done.issuperset(futures):
                self._carry.extend(self.poll(0))

    def retrying(self, call: Callable[[], T], what: str) -> T:
        """``call`` until it succeeds, while Elasticsearch or Kafka is away (logged)."""

        def note(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            reason = retriable_service_error(error) if error else None
            metrics.RETRIES.labels(reason=reason or "unknown").inc()
            log.warning(
                f"{what}: {reason} unavailable, retrying",
                extra={"role": self.role, "error": f"{type(error).__name__}: {error}"[:300]},
            )

        runner: Retrying = Retrying(
            retry=retry_if_exception(lambda exc: retriable_service_error(exc) is not None),
            wait=BACKOFF,
            sleep=self.wait,
            before_sleep=note,
            reraise=True,
        )
        return runner(call)


def send_all(producer: Any, topic: str, items: list[tuple[bytes, bytes]]) -> None:
    """Produce ``(key, value)`` pairs and wait until Kafka has every one (``acks=all``)."""
    from newsstream.bus import SEND_TIMEOUT_S

    futures = [producer.send(topic, key=key, value=value) for key, value in items]
    for future in futures:
        future.get(timeout=SEND_TIMEOUT_S)
