"""A poller without its state rebuilds it from Kafka before it publishes anything.

The poller numbers an article's revisions and remembers its content hash in SQLite. If that
file is lost (a new machine, a wiped volume), an edited article would go out again as
revision 1; Elasticsearch would keep the stored, newer-numbered text (409) and the edit would
be silently dropped. The compacted raw topic holds the latest revision of every article (it
is the system of record), so a poller that starts with an empty state reads it once and
continues the numbering where it stopped.

Design choice: the topic, not Elasticsearch, is read: it is newsstream's own record, it is
complete even when the indexer lags, and reading a compacted topic is one sequential scan.

The story index (syndicated copies) is rebuilt in the same scan: every article keeps the
``story_id``/``duplicate_of`` its message carries, and articles fetched in the last
:data:`FINGERPRINT_DAYS` days get their MinHash fingerprint back, so a copy arriving after the
restart still finds them (older ones are no longer the source of new copies; skipping them
keeps a restart on a large topic short).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsstream.messages import Article
from newsstream.outlets.dedupe import Fingerprint, fingerprint
from newsstream.poller.state import PollerState
from newsstream.poller.stories import StoryAssignment, StoryIndex
from newsstream.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Known:
    """What the poller must know of an article's latest revision."""

    canonical_url: str
    revision: int
    content_hash: str
    source: str
    story_id: str | None = None
    duplicate_of: str | None = None
    fingerprint: Fingerprint | None = None


#: Articles fetched this recently get their fingerprints back after a state loss.
FINGERPRINT_DAYS = 7


def fold_latest(
    records: Iterable[tuple[bytes | None, bytes | None]], now: datetime | None = None
) -> dict[str, Known]:
    """The newest revision per article id; a tombstone forgets the article (pure)."""
    recent = (now or datetime.now(UTC)) - timedelta(days=FINGERPRINT_DAYS)
    latest: dict[str, Known] = {}
    for key, value in records:
        if value is None:
            if key:
                latest.pop(key.decode("utf-8", "replace"), None)
            continue
        try:
            article = Article.from_bytes(value)
        except ValueError:
            continue  # not ours to judge here: the extractor dead-letters it
        seen = latest.get(article.article_id)
        if seen is None or article.revision >= seen.revision:
            latest[article.article_id] = Known(
                article.canonical_url, article.revision, article.content_hash,
                article.body_from, article.story_id, article.duplicate_of,
                fingerprint(article.body) if article.fetched_at >= recent else None,
            )  # fmt: skip
    return latest


def recover_if_empty(settings: Settings, state: PollerState) -> int:
    """Rebuild the articles table from the raw topic when it is empty; how many were found."""
    from newsstream.topics import read_to_end

    if state.article_count() > 0:
        return 0
    began = time.monotonic()
    latest = fold_latest(read_to_end(settings, settings.topic_raw))
    stories = StoryIndex(state.db)
    for article_id, known in latest.items():
        # a version-1 message has no story: it is a story of its own (as the indexer shows it)
        story = StoryAssignment(known.story_id or article_id, known.duplicate_of)
        stories.restore(article_id, story, known.fingerprint)
        state.record_published(
            article_id=article_id,
            canonical_url=known.canonical_url,
            revision=known.revision,
            content_hash=known.content_hash,
            source=known.source,
        )
    if latest:
        log.warning(
            "poller state was empty: revisions recovered from Kafka",
            extra={"articles": len(latest), "topic": settings.topic_raw,
                   "seconds": round(time.monotonic() - began, 1)},
        )  # fmt: skip
    return len(latest)
