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
