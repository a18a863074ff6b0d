"""The cyclic garbage collector set for a streaming role: CPU, not memory.

A role parses a stream of messages into many small container objects that live for a batch
(an enriched article is a few hundred: pydantic models of 16 entities with their offsets, 8
quotations, their documents). CPython's default thresholds (700, 10, 10) run a young
collection every 700 allocations and traverse each survivor again in the older generations:
with a batch of articles alive, that was 40 % of the time to parse one (0.43 against 0.26 ms
per article with a young threshold of 20,000), and the indexer's own CPU for 2,000 articles
fell from 3.0 to 2.3 s (``bench/index.py``). What is alive once a role has started (modules,
the spaCy pipeline, clients) is frozen out of the collector: it is never garbage, and every
full collection would traverse it again.

Reference counting still frees at once everything that is not in a cycle; the higher
threshold only lets cyclic garbage wait a little longer (a few MB at most).

Only the indexer uses it, where it was measured to help. The extractor does not: spaCy's
pipeline ran ~15 % slower with it (``bench/extract.py``, interleaved runs with and without:
full extraction 17.8 and 16.3 against 21.0 and 18.9 articles/s, bare ``nlp.pipe`` slower
alike), so the collector's defaults stay there; the poller and the alerter were not measured
and keep the defaults too.
"""

from __future__ import annotations

import gc

#: Allocations (minus deallocations) of container objects between young collections.
YOUNG_THRESHOLD = 20_000
#: Young collections per middle one, middle ones per full one (CPython's defaults are 10, 10).
OLDER_THRESHOLDS = (20, 10)


def tune_for_streaming() -> None:
    """Call once a role's setup is done (models loaded, clients made), before its loop."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
