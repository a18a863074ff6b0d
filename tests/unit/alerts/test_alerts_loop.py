"""The alerter loops' batching: what one ``step`` hands to ``handle``."""

from __future__ import annotations

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
