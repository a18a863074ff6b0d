"""The cyclic garbage collector set for a streaming role: CPU, not memory.

A role parses a stream of messages into many small container objects that live for a batch
(an enriched article is a few hundred: pydantic models of 16 entities with their offsets, 8
quotations, their documents). CPython's young collection runs whenever the count of container
objects (allocations minus deallocations) has grown by its threshold; with a batch of articles
alive, each one traverses the whole batch and moves it to the older generations, to be
traversed there again. At CPython's default of 700 that was 40 % of the time to parse one
(0.43 against 0.26 ms per article with a young threshold of 20,000). At 20,000 it was still
13-16 % of the indexer's CPU: 45 young collections in a 4,000-article run (36,000 documents)
took 0.42-0.47 s of its 2.6-2.9 s (the collector's own callbacks timed them).

The objects of a batch are freed by reference counting as soon as it is written: they never
need the collector. So the count only grows by what a role keeps and by cyclic garbage, which
is little (4,100 unreachable objects after those 4,000 articles with the collector off). The
young threshold is therefore a backstop (``YOUNG_THRESHOLD``), and the role collects itself
every ``COLLECT_EVERY_S`` (:class:`PeriodicCollector`): cyclic garbage waits at most that long
(a few thousand objects, a megabyte or two), and a full collection there traverses only what is
alive at that moment. With it, the same run spent 0.06-0.08 s in the collector.

What is alive once a role has started (modules, the spaCy pipeline, clients) is frozen out of
the collector: it is never garbage, and every full collection would traverse it again.

Only the indexer uses it, where it was measured to help. The extractor does not: spaCy's
pipeline ran ~15 % slower with the earlier setting (``bench/extract.py``, interleaved runs with
and without: full extraction 17.8 and 16.3 against 21.0 and 18.9 articles/s, bare
``nlp.pipe`` slower alike), so the collector's defaults stay there; the poller and the alerter
were not measured and keep the defaults too.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: Growth of the count of container objects (allocations minus deallocations) that starts a
#: young collection: a backstop (a million objects is ~100 MB), the periodic one does the work.
YOUNG_THRESHOLD = 1_000_000
#: Young collections per middle one, middle ones per full one (CPython's defaults are 10, 10).
OLDER_THRESHOLDS = (20, 10)


def tune_for_streaming() -> None:
    """Call once a role's setup is done (models loaded, clients made), before its loop."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)


#: Seconds between the full collections a tuned role makes (:class:`PeriodicCollector`).
COLLECT_EVERY_S = 10.0


class PeriodicCollector:
    """A full collection at most every ``every_s``, called from the role's loop.

    The time between them bounds how long cyclic garbage waits, whatever the allocation count
    does; under a backlog a collection costs tens of milliseconds every ten seconds.
    """

    def __init__(
        self, every_s: float = COLLECT_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every_s = every_s
        self.clock = clock
        self._last = clock()

    def maybe_collect(self) -> bool:
        """Collect if ``every_s`` has passed since the last collection; True if it did."""
        now = self.clock()
        if now - self._last < self.every_s:
            return False
        gc.collect()
        self._last = self.clock()
        return True
