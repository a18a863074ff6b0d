"""Per-outlet polling against the real local feed server, Kafka replaced by a recorder:
outlet, language and story on every message; article hosts and user agent per feed;
robots.txt honoured (disallow, HTML, 5 MB, server error); the feed's ttl as a floor."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.support.fakes import RecordingProducer
from tests.support.feedserver import FeedServer
from tests.support.fixtures import local_settings

from newsstream.outlets.config import FeedConfig
from newsstream.poller.service import PollStats, poll_once
from newsstream.poller.state import PollerState

PARAGRAPHS = [
    "Der Landtag hat am Mittwoch nach langer Debatte den neuen Haushalt für die kommenden "
    "zwei Jahre beschlossen, mit den Stimmen der Regierungsfraktionen.",
    "Die Opposition kritisierte vor allem die Kürzungen bei den Schulen und im Nahverkehr, "
    "die aus ihrer Sicht die ländlichen Regionen besonders hart treffen.",
    "Der Finanzminister verteidigte den Entwurf: Ohne Einsparungen sei die Schuldenbremse "
    "nicht einzuhalten, und neue Kredite lehne die Regierung weiterhin ab.",
]
ENGLISH = [
    "The state parliament passed the new budget for the next two years on Wednesday after a "
    "long debate, with the votes of the governing parties and against the opposition.",
    "Critics said the cuts to schools and local transport would hit rural regions hardest, "
    "while the finance minister insisted that there was no alternative to the savings.",
]


def _poll(
    server: FeedServer, tmp_path: Path, feeds: list[Any], producer: Any = None, **overrides: Any
) -> tuple[PollStats, RecordingProducer]:
    producer = producer or RecordingProducer()
    settings = local_settings(server, tmp_path, **overrides)
    state = PollerState(settings.state_dir)
    try:
        return asyncio.run(poll_once(settings, producer, state, feeds)), producer
    finally:
        state.close()


def _feed(server: FeedServer, **kw: Any) -> FeedConfig:
    return FeedConfig(url=server.feed_url, outlet=kw.pop("outlet", "Testfunk"), **kw)


def test_poller_outlet_language_and_story_on_every_message(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add_article("haushalt", "Haushalt beschlossen", PARAGRAPHS)
    feed_server.add_article("haushalt-kopie", "Landtag beschließt Haushalt", PARAGRAPHS[:2])
    feed_server.add_article("budget", "Budget passed", ENGLISH)
    stats, producer = _poll(feed_server, tmp_path, [_feed(feed_server)])
    assert stats.new == 3 and not stats.errors
    by_slug = {a.url.rsplit("/", 1)[1]: a for a in producer.articles}
    assert {a.outlet for a in producer.articles} == {"Testfunk"}
    assert by_slug["budget"].language == "en" and by_slug["haushalt"].language == "de"
    original, copy = by_slug["haushalt"], by_slug["haushalt-kopie"]
    assert original.story_id == copy.story_id  # the same agency text, one story
    assert {original.duplicate_of, copy.duplicate_of} == {None, original.story_id}
    assert by_slug["budget"].story_id == by_slug["budget"].article_id
    assert by_slug["budget"].duplicate_of is None and stats.copies == 1


def test_poller_pages_only_from_the_feeds_hosts(feed_server: FeedServer, tmp_path: Path) -> None:
    """The sueddeutsche case: the feed on one host, its pages on another."""
    feed_server.add_article("a", "Artikel A", PARAGRAPHS)
    feed = f"http://localhost:{feed_server.port}/feed.rss"  # pages stay on 127.0.0.1
    both = {"allowed_private_networks": ["127.0.0.1/32", "::1/128"]}
    only_feed = FeedConfig(url=feed, outlet="Zeitung")
    stats, producer = _poll(feed_server, tmp_path / "1", [only_feed], **both)
    assert stats.errors["page_blocked_host"] == 1
    assert producer.articles[0].body_from == "feed"
    with_hosts = FeedConfig(url=feed, outlet="Zeitung", hosts=["127.0.0.1"])
    stats, producer = _poll(feed_server, tmp_path / "2", [with_hosts], **both)
    assert not stats.errors and producer.articles[0].body_from == "page"


def test_poller_robots_disallow_falls_back_to_feed_text_and_is_counted(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add_article("frei", "Frei", PARAGRAPHS)
    feed_server.add_article("gesperrt", "Gesperrt", ENGLISH)
    feed_server.add_route(
        "/robots.txt", body="User-agent: *\nDisallow: /nachrichten/gesperrt\n",
        headers={"Content-Type": "text/plain"},
    )  # fmt: skip
    stats, producer = _poll(feed_server, tmp_path, [_feed(feed_server)])
    assert stats.errors["page_robots_disallowed"] == 1 and stats.new == 2
    by_title = {a.title: a for a in producer.articles}
    assert by_title["Gesperrt"].body_from == "feed"
    assert by_title["Gesperrt"].body_error.startswith("robots_disallowed")  # type: ignore[union-attr]
    assert by_title["Frei"].body_from == "page"
    assert feed_server.requests["/nachrichten/gesperrt"] == 0  # never fetched
    assert feed_server.requests["/robots.txt"] == 1  # once per host, not per page


def test_poller_robots_user_agent_is_the_feeds_own(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article("a", "Artikel", PARAGRAPHS)
    feed_server.add_route(
        "/robots.txt", body="User-agent: sonderbot\nDisallow: /\n",
        headers={"Content-Type": "text/plain"},
    )  # fmt: skip
    stats, producer = _poll(feed_server, tmp_path / "1", [_feed(feed_server)])
    assert producer.articles[0].body_from == "page"  # the rule is not for us
    agent = _feed(feed_server, user_agent="sonderbot/2.0")
    stats, producer = _poll(feed_server, tmp_path / "2", [agent])
    assert stats.errors["page_robots_disallowed"] == 1


def test_poller_bad_robots_files_never_crash(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article("a", "Artikel", PARAGRAPHS)
    cases = {
        "html": ({"body": "<!DOCTYPE html><html><body>Nicht gefunden</body></html>",
                  "headers": {"Content-Type": "text/html"}}, "robots_html", "page"),
        "huge": ({"body": "User-agent: *\nDisallow: /nachrichten/\n" + "# x\n" * 1_400_000,
                  "headers": {"Content-Type": "text/plain"}}, "robots_truncated", "feed"),
        "error": ({"status": 503, "body": "kaputt"}, "robots_unreachable", "feed"),
    }  # fmt: skip
    for name, (route, counted, body_from) in cases.items():
        feed_server.add_route("/robots.txt", **route)
        stats, producer = _poll(feed_server, tmp_path / name, [_feed(feed_server)])
        assert stats.errors[counted] == 1, (name, stats.errors)
        assert stats.new == 1 and producer.articles[0].body_from == body_from, name


def test_poller_feed_ttl_is_a_floor_of_the_interval(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add_article("a", "Artikel", PARAGRAPHS)
    ttl_feed = feed_server.render_feed("rss").replace(
        b"<language>de</language>", b"<language>de</language><ttl>120</ttl>"
    )
    feed_server.add_route(
        "/ttl.rss", body=ttl_feed, headers={"Content-Type": "application/rss+xml"}
    )
    feed = FeedConfig(url=feed_server.base_url + "/ttl.rss", outlet="T", interval=60)
    before = time.time()
    _poll(feed_server, tmp_path, [feed], poll_interval_s=30.0)
    state = PollerState(tmp_path)
    try:
        health = state.feed_health()[feed.url]
    finally:
        state.close()
    assert health.floor_s == 7200 and health.last_success is not None
    assert health.next_due >= before + 7200 * 0.9  # type: ignore[operator]
