"""Free heap memory goes back to the OS in a lull, and not more often than asked."""

from __future__ import annotations

import psutil
import pytest

from newsstream.heap import HeapTrimmer, trim


def test_trimmer_runs_at_most_once_per_interval() -> None:
    now = [1000.0]
    trimmer = HeapTrimmer(every_s=60.0, clock=lambda: now[0])
    if not trimmer.in_lull():
        pytest.skip("this C library has no malloc_trim (not glibc): trimming is a no-op")
    now[0] += 59.0
    assert not trimmer.in_lull()
    now[0] += 1.0
    assert trimmer.in_lull() and trimmer.trims == 2


def test_trim_gives_a_fragmented_heap_back() -> None:
    """What the indexer's memory did after an outage: most of a backlog's objects freed, a
    few kept, scattered over the heap, so glibc cannot shrink it by itself."""
    rss = psutil.Process().memory_info
    blocks = [bytes(1024) + bytes([i % 256]) for i in range(60_000)]  # ~60 MB
    kept = blocks[::10]
    del blocks
    before = rss().rss
    if not trim():
        pytest.skip("this C library has no malloc_trim (not glibc): trimming is a no-op")
    released = before - rss().rss
    assert released > 20 * 2**20, f"only {released / 2**20:.1f} MiB released"
    assert len(kept) == 6_000
