"""Loss and hot-loop paths of the poller, each driven by the input that caused it.

Every test here failed before its fix: a feed that blocked on one bad title, a date of year
10000, an entity bomb, an entry failure hidden by a later 304, a feed re-polled every second.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest
from tests.support.fakes import RecordingProducer
from tests.support.feedserver import FeedServer
from tests.support.fixtures import local_settings

from newsstream.errors import BlockedURLError, FeedError
from newsstream.poller.feeds import MAX_SUMMARY_CHARS, MAX_TITLE_CHARS, defuse, parse_feed
from newsstream.poller.guard import check_address
from newsstream.poller.service import Poller, PollStats
from newsstream.poller.state import PollerState

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>"""
ENTRY = (
    "<entry><title>{title}</title><link href='https://example.org/{slug}'/><id>{slug}</id>"
    "<updated>{updated}</updated><summary>{summary}</summary></entry>"
)


def _atom(*entries: dict[str, str]) -> bytes:
    filled = [
        ENTRY.format(**{"updated": "2024-05-01T10:00:00Z", "summary": "s", **entry})
        for entry in entries
    ]
    return ATOM.format(entries="".join(filled)).encode("utf-8")


def test_feeds_surrogate_character_reference_spoils_one_title_not_the_feed() -> None:
    feed = parse_feed(
        _atom({"title": "Kaputt &#xD800; hier", "slug": "a"}, {"title": "Gut", "slug": "b"}),
        "https://example.org/feed",
    )
    assert [e.title for e in feed.entries] == ["Kaputt \ufffd hier", "Gut"]


def test_feeds_date_beyond_year_9999_is_no_date_not_a_crash() -> None:
    feed = parse_feed(
        _atom({"title": "Fern", "slug": "a", "updated": "9999-12-31T23:59:59-12:00"}),
        "https://example.org/feed",
    )
    assert feed.entries[0].updated is None and feed.entries[0].title == "Fern"


def test_feeds_entity_declarations_are_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><title>&b;</title></channel></rss>'
    )
    with pytest.raises(FeedError) as caught:
        parse_feed(bomb, "https://example.org/feed")
    assert caught.value.kind == "entities"


def test_feeds_plain_doctype_is_dropped_and_the_feed_parses() -> None:
    old = (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel>'
        b"<title>x</title><item><title>i</title><link>https://example.org/i</link></item>"
        b"</channel></rss>"
    )
    assert b"DOCTYPE" not in defuse(old)
    assert [e.link for e in parse_feed(old, "https://example.org/f").entries] == [
        "https://example.org/i"
    ]


def test_feeds_entry_text_is_capped() -> None:
    feed = parse_feed(
        _atom({"title": "T" * 5000, "slug": "a", "summary": "w " * 200_000}),
        "https://example.org/feed",
    )
    assert len(feed.entries[0].title) == MAX_TITLE_CHARS
    assert len(feed.entries[0].summary) <= MAX_SUMMARY_CHARS


@pytest.mark.parametrize(
    "ip",
    [
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::127.0.0.1",  # IPv4-compatible
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "2002:a00:1::",  # 6to4 around 10.0.0.1
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
    ],
)
def test_http_ipv6_forms_of_private_ipv4_addresses_are_refused(ip: str) -> None:
    with pytest.raises(BlockedURLError):
        check_address(ip, [])


def test_http_nat64_of_a_public_address_is_allowed() -> None:
    check_address("64:ff9b::808:808", [])  # 8.8.8.8


def test_http_redirect_from_https_to_http_is_refused() -> None:
    from newsstream.poller.http import Fetcher

    async def go() -> None:
        settings = local_settings_for("https://example.org/feed")
        fetcher = Fetcher(settings)

        class Response:
            status_code = 301
            headers: ClassVar[dict[str, str]] = {"location": "http://example.org/plain"}

        async def guard(url: str, allowed: Any = None) -> str:
            return "example.org"

        async def one_hop(
            url: str, headers: Any, limit: int, truncate: bool = False
        ) -> tuple[Any, bytes, bool]:
            return Response(), b"", False

        fetcher.guard = guard  # type: ignore[method-assign]
        fetcher._one_hop = one_hop  # type: ignore[method-assign]
        try:
            with pytest.raises(BlockedURLError) as caught:
                await fetcher.fetch("https://example.org/feed")
            assert caught.value.kind == "blocked_downgrade"
        finally:
            await fetcher.aclose()

    asyncio.run(go())


def local_settings_for(feed: str) -> Any:
    from newsstream.settings import Settings

    return Settings(_env_file=None, feeds=[feed], metrics_enabled=False)  # type: ignore[call-arg]


# --- the poll loop ------------------------------------------------------------------------


def test_service_failed_entry_clears_the_validators_so_it_is_retried(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ETag saved although an entry crashed; every later poll got 304, entry lost."""
    from newsstream.poller.http import Fetcher

    feed_server.add_article("a", "Artikel A", ["Absatz eins, lang genug für einen Text."])
    settings = local_settings(feed_server, tmp_path)
    url = feed_server.feed_url
    calls = {"n": 0}

    async def go() -> tuple[PollStats, PollStats]:
        state = PollerState(tmp_path)
        producer = RecordingProducer()
        async with Fetcher(settings) as fetcher:
            poller = Poller(settings, fetcher=fetcher, producer=producer, state=state)
            original = poller._handle_entry

            async def flaky(*args: Any) -> bool:
                calls["n"] += 1
                if calls["n"] == 1:
                    raise RuntimeError("a bug met an input")
                return await original(*args)

            monkeypatch.setattr(poller, "_handle_entry", flaky)
            first, second = PollStats(), PollStats()
            await poller.poll_feed(url, first)
            assert state.get_feed(url, 60).etag is None
            await poller.poll_feed(url, second)
        state.close()
        return first, second

    first, second = asyncio.run(go())
    assert first.errors["entry_internal"] == 1 and first.new == 0
    assert second.not_modified == 0 and second.new == 1


def test_service_crashing_feed_backs_off_instead_of_hot_looping(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a feed whose poll crashed was due again at once and re-fetched every second."""
    from newsstream.poller.http import Fetcher

    settings = local_settings(feed_server, tmp_path)
    url = feed_server.feed_url

    async def go() -> tuple[PollStats, float]:
        state = PollerState(tmp_path)
        async with Fetcher(settings) as fetcher:
            poller = Poller(settings, fetcher=fetcher, producer=RecordingProducer(), state=state)

            async def crash(feed_url: str, stats: PollStats) -> None:
                stats.feeds += 1
                raise KeyError("bug")

            monkeypatch.setattr(poller, "poll_feed", crash)
            stats = await poller.poll_once([url])
            due = state.get_feed(url, settings.poll_interval_s).schedule.next_due
        state.close()
        return stats, due

    stats, due = asyncio.run(go())
    assert stats.errors["feed_internal"] == 1 and stats.feeds_failed == 1
    assert due > time.time() + settings.poll_interval_s  # backed off beyond the base interval
