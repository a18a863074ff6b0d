"""The consumer watchdog's three verdicts, on a scripted consumer and clock."""

from __future__ import annotations

from typing import Any

import pytest

from newsstream.errors import ConsumerStalledError
from newsstream.watchdog import SPIN_WINDOW_S, STALL_EXIT_CODE, Watchdog


class TP:
    def __init__(self, partition: int) -> None:
        self.topic, self.partition = "t", partition

    def __hash__(self) -> int:
        return self.partition

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TP) and other.partition == self.partition


class Consumer:
    def __init__(self, assigned: int = 2) -> None:
        self.positions = {TP(p): 0 for p in range(assigned)}

    def assignment(self) -> set[Any]:
        return set(self.positions)

    def position(self, tp: Any) -> int:
        return self.positions[tp]

    def highwater(self, tp: Any) -> int:
        return 10

    def paused(self) -> set[Any]:
        return set()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _watchdog(consumer: Consumer, clock: Clock, lag: int = 5, **kw: Any) -> Watchdog:
    return Watchdog(consumer, "extractor", stall_s=120, join_grace_s=60,
                    lag=lambda: lag, clock=clock, **kw)  # fmt: skip


def test_watchdog_stops_a_consumer_whose_positions_do_not_move_while_records_wait() -> None:
    consumer, clock = Consumer(), Clock()
    dog = _watchdog(consumer, clock)
    for _ in range(119):
        clock.now += 1
        dog.polled(0)
        dog.check()
    clock.now += 2
    with pytest.raises(ConsumerStalledError) as caught:
        dog.check()
    assert "stalled: lag 5" in str(caught.value)
    assert caught.value.exit_code == STALL_EXIT_CODE


def test_watchdog_moving_positions_or_no_lag_is_not_a_stall() -> None:
    consumer, clock = Consumer(), Clock()
    moving = _watchdog(consumer, clock)
    idle = _watchdog(Consumer(), clock, lag=0)
    for step in range(600):
        clock.now += 1
        consumer.positions[TP(0)] = step  # progress
        moving.check()
        idle.check()


def test_watchdog_waiting_on_purpose_is_not_a_stall() -> None:
    consumer, clock = Consumer(), Clock()
    dog = _watchdog(consumer, clock)
    dog.waiting(True)
    for _ in range(600):
        clock.now += 1
        dog.check()
    dog.waiting(False)
    clock.now += 60
    dog.check()  # the stall clock restarted when the wait ended


def test_watchdog_stops_a_busy_empty_poll_loop() -> None:
    consumer, clock = Consumer(), Clock()
    dog = _watchdog(consumer, clock, lag=0)
    with pytest.raises(ConsumerStalledError, match="spinning"):
        for _ in range(int(SPIN_WINDOW_S * 100) + 200):
            clock.now += 0.01  # 100 empty polls a second
            consumer.positions[TP(0)] += 0  # no progress
            dog.polled(0)
            dog.check()


def test_watchdog_normal_poll_rate_is_not_spinning() -> None:
    consumer, clock = Consumer(), Clock()
    dog = _watchdog(consumer, clock, lag=0)
    for _ in range(1000):
        clock.now += 0.1  # 10 polls a second with a timeout, as the workers poll
        dog.polled(0)
        dog.check()


def test_watchdog_unassigned_member_of_a_group_with_spare_partitions_is_stopped() -> None:
    clock = Clock()
    dog = _watchdog(Consumer(assigned=0), clock, group_shape=lambda: (6, 2))
    clock.now += 59
    dog.check()
    clock.now += 2
    with pytest.raises(ConsumerStalledError, match="unassigned"):
        dog.check()


def test_watchdog_unassigned_member_of_a_full_group_is_fine() -> None:
    clock = Clock()
    full = _watchdog(Consumer(assigned=0), clock, group_shape=lambda: (3, 4))
    unknown = _watchdog(Consumer(assigned=0), clock)
    for _ in range(300):
        clock.now += 1
        full.check()
        unknown.check()


class Cpu:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def test_watchdog_stops_an_idle_process_that_burns_a_core() -> None:
    """Seen with kafka-python 3.0: an idle extractor at 85 % of a core, polls at a normal rate."""
    consumer, clock, cpu = Consumer(), Clock(), Cpu()
    dog = _watchdog(consumer, clock, lag=0, cpu=cpu)
    with pytest.raises(ConsumerStalledError, match="while idle"):
        for _ in range(300):
            clock.now += 0.5
            cpu.seconds += 0.45  # 90 % of a core
            dog.polled(0)
            dog.check()


def test_watchdog_work_between_polls_is_not_burning() -> None:
    consumer, clock, cpu = Consumer(), Clock(), Cpu()
    dog = _watchdog(consumer, clock, lag=0, cpu=cpu)
    for _ in range(20):
        dog.polled(32)  # a batch...
        clock.now += 12
        cpu.seconds += 12  # ...processed at full speed for 12 s
        dog.progress()
        for _ in range(40):  # then idle, as it should be
            clock.now += 0.5
            cpu.seconds += 0.005
            dog.polled(0)
            dog.check()
