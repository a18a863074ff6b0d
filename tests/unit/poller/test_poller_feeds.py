"""Feed parsing (RSS 2.0, RSS 1.0, Atom and bad feeds) and the polling schedule."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from tests.support.feedserver import FeedServer

from newsstream.poller.feeds import (
    FAILING_AFTER,
    FeedEntry,
    FeedError,
    FeedSchedule,
    after_failure,
    after_success,
    oldest_first,
    parse_feed,
    while_polling,
)

RNG = random.Random(7)


def _server() -> FeedServer:
    server = FeedServer()
    server.add_article("eins", "Erster Artikel", ["Text eins."], teaser="Teaser <b>eins</b>")
    server.add_article("zwei", "Zweiter Artikel", ["Text zwei."])
    return server


@pytest.mark.parametrize("kind", ["rss", "rdf", "atom"])
def test_feeds_parse_all_three_formats(kind: str) -> None:
    server = _server()
    try:
        feed = parse_feed(server.render_feed(kind), server.feed_url_for(kind))
    finally:
        server.stop()
    links = {e.link for e in feed.entries}
    assert links == {server.url_for("eins"), server.url_for("zwei")}
    first = next(e for e in feed.entries if e.link == server.url_for("eins"))
    assert first.title == "Erster Artikel"
    assert first.summary == "Teaser eins"
    assert first.updated is not None or first.published is not None


def test_feeds_relative_links_are_made_absolute() -> None:
    server = _server()
    server.articles["eins"].link_style = "relative"
    try:
        feed = parse_feed(server.render_feed("rss"), server.feed_url)
    finally:
        server.stop()
    assert server.url_for("eins") in {e.link for e in feed.entries}


def test_feeds_entry_without_link_is_kept_and_reported() -> None:
    server = _server()
    server.articles["zwei"].link_style = "none"
    try:
        feed = parse_feed(server.render_feed("rss"), server.feed_url)
    finally:
        server.stop()
    assert [e.link for e in feed.entries if e.title == "Zweiter Artikel"] == [None]
    assert any(p.startswith("entry without link") for p in feed.problems)


def test_feeds_duplicate_entries_are_dropped_and_reported() -> None:
    server = _server()
    server.duplicate_entries = True
    try:
        feed = parse_feed(server.render_feed("rss"), server.feed_url)
    finally:
        server.stop()
    assert len(feed.entries) == 2
    assert any(p.startswith("duplicate entry") for p in feed.problems)


def test_feeds_fingerprint_ignores_rotating_guids() -> None:
    server = _server()
    server.rotate_guids = True
    try:
        first = parse_feed(server.render_feed("rss"), server.feed_url)
        second = parse_feed(server.render_feed("rss"), server.feed_url)
    finally:
        server.stop()
    assert {e.guid for e in first.entries}.isdisjoint({e.guid for e in second.entries})
    assert {e.fingerprint for e in first.entries} == {e.fingerprint for e in second.entries}


def test_feeds_fingerprint_changes_with_content() -> None:
    server = _server()
    try:
        before = parse_feed(server.render_feed("rss"), server.feed_url)
        server.update_article("eins", teaser="Neuer Teaser")
        after = parse_feed(server.render_feed("rss"), server.feed_url)
    finally:
        server.stop()
    assert {e.fingerprint for e in before.entries} != {e.fingerprint for e in after.entries}


def test_feeds_html_instead_of_feed_is_an_error() -> None:
    page = b"<!DOCTYPE html><html><head><title>Startseite</title></head><body>Hallo</body></html>"
    with pytest.raises(FeedError) as err:
        parse_feed(page, "https://www.br.de/feed", "text/html; charset=utf-8")
    assert err.value.kind == "not_a_feed"


def test_feeds_garbage_is_malformed() -> None:
    with pytest.raises(FeedError) as err:
        parse_feed(b"\x00\x01 this is not xml at all <<<", "https://www.br.de/feed")
    assert err.value.kind in {"malformed_feed", "not_a_feed"}


def test_feeds_bozo_feed_is_recovered_and_reported() -> None:
    broken = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>Ein & kaputtes Zeichen</title><link>https://www.br.de/a</link></item>"
        b"</channel>"  # no closing </rss>, and a bare ampersand
    )
    feed = parse_feed(broken, "https://www.br.de/feed")
    assert [e.link for e in feed.entries] == ["https://www.br.de/a"]
    assert any(p.startswith("bozo") for p in feed.problems)


def test_feeds_schedule_backs_off_exponentially_and_flags_failing() -> None:
    sched = FeedSchedule(interval_s=60)
    delays = []
    for _ in range(FAILING_AFTER):
        sched = after_failure(sched, now=0, base_s=60, max_s=3600, rng=RNG)
        delays.append(sched.next_due)
    assert delays[0] < delays[1] < delays[2] <= 3600 * 1.1
    assert sched.failing
    recovered = after_success(sched, changed=True, now=0, base_s=60, max_s=3600, rng=RNG)
    assert not recovered.failing and recovered.interval_s == 60


def test_feeds_schedule_respects_retry_after() -> None:
    sched = after_failure(
        FeedSchedule(interval_s=60), now=100, base_s=60, max_s=3600, rng=RNG, retry_after=1800
    )
    assert sched.next_due >= 100 + 1800


def test_feeds_schedule_adapts_to_unchanged_feeds_with_jitter() -> None:
    sched = FeedSchedule(interval_s=60)
    for _ in range(20):
        sched = after_success(sched, changed=False, now=0, base_s=60, max_s=600, rng=RNG)
    assert sched.interval_s == 600
    assert 540 <= sched.next_due <= 660
    assert sched.unchanged == 20
    assert after_success(sched, changed=True, now=0, base_s=60, max_s=600, rng=RNG).interval_s == 60


def test_feeds_a_poll_reading_a_new_document_makes_the_feed_due_after_the_base_interval() -> None:
    """After a quiet spell stretched the interval to 600 s, a poll that reads a new document
    (a burst began) makes the feed due one base interval after it began, while it is still
    handling the entries; the stretched interval itself waits for the poll's outcome."""
    quiet = FeedSchedule(interval_s=600, next_due=0, unchanged=9)
    busy = while_polling(quiet, now=1000, base_s=60, rng=RNG)
    assert 1054 <= busy.next_due <= 1066
    assert (busy.interval_s, busy.unchanged) == (600, 9)


def test_feeds_same_guid_different_links_keeps_both_and_reports() -> None:
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>A</title><link>https://www.br.de/a</link><guid>g1</guid></item>"
        b"<item><title>B</title><link>https://www.br.de/b</link><guid>g1</guid></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(rss, "https://www.br.de/feed")
    assert [e.link for e in feed.entries] == ["https://www.br.de/a", "https://www.br.de/b"]
    assert len(feed.problems) == 1 and feed.problems[0].startswith("duplicate guid:")


def test_oldest_first_puts_the_longest_waiting_entry_first() -> None:
    """Feeds list their newest item first; the poller must handle the oldest new one first
    (it has waited longest), dates to the second tying in reverse feed order, undated last."""
    t = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    def entry(name: str, seconds: int | None, *, updated: int | None = None) -> FeedEntry:
        when = None if seconds is None else t + timedelta(seconds=seconds)
        changed = None if updated is None else t + timedelta(seconds=updated)
        return FeedEntry(guid=name, link=f"https://x/{name}", title=name, summary="",
                         published=when, updated=changed)  # fmt: skip

    feed = [entry("new", 5), entry("tie-b", 3), entry("tie-a", 3), entry("nodate-2", None),
            entry("edited", 1, updated=4), entry("old", 0), entry("nodate-1", None)]  # fmt: skip
    order = [e.title for e in oldest_first(feed)]
    assert order == ["old", "tie-a", "tie-b", "edited", "new", "nodate-1", "nodate-2"]
    assert oldest_first([]) == []
