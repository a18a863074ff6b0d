"""Syndicated copies (pure): word shingles, MinHash signatures, LSH band keys, the verdict.

An agency story reaches readers through many outlets, each with its own URL (so its own
article id), a lead of its own, a few words changed, the tail cut. Exact hashes miss all of
that; MinHash over word shingles estimates how much two bodies share, and LSH banding
finds the few earlier articles worth comparing without comparing with all of them.

The verdict uses *containment* (the share of the shorter body's shingles found in the
other), estimated from the MinHash Jaccard and the two shingle counts: a copy cut to half
the length has a Jaccard of only ~0.5 but a containment near 1. A small Jaccard floor keeps
a 40-word item from being called a copy of a 2,000-word article that quotes it.

Where the state lives (the index of earlier signatures) is the poller's business
(``newsstream.poller.stories``); this module only computes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

#: Words per shingle. 3 measured best on the dev articles with synthetic copies (bench/
#: dedupe.py): with 5, every edited word spoils five shingles and lightly edited copies fell
#: below any safe threshold; unrelated German news still shares almost no 3-word shingles.
SHINGLE_WORDS = 3
NUM_PERM = 120
#: 60 bands of 2 rows: a pair with Jaccard 0.2 is a candidate with probability ~0.91, 0.3
#: with ~0.996; a chance pair (Jaccard ~0.02) with ~0.02, and candidates are ranked by the
#: number of bands they share, so chance collisions are compared last, if at all.
BANDS = 60
ROWS = NUM_PERM // BANDS
#: A copy holds at least half of the shorter text's shingles ("more than half of it is
#: the same text") ...
MIN_CONTAINMENT = 0.5
#: ... and the two share at least this Jaccard (no short item is a "copy" of a long one).
MIN_JACCARD = 0.20
#: Bodies with fewer words are never compared (one-line tickers).
MIN_WORDS = 20
SEED = 18
#: datasketch's permutation scheme, named so stored signatures stay comparable across its
#: releases (2.0 changed the default; signatures of two schemes cannot be compared).
SCHEME = "affine32"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Fingerprint:
    """What the index keeps of one body: the MinHash signature and its shingle count."""

    signature: np.ndarray
    shingles: int

    def to_bytes(self) -> bytes:
        return self.signature.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, shingles: int) -> Fingerprint:
        return cls(np.frombuffer(data, dtype="<u4").astype(np.uint64), shingles)


@dataclass(frozen=True)
class Similarity:
    jaccard: float
    containment: float

    @property
    def is_copy(self) -> bool:
        return self.containment >= MIN_CONTAINMENT and self.jaccard >= MIN_JACCARD


def words(text: str) -> list[str]:
    """Lower-cased words; punctuation, quotes and whitespace differences do not count."""
    return _WORD.findall(text.lower())


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    tokens = words(text)
    if len(tokens) < size:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(tokens[i : i + size]).encode() for i in range(len(tokens) - size + 1)}


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The MinHash permutations, made once (datasketch draws them per instance otherwise)."""
    perms: tuple[np.ndarray, np.ndarray] = MinHash(
        num_perm=NUM_PERM, seed=SEED, scheme=SCHEME
    ).permutations
    return perms


def fingerprint(text: str) -> Fingerprint | None:
    """The body's fingerprint, or None when it is too short to compare."""
    if len(words(text)) < MIN_WORDS:
        return None
    grams = shingles(text)
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=_permutations(), scheme=SCHEME)
    minhash.update_batch(list(grams))
    return Fingerprint(np.asarray(minhash.hashvalues, dtype=np.uint64), len(grams))


def band_keys(fp: Fingerprint) -> list[int]:
    """One signed 64-bit key per LSH band (SQLite INTEGER), stable across processes."""
    sig = fp.signature.astype("<u4")
    keys = []
    for band in range(BANDS):
        chunk = sig[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(16, "little"))
        keys.append(int.from_bytes(digest.digest(), "little", signed=True))
    return keys


def similarity(a: Fingerprint, b: Fingerprint) -> Similarity:
    """Estimated Jaccard and containment of two bodies from their fingerprints."""
    jaccard = float(np.count_nonzero(a.signature == b.signature)) / len(a.signature)
    shared = jaccard * (a.shingles + b.shingles) / (1.0 + jaccard)
    smaller = max(1, min(a.shingles, b.shingles))
    return Similarity(jaccard, min(1.0, shared / smaller))


def best_match(
    fp: Fingerprint, candidates: list[tuple[str, Fingerprint]]
) -> tuple[str, Similarity] | None:
    """The candidate that ``fp`` is a copy of (highest containment, then Jaccard, then id)."""
    found = [(cid, similarity(fp, other)) for cid, other in candidates]
    copies = [(cid, sim) for cid, sim in found if sim.is_copy]
    if not copies:
        return None
    return min(copies, key=lambda c: (-c[1].containment, -c[1].jaccard, c[0]))
