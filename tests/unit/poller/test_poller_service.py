"""The poll loop against the real local feed server, with a recording stand-in for Kafka.

Kafka itself is exercised in ``tests/integration/test_poller_kafka.py``; here every bad input
of the issue is driven through the loop to show it is counted and nothing else is lost.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tests.support.fakes import RecordingProducer
from tests.support.feedserver import FeedServer
from tests.support.fixtures import local_settings
from tests.support.pages import shared_article_spec

from newsstream.messages import article_id_for, canonicalize_url
from newsstream.poller.entries import CpuQueue, Priority, _extract
from newsstream.poller.service import PollStats, poll_once
from newsstream.poller.state import PollerState


def _poll(server: FeedServer, tmp_path: Path, producer: Any, **overrides: Any) -> PollStats:
    settings = local_settings(server, tmp_path, **overrides)
    state = PollerState(settings.state_dir)
    try:
        return asyncio.run(poll_once(settings, producer, state))
    finally:
        state.close()


def _three(server: FeedServer) -> None:
    for i in range(3):
        server.add_article(
            f"a{i}", f"Artikel {i}", [f"Erster Absatz von Artikel {i}, lang genug für den Text."],
            quotes=[("Anna Muster", f"Das ist mein Satz Nummer {i}.")],
        )  # fmt: skip


def test_service_publishes_each_article_once(feed_server: FeedServer, tmp_path: Path) -> None:
    _three(feed_server)
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer)
    assert stats.new == 3 and not stats.errors
    article = next(a for a in producer.articles if a.title == "Artikel 1")
    assert article.article_id == article_id_for(feed_server.url_for("a1"))
    assert article.revision == 1 and article.body_from == "page"
    assert '"Das ist mein Satz Nummer 1.", sagt Anna Muster.' in article.body
    assert {key for _, key, _ in producer.sent} == {
        a.article_id.encode() for a in producer.articles
    }
    again = _poll(feed_server, tmp_path, producer)
    assert again.not_modified == 1 and len(producer.sent) == 3


def test_service_queues_a_rounds_cpu_work_oldest_entry_first(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each entry's CPU work is queued with its entry's priority: the oldest first (the
    queue's own order is tested in ``test_poller_cpu_queue.py``)."""
    for i in range(8):
        feed_server.add_article(f"o{i}", f"Artikel {i}", [f"Absatz {i}, lang genug für Text."])
    queued: list[tuple[Priority, str]] = []
    run = CpuQueue.run

    async def recording(self: CpuQueue, priority: Priority, func: Any, *args: Any) -> Any:
        if func is _extract:  # a page's extraction: its URL is the second argument
            queued.append((priority, str(args[1])))
        return await run(self, priority, func, *args)

    monkeypatch.setattr(CpuQueue, "run", recording)
    stats = _poll(feed_server, tmp_path, RecordingProducer())
    assert stats.new == 8
    by_priority = [url for _, url in sorted(queued)]
    assert by_priority == [feed_server.url_for(f"o{i}") for i in range(8)]


def test_service_update_gives_exactly_one_new_revision(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    _three(feed_server)
    producer = RecordingProducer()
    _poll(feed_server, tmp_path, producer)
    feed_server.update_article("a2", body="Ganz neuer Text für Artikel zwei, mit mehr Inhalt.")
    stats = _poll(feed_server, tmp_path, producer)
    assert (stats.new, stats.updated, stats.skipped) == (0, 1, 2)
    latest = producer.articles[-1]
    assert latest.title == "Artikel 2" and latest.revision == 2
    assert latest.article_id == article_id_for(feed_server.url_for("a2"))


def test_service_page_failure_publishes_feed_text(feed_server: FeedServer, tmp_path: Path) -> None:
    _three(feed_server)
    feed_server.add_route("/nachrichten/a0", status=500, body="kaputt")
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer)
    assert stats.errors["page_http_500"] == 1 and stats.new == 3
    fallback = next(a for a in producer.articles if a.title == "Artikel 0")
    assert fallback.body_from == "feed" and fallback.body_error.startswith("http_500")
    assert fallback.body == "Worum es in Artikel 0 geht, kurz gesagt."
    del feed_server.routes["/nachrichten/a0"]
    feed_server.update_article("a1", body="Neu.")  # so the feed changes and is read again
    stats = _poll(feed_server, tmp_path, producer)
    recovered = next(a for a in producer.articles[3:] if a.title == "Artikel 0")
    assert recovered.body_from == "page" and recovered.revision == 2


@pytest.mark.parametrize(
    ("route", "kind"),
    [
        ({"status": 404}, "page_http_404"),
        ({"status": 302, "headers": {"Location": "https://evil.example/x"}}, "page_blocked_host"),
        ({"status": 200, "body": "<html><body></body></html>"}, "page_empty_body"),
    ],
)
def test_service_bad_pages_are_counted_and_fall_back(
    feed_server: FeedServer, tmp_path: Path, route: dict[str, Any], kind: str
) -> None:
    _three(feed_server)
    feed_server.add_route("/nachrichten/a1", **route)
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer)
    assert stats.errors[kind] == 1
    assert sorted(a.body_from for a in producer.articles) == ["feed", "page", "page"]


def test_service_gzip_bomb_and_huge_page_fall_back(feed_server: FeedServer, tmp_path: Path) -> None:
    _three(feed_server)
    feed_server.add_gzip_bomb("/nachrichten/a0", 32 * 1024 * 1024)
    feed_server.add_huge_page("/nachrichten/a1", 20 * 1024 * 1024)
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer, http_max_bytes=2 * 1024 * 1024)
    assert stats.errors["page_too_large"] == 2 and stats.new == 3


def test_service_timeout_page_falls_back(feed_server: FeedServer, tmp_path: Path) -> None:
    _three(feed_server)
    feed_server.set_latency("/nachrichten/a2", 1.5)
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer, http_timeout_s=0.3)
    assert stats.errors["page_timeout"] == 1 and stats.new == 3


@pytest.mark.parametrize(
    ("route", "kind"),
    [
        ({"status": 404}, "feed_http_404"),
        ({"status": 503, "headers": {"Retry-After": "900"}}, "feed_http_503"),
        ({"body": "<!DOCTYPE html><html><body>Startseite</body></html>",
          "headers": {"Content-Type": "text/html"}}, "feed_not_a_feed"),
        ({"body": "<<< kein xml", "headers": {"Content-Type": "application/xml"}},
         "feed_malformed_feed"),
        ({"status": 301, "headers": {"Location": "/feed.rss"}}, "feed_redirect_loop"),
    ],
)  # fmt: skip
def test_service_bad_feeds_are_counted_and_backed_off(
    feed_server: FeedServer, tmp_path: Path, route: dict[str, Any], kind: str
) -> None:
    feed_server.add_route("/feed.rss", **route)
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer)
    assert stats.errors[kind] == 1 and producer.sent == []
    state = PollerState(tmp_path)
    sched = state.get_feed(feed_server.feed_url, 60).schedule
    assert sched.failures == 1
    if "Retry-After" in route.get("headers", {}):
        import time

        assert sched.next_due >= time.time() + 890


def test_service_other_feeds_keep_going_when_one_fails(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    _three(feed_server)
    broken = feed_server.add_route("/broken.rss", status=500)
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer, feeds=[broken, feed_server.feed_url])
    assert stats.errors["feed_http_500"] == 1 and stats.new == 3


def test_service_feed_formats_rdf_and_atom(feed_server: FeedServer, tmp_path: Path) -> None:
    _three(feed_server)
    producer = RecordingProducer()
    feeds = [feed_server.feed_url_for("rdf"), feed_server.feed_url_for("atom")]
    stats = _poll(feed_server, tmp_path, producer, feeds=feeds)
    assert stats.new == 3 and stats.feeds == 2  # the same articles through two feeds: once each
    assert len(producer.sent) == 3


def test_service_entry_without_link_and_duplicates(feed_server: FeedServer, tmp_path: Path) -> None:
    _three(feed_server)
    feed_server.articles["a0"].link_style = "none"
    feed_server.articles["a1"].link_style = "relative"
    feed_server.duplicate_entries = True
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer)
    assert stats.errors["entry_no_link"] == 1 and stats.errors["duplicate_entry"] == 1
    assert sorted(a.title for a in producer.articles) == ["Artikel 1", "Artikel 2"]
    assert all(a.url.startswith(feed_server.base_url) for a in producer.articles)


def test_service_rotating_guids_publish_nothing_new(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    _three(feed_server)
    feed_server.rotate_guids = True
    producer = RecordingProducer()
    _poll(feed_server, tmp_path, producer)
    stats = _poll(feed_server, tmp_path, producer)
    assert stats.not_modified == 0 and stats.skipped == 3 and len(producer.sent) == 3
    assert feed_server.requests["/nachrichten/a0"] == 1


def test_service_iso_8859_1_article(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article(
        "latin", "Grüße aus Würzburg", ["Die Bürgermeisterin begrüßt die Gäste in der Aula."],
        charset="iso-8859-1",
    )  # fmt: skip
    producer = RecordingProducer()
    _poll(feed_server, tmp_path, producer)
    assert producer.articles[0].title == "Grüße aus Würzburg"
    assert "Die Bürgermeisterin begrüßt die Gäste in der Aula." in producer.articles[0].body


def test_service_broker_outage_loses_nothing(feed_server: FeedServer, tmp_path: Path) -> None:
    _three(feed_server)
    down = RecordingProducer(fail_with=ConnectionError("broker down"))
    stats = _poll(feed_server, tmp_path, down)
    assert stats.errors["feed_publish"] == 1 and stats.new == 0
    up = RecordingProducer()
    stats = _poll(feed_server, tmp_path, up)  # validators were not stored: no 304
    assert stats.new == 3 and {a.revision for a in up.articles} == {1}


def test_service_shared_article_is_published_clean(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article("putin", "", "", spec=shared_article_spec())
    producer = RecordingProducer()
    _poll(feed_server, tmp_path, producer)
    (article,) = producer.articles
    assert article.title == "Putins Angebot: Warum verhandelt der Westen nicht?"
    assert "Bildrechte" not in article.body and "[externer Link" not in article.body
    assert article.authors == ["Christian Sachs"] and article.categories[0] == "Deutschland & Welt"


def test_service_keeps_failing_feed_flagged(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from newsstream.poller.feeds import FAILING_AFTER
    from newsstream.poller.http import Fetcher
    from newsstream.poller.service import FAILING_FEEDS, Poller

    url = feed_server.add_route("/down.rss", status=500)
    settings = local_settings(feed_server, tmp_path, feeds=[url])

    async def go() -> None:
        state = PollerState(tmp_path)
        async with Fetcher(settings) as fetcher:
            poller = Poller(settings, fetcher=fetcher, producer=RecordingProducer(), state=state)
            for _ in range(FAILING_AFTER):
                await poller.poll_feed(url, PollStats())
            assert FAILING_FEEDS._value.get() == 1
            del feed_server.routes["/down.rss"]
            feed_server.add_route("/down.rss", body=feed_server.render_feed("rss"))
            await poller.poll_feed(url, PollStats())
            assert FAILING_FEEDS._value.get() == 0
        state.close()

    with caplog.at_level("ERROR", logger="newsstream.poller.service"):
        asyncio.run(go())
    assert any(r.getMessage() == "feed keeps failing" for r in caplog.records)


def test_service_extraction_crash_falls_back_to_feed_text(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newsstream.poller.entries as service

    def explode(html: str, url: str) -> None:
        raise RuntimeError("lxml fell over")

    _three(feed_server)
    monkeypatch.setattr(service, "extract_article", explode)
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer)
    assert stats.errors["page_extract_crash"] == 3 and stats.new == 3
    assert {a.body_from for a in producer.articles} == {"feed"}


def test_service_feed_timeout_is_counted(feed_server: FeedServer, tmp_path: Path) -> None:
    _three(feed_server)
    feed_server.set_latency("/feed.rss", 1.5)
    producer = RecordingProducer()
    stats = _poll(feed_server, tmp_path, producer, http_timeout_s=0.3)
    assert stats.errors["feed_timeout"] == 1 and producer.sent == []


def test_service_interval_runs_from_poll_start_and_loop_sleeps_until_due(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Before: the next poll was scheduled from the end of a round, and the loop slept a fixed
    second after it, so a 1 s interval became nearly 2 s. Now the interval runs from the start
    of the poll (±10 % jitter) and the loop sleeps only until the next feed is due."""
    import time

    from newsstream.poller.http import Fetcher
    from newsstream.poller.service import IDLE_MAX_S, IDLE_MIN_S, Poller

    _three(feed_server)
    feed_server.set_latency("/nachrichten/a1", 0.6)  # a slow round
    settings = local_settings(feed_server, tmp_path, poll_interval_s=1.0)
    state = PollerState(settings.state_dir)

    async def go() -> tuple[float, float, float, float]:
        async with Fetcher(settings, allowed_hosts=frozenset({"127.0.0.1"})) as fetcher:
            poller = Poller(settings, fetcher=fetcher, producer=RecordingProducer(), state=state)
            feeds = [feed_server.feed_url]
            started = time.time()
            await poller.poll_once(feeds)
            ended = time.time()
            due = poller.book.next_due(poller.configure(feeds))
            assert due is not None
            return started, ended, due - ended, poller.idle_for(feeds, ended)

    try:
        started, ended, left, idle = asyncio.run(go())
    finally:
        state.close()
    assert ended - started >= 0.6
    assert started + 0.9 <= ended + left <= started + 1.1 + 0.05  # due = start + interval
    assert idle == max(IDLE_MIN_S, min(IDLE_MAX_S, left))


def test_service_a_poll_during_a_slow_one_leaves_its_entry_and_the_validators_alone(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The loop polls a feed again while an earlier poll still fetches a slow page.
    - Nothing new since that poll read the feed: a 304 to that poll's validators, no parse.
    - A new entry: the later poll publishes it, leaves the slow entry to the earlier poll and
      saves no validators (it cannot vouch for that entry: a 304 would hide it if it failed).
    - The earlier poll, ending last, leaves the book to the later one; so the poll after both
      reads the whole feed again, and then 304s follow."""
    import time

    from newsstream.poller.http import Fetcher
    from newsstream.poller.service import Poller

    _three(feed_server)
    feed_server.set_latency("/nachrichten/a1", 1.5)
    settings = local_settings(feed_server, tmp_path, poll_interval_s=1.0)
    state = PollerState(settings.state_dir)
    producer = RecordingProducer()
    feeds = [feed_server.feed_url]

    async def go() -> list[PollStats]:
        async with Fetcher(settings, allowed_hosts=frozenset({"127.0.0.1"})) as fetcher:
            poller = Poller(settings, fetcher=fetcher, producer=producer, state=state)
            first = poller.begin(feeds)
            assert poller.due(feeds, time.time() + 60) == []  # its feed is being read
            done = [canonicalize_url(feed_server.url_for(slug)) for slug in ("a0", "a2")]
            while feed_server.requests["/nachrichten/a1"] == 0 or not all(
                state.get_entry(key)
                for key in done  # published and acknowledged
            ):
                await asyncio.sleep(0.01)
            quiet = await poller.poll_once(feeds)
            feed_server.add_article("a3", "Artikel 3", ["Erster Absatz von Artikel 3, neu."])
            second = poller.begin(feeds)
            assert poller.due(feeds, time.time() + 60) == []  # two polls under way at most
            during = await second
            assert state.get_feed(feed_server.feed_url, 1.0).etag is None
            assert not first.done()
            return [quiet, during, await first, await poller.poll_once(feeds),
                    await poller.poll_once(feeds)]  # fmt: skip

    try:
        quiet, during, slow, after, last = asyncio.run(go())
    finally:
        state.close()
    assert (quiet.not_modified, quiet.skipped, quiet.in_flight) == (1, 0, 0)
    assert (during.new, during.in_flight, during.skipped) == (1, 1, 2)
    assert slow.new == 3 and len(producer.sent) == 4
    assert feed_server.requests["/nachrichten/a1"] == 1
    assert (after.not_modified, after.skipped) == (0, 4)  # the whole feed, nothing new in it
    assert last.not_modified == 1 and len(producer.sent) == 4
