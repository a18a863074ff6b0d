"""The alerter loops' batching: what one ``step`` hands to ``handle``."""

from __future__ import annotations

import threading
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
        offsets = self.polls.pop(0) if self.polls else []
        return {TP: [_Message(o) for o in offsets[:max_records]]} if offsets else {}

    def commit(self, offsets: Any) -> None:
        self.committed.append(offsets)


class _Loop(ConsumerLoop):
    def __init__(self, consumer: _Consumer, gather_s: float) -> None:
        super().__init__(consumer, threading.Event(), idle_seconds=5.0)  # type: ignore[arg-type]
        self.gather_s = gather_s
        self.batches: list[list[int]] = []

    def handle(self, records: list[Record]) -> None:
        self.batches.append([r.offset for r in records])


def test_a_gathering_loop_handles_a_burst_split_over_polls_as_one_batch() -> None:
    consumer = _Consumer([[0, 1], [2], [3, 4], [], [5]])
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
