"""The alerter loops' batching: what one ``step`` hands to ``handle``."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from kafka.structs import TopicPartition

from newsstream.alerts.loop import ConsumerLoop, Record

TP = TopicPartition("news.indexed", 0)


class _Message:
    def __init__(self, offset: int) -> None:
        self.offset, self.key, self.value = offset, b"k", b"v"


class _Consumer:
    """Returns the scripted polls in order (then nothing) and records the timeouts asked."""

    def __init__(self, polls: list[list[int]]) -> None:
        self.polls = polls
        self.timeouts: list[int] = []
        self.committed: list[Any] = []

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[_Message]]:
        self.timeouts.append(timeout_ms)
        if not self.polls:  # nothing scripted: wait as a real poll does
            time.sleep(timeout_ms / 1000)
            return {}
        offsets = self.polls.pop(0)
        return {TP: [_Message(o) for o in offsets[:max_records]]} if offsets else {}

    def commit(self, offsets: Any) -> None:
        self.committed.append(offsets)


class _Loop(ConsumerLoop):
    def __init__(self, consumer: _Consumer, gather_s: float, every_s: float = 0.0) -> None:
        super().__init__(consumer, threading.Event(), idle_seconds=5.0)  # type: ignore[arg-type]
        self.gather_s = gather_s
        self.handle_every_s = every_s
        self.batches: list[list[int]] = []
        self.handled_at: list[float] = []

    def handle(self, records: list[Record]) -> None:
        self.batches.append([r.offset for r in records])
        self.handled_at.append(time.monotonic())


def test_a_gathering_loop_handles_a_burst_split_over_polls_as_one_batch() -> None:
    consumer = _Consumer([[0, 1], [2], [3, 4], [], [5], []])
    loop = _Loop(consumer, gather_s=0.03)
    assert loop.step() == 5
    assert loop.batches == [[0, 1, 2, 3, 4]]
    assert consumer.timeouts == [200, 30, 30, 30]  # gathering stops at the first empty poll
    assert consumer.committed[-1][TP].offset == 5
    assert loop.step() == 1 and loop.batches[-1] == [5]


def test_a_loop_without_gathering_handles_each_poll_on_its_own() -> None:
    loop = _Loop(_Consumer([[0, 1], [2]]), gather_s=0.0)
    loop.step()
    loop.step()
    assert loop.batches == [[0, 1], [2]]


def test_records_coming_before_the_next_handle_is_due_are_handled_together_then() -> None:
    """The matcher's ``alert_match_every_s``: one match per interval, however records come."""
    consumer = _Consumer([[0], [], [1], [], [2]])
    loop = _Loop(consumer, gather_s=0.0, every_s=0.3)
    loop.step()
    loop.step()
    assert loop.batches == [[0], [1, 2]]
    assert loop.handled_at[1] - loop.handled_at[0] >= 0.3


class _TimedConsumer(_Consumer):
    """One record at each of the given times (seconds after creation), as a real poll sees
    them: a poll returns as soon as a record is due, or after its timeout."""

    def __init__(self, times: list[float]) -> None:
        super().__init__([])
        self.start = time.monotonic()
        self.times = times
        self.next = 0

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[_Message]]:
        self.timeouts.append(timeout_ms)
        deadline = time.monotonic() + timeout_ms / 1000
        while self.next < len(self.times):
            due = self.start + self.times[self.next]
            if due <= time.monotonic():
                self.next += 1
                return {TP: [_Message(self.next - 1)]}
            if due > deadline:
                break
            time.sleep(due - time.monotonic())
        time.sleep(max(0.0, deadline - time.monotonic()))
        return {}


def test_records_coming_once_a_period_wait_the_same_each_time_not_longer_and_longer() -> None:
    """Before: the next slot was counted from the end of the gathering, so each match started
    a gather later than the one before; records coming once a period (as the indexer's
    announcements did, 0.5 s apart) waited 0.05, 0.10, 0.15, 0.20 ... s. Now the slots keep
    their grid and the wait stays that of the first held-back record."""
    every, gather = 0.4, 0.05
    times = [every * k for k in range(7)]
    consumer = _TimedConsumer(times)
    loop = _Loop(consumer, gather_s=gather, every_s=every)  # type: ignore[arg-type]
    while consumer.next < len(times):  # each step handles what it polled
        loop.step()
    waits = [
        at - consumer.start - times[batch[0]]
        for at, batch in zip(loop.handled_at, loop.batches, strict=True)
    ]
    assert [len(batch) for batch in loop.batches] == [1] * len(times)
    assert max(waits) < 0.17, [round(w, 3) for w in waits]
    # still one match per period: starts never closer than a period, less one gather
    starts = loop.handled_at
    assert min(b - a for a, b in itertools.pairwise(starts)) > every - gather - 0.02
