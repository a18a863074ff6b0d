"""The poller's memory: feed validators and schedules, per-article revisions and hashes.

One SQLite file under ``settings.state_dir``. The service writes an article's row only
after Kafka acknowledged its message, and a feed's validators only after every entry of that
poll was handled, so a crash at any point means "fetch again", never "lost": the worst case
is a re-fetch, not a missing or re-published revision.

Per feed it also keeps what ``newsstream feeds list`` shows (last success, last error) and the
feed's own scheduling hints (``ttl`` floor, ``skipHours``), so a 304 answer, which carries no
body, still honours them. The story index (syndicated copies) shares the file:
:mod:`newsstream.poller.stories`.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from newsstream.poller.feeds import FeedSchedule

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    interval_s REAL,
    next_due REAL NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    canonical_url TEXT NOT NULL,
    revision INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feed_health (
    url TEXT PRIMARY KEY,
    floor_s REAL NOT NULL DEFAULT 0,
    skip_hours TEXT NOT NULL DEFAULT '',
    last_success REAL,
    last_error TEXT,
    last_error_at REAL
);
CREATE TABLE IF NOT EXISTS entries (
    entry_key TEXT PRIMARY KEY,
    feed_url TEXT,
    article_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class FeedRecord:
    etag: str | None
    last_modified: str | None
    schedule: FeedSchedule


@dataclass(frozen=True)
class FeedHealth:
    """What ``newsstream feeds list`` shows of one feed (times as Unix seconds)."""

    url: str
    next_due: float | None = None
    failures: int = 0
    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    floor_s: float = 0.0
    skip_hours: str = ""


@dataclass(frozen=True)
class ArticleRecord:
    article_id: str
    revision: int
    content_hash: str
    source: str


@dataclass(frozen=True)
class EntryRecord:
    article_id: str
    fingerprint: str
    source: str


class PollerState:
    """SQLite-backed state; one instance per process, used from one thread."""

    FILENAME = "poller.sqlite3"

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / self.FILENAME
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for the story index that shares this file (same thread)."""
        return self._db

    # --- feeds --------------------------------------------------------------------------

    def next_due_times(self) -> dict[str, float]:
        """Every stored feed's next poll time, in one query: the loop asks on every wake, and
        two queries per feed per wake (what it did) cost a core at a few thousand feeds."""
        return {url: due for url, due in self._db.execute("SELECT url, next_due FROM feeds")}

    def get_feed(self, url: str, default_interval_s: float) -> FeedRecord:
        row = self._db.execute(
            "SELECT etag, last_modified, interval_s, next_due, failures, unchanged "
            "FROM feeds WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return FeedRecord(None, None, FeedSchedule(interval_s=default_interval_s))
        sched = FeedSchedule(
            interval_s=row[2] or default_interval_s,
            next_due=row[3],
            failures=row[4],
            unchanged=row[5],
        )
        return FeedRecord(row[0], row[1], sched)

    def save_feed(
        self,
        url: str,
        schedule: FeedSchedule,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        validators: bool = False,
    ) -> None:
        """Store the schedule; the validators too when ``validators`` (only after success)."""
        now = time.time()
        self._db.execute(
            "INSERT INTO feeds (url, interval_s, next_due, failures, unchanged, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET"
            " interval_s = excluded.interval_s, next_due = excluded.next_due,"
            " failures = excluded.failures,"
            " unchanged = excluded.unchanged, updated_at = excluded.updated_at",
            (
                url,
                schedule.interval_s,
                schedule.next_due,
                schedule.failures,
                schedule.unchanged,
                now,
            ),
        )
        if validators:
            self._db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ? WHERE url = ?",
                (etag, last_modified, url),
            )

    def save_hints(self, url: str, *, floor_s: float, skip_hours: str) -> None:
        """The feed's own scheduling hints (``ttl``/``sy:*`` floor, ``skipHours``)."""
        self._db.execute(
            "INSERT INTO feed_health (url, floor_s, skip_hours) VALUES (?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET floor_s = excluded.floor_s,"
            " skip_hours = excluded.skip_hours",
            (url, floor_s, skip_hours),
        )

    def hints(self, url: str) -> tuple[float, str]:
        row = self._db.execute(
            "SELECT floor_s, skip_hours FROM feed_health WHERE url = ?", (url,)
        ).fetchone()
        return (float(row[0]), str(row[1])) if row else (0.0, "")

    def record_outcome(self, url: str, *, error: str | None) -> None:
        """A poll ended: success (``error`` None) or the reason it failed."""
        now = time.time()
        if error is None:
            self._db.execute(
                "INSERT INTO feed_health (url, last_success) VALUES (?, ?) "
                "ON CONFLICT(url) DO UPDATE SET last_success = excluded.last_success",
                (url, now),
            )
            return
        self._db.execute(
            "INSERT INTO feed_health (url, last_error, last_error_at) VALUES (?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET last_error = excluded.last_error,"
            " last_error_at = excluded.last_error_at",
            (url, error[:500], now),
        )

    def feed_health(self) -> dict[str, FeedHealth]:
        """Every feed the poller has seen, by URL."""
        rows = self._db.execute(
            "SELECT f.url, f.next_due, f.failures, h.last_success, h.last_error, "
            "h.last_error_at, COALESCE(h.floor_s, 0), COALESCE(h.skip_hours, '') "
            "FROM feeds f LEFT JOIN feed_health h ON h.url = f.url"
        ).fetchall()
        return {row[0]: FeedHealth(*row) for row in rows}

    # --- articles -----------------------------------------------------------------------

    def get_article(self, article_id: str) -> ArticleRecord | None:
        row = self._db.execute(
            "SELECT revision, content_hash, source FROM articles WHERE article_id = ?",
            (article_id,),
        ).fetchone()
        return ArticleRecord(article_id, row[0], row[1], row[2]) if row else None

    def get_entry(self, entry_key: str) -> EntryRecord | None:
        row = self._db.execute(
            "SELECT article_id, fingerprint, source FROM entries WHERE entry_key = ?", (entry_key,)
        ).fetchone()
        return EntryRecord(row[0], row[1], row[2]) if row else None

    def record_entry(
        self,
        entry_key: str,
        *,
        feed_url: str | None,
        article_id: str,
        fingerprint: str,
        source: str,
    ) -> None:
        """Remember what the feed said about an entry (content unchanged: nothing published)."""
        self._db.execute(
            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)",
            (entry_key, feed_url, article_id, fingerprint, source, time.time()),
        )

    def record_published(
        self,
        *,
        article_id: str,
        canonical_url: str,
        revision: int,
        content_hash: str,
        source: str,
        entry_key: str | None = None,
        feed_url: str | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Record a revision Kafka has acknowledged (call only after the send resolved)."""
        now = time.time()
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?)",
                (article_id, canonical_url, revision, content_hash, source, now),
            )
            if entry_key is not None and fingerprint is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)",
                    (entry_key, feed_url, article_id, fingerprint, source, now),
                )

    def article_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])
