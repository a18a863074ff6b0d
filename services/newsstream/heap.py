"""Giving freed heap memory back to the operating system (glibc) after a backlog.

A long-running role that once handled a large batch - the indexer catching up after an
Elasticsearch outage - keeps the memory glibc's allocator holds for it: Python freed the
objects, but the arenas stay mapped, so the resident size steps up after every backlog and
never comes down. The 20-minute soak showed exactly that: the indexer flat between faults,
+10 MB after the first Elasticsearch outage, never returned; the same outage reproduced in
one process grew the resident size by 20 MB while Python's own allocations (tracemalloc)
grew by 0.1 MB, and ``malloc_trim(0)`` brought it back below where it started. It hands the
free pages back (the technique Dask's workers use).

When to trim is measured, not guessed: a first version waited for a lull (an empty poll
with nothing being written), which a steady stream of two articles a second never has, so
the step stayed. Now the owner calls :meth:`HeapTrimmer.maybe_trim` whenever it is between
batches; it trims when the resident size has grown by ``grown_bytes`` since the last trim,
at most once per ``every_s``. On a C library without ``malloc_trim`` (musl, macOS) it is a
no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import time
from collections.abc import Callable
from functools import cache
from typing import Any

#: Trims closer together than this are merged into one.
TRIM_EVERY_S = 60.0
#: Growth of the resident size since the last trim that is worth giving back.
TRIM_GROWN_BYTES = 4 * 2**20

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int | None:
    """This process's resident size, from ``/proc`` (one small read); None where absent."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


@cache
def _libc_function(name: str) -> Callable[..., Any] | None:
    """``name`` from the C library, if it has it (glibc does; musl and macOS lack some)."""
    try:
        function: Callable[..., Any] = getattr(
            ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name
        )
    except (OSError, AttributeError):
        return None
    return function


def _malloc_trim() -> Callable[..., Any] | None:
    return _libc_function("malloc_trim")


#: ``mallopt`` parameter number of glibc's mmap threshold (malloc.h).
_M_MMAP_THRESHOLD = -3
#: Allocations at least this big get their own mapping, returned to the OS when freed.
MMAP_THRESHOLD_BYTES = 128 * 1024


def keep_big_buffers_out_of_the_heap() -> bool:
    """Fix glibc's mmap threshold at its default (128 KiB); False where unsupported.

    glibc raises the threshold each time a mapped buffer is freed (up to 32 MiB), so after
    the first big bulk body or Kafka fetch, later ones are carved from the heap arenas, where
    a backlog's buffers stay resident. Fixed, they are unmapped as soon as they are freed:
    a 20 s Elasticsearch outage left the indexer +5.1 MB after a trim, +3.4 MB with this.
    """
    mallopt = _libc_function("mallopt")
    return mallopt is not None and bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


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
    """Trims when the resident size grew by ``grown_bytes`` since the last trim (or since the
    first call), at most once per ``every_s``."""

    def __init__(
        self,
        every_s: float = TRIM_EVERY_S,
        grown_bytes: int = TRIM_GROWN_BYTES,
        clock: Callable[[], float] = time.monotonic,
        resident: Callable[[], int | None] = resident_bytes,
    ) -> None:
        self.every_s = every_s
        self.grown_bytes = grown_bytes
        self.clock = clock
        self.resident = resident
        self._last: float | None = None
        self._floor: int | None = None

    def maybe_trim(self) -> bool:
        """Trim if it is worth it and allowed now; True if memory was handed back."""
        now = self.clock()
        if self._last is not None and now - self._last < self.every_s:
            return False
        size = self.resident()
        if size is None or not supported():
            return False
        if self._floor is None or size < self._floor:
            self._floor = size
            return False
        if size - self._floor < self.grown_bytes:
            return False
        self._last = now
        trim()
        self._floor = self.resident() or size
        return True
