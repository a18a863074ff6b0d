"""The story index: which earlier article a new one copies (syndicated agency stories).

**Where the LSH state lives, and why here.** The poller is newsstream's single writer of
``news.articles.raw``: one process sees every article once, in one order, before any extractor
does. Giving each article its ``story_id`` and ``duplicate_of`` there, inside the message,
means extractor workers need no shared state at all, a redelivered or re-extracted message
(``newsstream reprocess``) carries the same story id by construction, and nothing can race:
two extractor workers with their own indexes would each miss the copy the other is
processing. The index is two tables in the poller's SQLite file (signatures, and one row per
LSH band key), so it survives restarts without being held in memory; a poller whose state
was lost rebuilds it from the compacted raw topic, which holds every article's body and
story id (:mod:`newsstream.poller.recovery`).

An article keeps the story it was first given when it is edited (a new revision), so a story
id never moves under a reader's feet.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from newsstream.outlets.dedupe import Fingerprint, band_keys, best_match

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    article_id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL,
    duplicate_of TEXT,
    signature BLOB,
    shingles INTEGER NOT NULL DEFAULT 0,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS story_bands (
    band_key INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (band_key, article_id)
) WITHOUT ROWID;
"""
#: At most this many candidates are compared per article (a boilerplate-heavy outlet can put
#: thousands of articles into one bucket; the newest are the likely sources of a copy).
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class StoryAssignment:
    story_id: str
    duplicate_of: str | None
    #: Containment of the match (None: not a copy, or not compared).
    containment: float | None = None


class StoryIndex:
    """Story ids over the poller's SQLite connection (used from the poller's one thread)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.executescript(_SCHEMA)

    def known(self, article_id: str) -> StoryAssignment | None:
        row = self._db.execute(
            "SELECT story_id, duplicate_of FROM stories WHERE article_id = ?", (article_id,)
        ).fetchone()
        return StoryAssignment(row[0], row[1]) if row else None

    def assign(self, article_id: str, fp: Fingerprint | None) -> StoryAssignment:
        """The story of ``article_id``: its earlier one, that of the article it copies, or new.

        Deterministic for a given index: the same article gets the same answer again.
        """
        row = self._db.execute(
            "SELECT story_id, duplicate_of, signature IS NOT NULL FROM stories "
            "WHERE article_id = ?",
            (article_id,),
        ).fetchone()
        # Sticky: an article keeps its story, unless it had no text to compare yet (a feed
        # teaser) and now has (its page): then nothing can have joined it, so it may look.
        if row is not None and (row[2] or fp is None):
            return StoryAssignment(row[0], row[1])
        if fp is None:  # too short to compare: a story of its own
            story = StoryAssignment(article_id, None)
            self._record(article_id, story, None, [])
            return story
        keys = band_keys(fp)
        match = best_match(fp, self._candidates(keys, article_id))
        if match is None:
            story = StoryAssignment(article_id, None)
        else:
            source = self.known(match[0])
            assert source is not None
            root = source.duplicate_of or source.story_id
            story = StoryAssignment(source.story_id, root, round(match[1].containment, 3))
        self._record(article_id, story, fp, keys)
        return story

    def restore(self, article_id: str, story: StoryAssignment, fp: Fingerprint | None) -> None:
        """Put back what the raw topic says an article was given (recovery)."""
        if self.known(article_id) is None:
            self._record(article_id, story, fp, band_keys(fp) if fp else [])

    def _candidates(self, keys: list[int], article_id: str) -> list[tuple[str, Fingerprint]]:
        marks = ",".join("?" * len(keys))
        # most shared bands first: a real copy shares many, a chance collision one
        rows = self._db.execute(
            "SELECT s.article_id, s.signature, s.shingles FROM "  # noqa: S608
            f"(SELECT article_id, count(*) AS shared FROM story_bands WHERE band_key IN ({marks})"
            " GROUP BY article_id) b JOIN stories s ON s.article_id = b.article_id "
            "WHERE s.article_id != ? AND s.signature IS NOT NULL "
            "ORDER BY b.shared DESC, s.seen_at DESC, s.article_id LIMIT ?",
            (*keys, article_id, MAX_CANDIDATES),
        ).fetchall()
        return [(row[0], Fingerprint.from_bytes(row[1], row[2])) for row in rows]

    def _record(
        self,
        article_id: str,
        story: StoryAssignment,
        fp: Fingerprint | None,
        keys: list[int],
    ) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?, ?, ?)",
                (article_id, story.story_id, story.duplicate_of,
                 fp.to_bytes() if fp else None, fp.shingles if fp else 0, time.time()),
            )  # fmt: skip
            self._db.executemany(
                "INSERT OR IGNORE INTO story_bands VALUES (?, ?)",
                [(key, article_id) for key in keys],
            )

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM stories").fetchone()[0])
