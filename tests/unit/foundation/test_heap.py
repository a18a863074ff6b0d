"""Free heap memory goes back to the OS after growth, and not more often than asked."""

from __future__ import annotations

import psutil
import pytest

from newsstream.heap import HeapTrimmer, resident_bytes, supported, trim

MIB = 2**20


def _trimmer(now: list[float], size: list[int]) -> HeapTrimmer:
    if not supported():
        pytest.skip("this C library has no malloc_trim (not glibc): trimming is a no-op")
    return HeapTrimmer(
        every_s=60.0, grown_bytes=4 * MIB, clock=lambda: now[0], resident=lambda: size[0]
    )


def test_trimmer_trims_after_growth_not_on_a_flat_heap() -> None:
    """The first soak fix waited for a lull a steady stream never has; growth is the signal."""
    now, size = [1000.0], [70 * MIB]
    trimmer = _trimmer(now, size)
    assert not trimmer.maybe_trim()  # the first call only takes the floor
    now[0] += 600.0
    size[0] += 3 * MIB
    assert not trimmer.maybe_trim()  # grown, but not by enough to be worth a trim
    size[0] += 2 * MIB  # a backlog: +5 MiB over the floor
    assert trimmer.maybe_trim()


def test_trimmer_runs_at_most_once_per_interval() -> None:
    now, size = [1000.0], [70 * MIB]
    trimmer = _trimmer(now, size)
    trimmer.maybe_trim()
    size[0] += 10 * MIB
    assert trimmer.maybe_trim()
    size[0] += 10 * MIB  # the trim gave nothing back (the fake never shrinks) and it grew again
    now[0] += 59.0
    assert not trimmer.maybe_trim()
    now[0] += 1.0
    assert trimmer.maybe_trim()


def test_trimmer_lowers_its_floor_when_memory_shrinks() -> None:
    now, size = [1000.0], [80 * MIB]
    trimmer = _trimmer(now, size)
    trimmer.maybe_trim()
    size[0] = 70 * MIB
    assert not trimmer.maybe_trim()
    size[0] = 75 * MIB  # +5 over the new floor, +-5 over the first
    assert trimmer.maybe_trim()


def test_resident_bytes_reads_this_process() -> None:
    measured = resident_bytes()
    if measured is None:
        pytest.skip("no /proc/self/statm on this system")
    assert abs(measured - psutil.Process().memory_info().rss) < 8 * MIB


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


_BACKLOG = """
import sys, psutil
from newsstream.heap import keep_big_buffers_out_of_the_heap
if sys.argv[1] == "fixed":
    assert keep_big_buffers_out_of_the_heap()
rss = psutil.Process().memory_info
del bytearray(4 * 2**20)[:]  # one big buffer freed: glibc raises its mmap threshold past 4 MiB
before = rss().rss
big, pins = [], []
for _ in range(48):  # a backlog: 1 MiB buffers with small long-lived allocations between
    big.append(bytearray(2**20))
    pins.append(bytearray(600))
del big
print((rss().rss - before) / 2**20)
"""


def _kept_mib(mode: str) -> float:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _BACKLOG, mode], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return float(out.stdout)


def test_a_backlogs_big_buffers_go_back_to_the_os_when_freed() -> None:
    """Before: glibc's dynamic mmap threshold put a backlog's buffers in the heap, between
    small allocations that pin it; freed, they stayed resident (only a trim could help)."""
    if not supported():
        pytest.skip("this C library has no mallopt/malloc_trim (not glibc)")
    assert _kept_mib("dynamic") > 32  # what glibc does by default: the step that stays
    assert _kept_mib("fixed") < 8
