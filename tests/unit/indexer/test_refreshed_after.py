"""The refresh that makes a batch searchable runs only after it and every earlier batch are
written (newsstream.indexer.loop.refreshed_after): pure future logic, real threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from newsstream.indexer.loop import refreshed_after
from newsstream.indexer.writer import WriteResult


@pytest.fixture
def refresher() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown(wait=True)


def test_the_refresh_waits_for_an_earlier_batch_still_being_written(
    refresher: ThreadPoolExecutor,
) -> None:
    earlier: Future[WriteResult] = Future()
    written: Future[WriteResult] = Future()
    events: list[str] = []
    refreshed = threading.Event()

    def refresh() -> None:
        events.append("refresh")
        refreshed.set()

    done = refreshed_after(written, [earlier], refresher, refresh)
    result = WriteResult(written=3)
    written.set_result(result)  # this batch first, on another writer
    assert not refreshed.wait(0.2) and not done.done()
    events.append("earlier written")
    earlier.set_result(WriteResult(written=1))
    assert done.result(timeout=5) is result
    assert events == ["earlier written", "refresh"]


def test_a_batch_already_written_before_is_not_waited_for(
    refresher: ThreadPoolExecutor,
) -> None:
    earlier: Future[WriteResult] = Future()
    earlier.set_result(WriteResult())
    written: Future[WriteResult] = Future()
    calls: list[int] = []
    done = refreshed_after(written, [earlier], refresher, lambda: calls.append(1))
    written.set_result(WriteResult(written=2))
    assert done.result(timeout=5).written == 2 and calls == [1]


@pytest.mark.parametrize("failing", ["written", "earlier", "refresh"])
def test_any_failure_becomes_the_futures_and_nothing_stays_pending(
    refresher: ThreadPoolExecutor, failing: str
) -> None:
    earlier: Future[WriteResult] = Future()
    written: Future[WriteResult] = Future()
    calls: list[int] = []

    def refresh() -> None:
        calls.append(1)
        if failing == "refresh":
            raise RuntimeError("refresh failed")

    done = refreshed_after(written, [earlier], refresher, refresh)
    for name, future in (("earlier", earlier), ("written", written)):
        if name == failing:
            future.set_exception(RuntimeError(f"{name} failed"))
        else:
            future.set_result(WriteResult())
    with pytest.raises(RuntimeError, match=f"{failing} failed"):
        done.result(timeout=5)
    assert calls == ([1] if failing == "refresh" else [])  # not searchable: no refresh
