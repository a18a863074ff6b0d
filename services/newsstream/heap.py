"""Giving freed heap memory back to the operating system (glibc), at most now and then.

A long-running role that once handled a large batch - the indexer catching up after an
Elasticsearch outage - keeps the memory glibc's allocator holds for it: Python freed the
objects, but the arenas stay mapped, so the resident size steps up after every backlog and
never comes down. The 20-minute soak showed exactly that: the indexer flat between faults,
+16 MB after the first broker restart and Elasticsearch outage, never returned; the same
outage reproduced in one process grew the resident size by 20 MB while Python's own
allocations (tracemalloc) grew by 0.1 MB, and ``malloc_trim(0)`` brought it back below where
it started. It hands the free pages back (the technique Dask's workers use); it costs about a
millisecond, so it runs only when idle and at most once per interval. On a C library without
it (musl, macOS) it is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

#: Lulls closer together than this share one trim.
TRIM_EVERY_S = 60.0


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], Any] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        trim: Callable[[int], Any] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def supported() -> bool:
    """Whether this C library can give memory back (glibc)."""
    return _malloc_trim() is not None


def trim() -> bool:
    """Collect cyclic garbage, then return free heap pages to the OS; False if unsupported."""
    release = _malloc_trim()
    if release is None:
        return False
    gc.collect()
    release(0)
    return True


class HeapTrimmer:
    """``in_lull()`` trims when the last trim is at least ``every_s`` ago."""

    def __init__(
        self, every_s: float = TRIM_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every_s = every_s
        self.clock = clock
        self._last: float | None = None
        self.trims = 0

    def in_lull(self) -> bool:
        now = self.clock()
        if self._last is not None and now - self._last < self.every_s:
            return False
        self._last = now
        if trim():
            self.trims += 1
            return True
        return False
