"""The garbage collector's settings for a streaming role (newsstream.gctune)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from newsstream import gctune


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_tuning_freezes_what_is_alive_and_raises_the_young_threshold() -> None:
    alive_at_start = [[i] for i in range(1000)]  # stands for a loaded model's objects
    gctune.tune_for_streaming()
    assert gc.get_threshold() == (gctune.YOUNG_THRESHOLD, *gctune.OLDER_THRESHOLDS)
    assert gc.get_freeze_count() >= len(alive_at_start)
    tracked = {id(o) for o in gc.get_objects()}
    assert not any(id(o) in tracked for o in alive_at_start)  # the collector skips them now


@pytest.mark.usefixtures("restored_gc")
def test_cyclic_garbage_is_still_collected_after_tuning() -> None:
    gctune.tune_for_streaming()

    class Node:
        other: Node | None = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    assert gone() is not None  # a cycle: reference counting alone cannot free it
    gc.collect()
    assert gone() is None


def test_periodic_collector_collects_only_once_its_interval_has_passed() -> None:
    now = [100.0]
    collector = gctune.PeriodicCollector(every_s=10.0, clock=lambda: now[0])

    class Node:
        other: Node | None = None

    def cycle() -> weakref.ref[Node]:
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    gc.disable()  # only the collector may free the cycle
    try:
        gone = cycle()
        now[0] += 9.9
        assert not collector.maybe_collect()
        assert gone() is not None
        now[0] += 0.1
        assert collector.maybe_collect()
        assert gone() is None
        # the interval counts again from that collection
        gone = cycle()
        now[0] += 5.0
        assert not collector.maybe_collect()
        assert gone() is not None
    finally:
        gc.enable()
