"""The SQLite state survives a restart (a new object on the same directory)."""

from __future__ import annotations

from pathlib import Path

from newsstream.poller.feeds import FeedSchedule
from newsstream.poller.state import PollerState


def test_state_persists_articles_entries_and_validators(tmp_path: Path) -> None:
    state = PollerState(tmp_path)
    state.record_published(
        article_id="a1", canonical_url="https://www.br.de/a", revision=2, content_hash="h",
        source="page", entry_key="https://www.br.de/a", feed_url="f", fingerprint="fp",
    )  # fmt: skip
    state.save_feed("f", FeedSchedule(interval_s=90, failures=1), etag='"e"', validators=True)
    state.save_feed("f", FeedSchedule(interval_s=120, next_due=5.0), etag="ignored")
    state.close()

    again = PollerState(tmp_path)
    article = again.get_article("a1")
    assert article is not None and (article.revision, article.content_hash) == (2, "h")
    entry = again.get_entry("https://www.br.de/a")
    assert entry is not None and entry.fingerprint == "fp"
    feed = again.get_feed("f", 60)
    assert feed.etag == '"e"' and feed.schedule.interval_s == 120 and feed.schedule.next_due == 5
    assert again.get_feed("unknown", 60).etag is None
    assert again.article_count() == 1


def test_next_due_times_answers_every_feed_in_one_query(tmp_path: Path) -> None:
    """The poll loop asks on every wake (up to 20 a second): one query, not two per feed."""
    state = PollerState(tmp_path)
    for i in range(3):
        state.save_feed(f"f{i}", FeedSchedule(interval_s=60, next_due=100.0 + i))
    statements: list[str] = []
    state.db.set_trace_callback(statements.append)
    assert state.next_due_times() == {"f0": 100.0, "f1": 101.0, "f2": 102.0}
    assert len(statements) == 1


def test_due_and_next_due_read_the_schedule_once_for_many_feeds(tmp_path: Path) -> None:
    """Before: two queries per feed for each of the two questions (about 20,000 queries per
    wake at 5,000 feeds)."""
    import random

    from newsstream.outlets.config import FeedConfig
    from newsstream.poller.book import FeedBook
    from newsstream.settings import Settings

    state = PollerState(tmp_path)
    feeds = [FeedConfig(url=f"https://example.org/{i}.xml", outlet="x") for i in range(50)]
    for i, feed in enumerate(feeds[:40]):
        state.save_feed(feed.url, FeedSchedule(interval_s=60, next_due=1000.0 + i))
    book = FeedBook(Settings(), state, random.Random(1))
    statements: list[str] = []
    state.db.set_trace_callback(statements.append)
    due = book.due(feeds, now=1005.0)
    assert [f.url for f in due] == [f.url for f in feeds[:6] + feeds[40:]]  # never polled: due
    assert book.next_due(feeds[:40]) == 1000.0 and book.next_due(feeds) == 0.0
    assert len(statements) == 3
