"""The poller's CPU queue: one piece of work at a time, the lowest priority first."""

from __future__ import annotations

import asyncio
import threading
import time

from newsstream.poller.entries import CpuQueue


def test_waiting_work_runs_by_priority_not_by_arrival_and_one_at_a_time() -> None:
    async def main() -> list[str]:
        queue = CpuQueue()
        gate = threading.Event()
        done: list[str] = []
        running = [0, 0]  # now, most at once

        def work(name: str) -> str:
            running[0] += 1
            running[1] = max(running[1], running[0])
            if name == "first":
                gate.wait(5)
            time.sleep(0.01)
            running[0] -= 1
            done.append(name)
            return name

        first = asyncio.create_task(queue.run((0.0, 0), work, "first"))
        await asyncio.sleep(0.05)  # "first" holds the thread; the others arrive in this order
        later = [
            asyncio.create_task(queue.run(p, work, name))
            for p, name in [((5.0, 0), "newest"), ((1.0, 1), "oldest-b"), ((1.0, 0), "oldest-a")]
        ]
        await asyncio.sleep(0.05)
        gate.set()
        results = await asyncio.gather(first, *later)
        assert results == ["first", "newest", "oldest-b", "oldest-a"]  # each gets its own result
        assert running[1] == 1
        return done

    assert asyncio.run(main()) == ["first", "oldest-a", "oldest-b", "newest"]


def test_a_cancelled_waiter_does_not_hold_up_the_queue() -> None:
    async def main() -> list[str]:
        queue = CpuQueue()
        gate = threading.Event()
        done: list[str] = []

        def work(name: str) -> None:
            if name == "first":
                gate.wait(5)
            done.append(name)

        first = asyncio.create_task(queue.run((0.0, 0), work, "first"))
        await asyncio.sleep(0.05)
        gone = asyncio.create_task(queue.run((1.0, 0), work, "gone"))
        kept = asyncio.create_task(queue.run((2.0, 0), work, "kept"))
        await asyncio.sleep(0.05)
        gone.cancel()
        gate.set()
        await asyncio.wait_for(asyncio.gather(first, kept), timeout=5)
        assert gone.cancelled()
        late = await asyncio.wait_for(queue.run((0.0, 0), work, "late"), timeout=5)
        assert late is None
        return done

    assert asyncio.run(main()) == ["first", "kept", "late"]
