"""The poller against the real local Kafka and the real local feed server."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from tests.support.feedserver import FeedServer
from tests.support.pages import shared_article_spec

from newsstream.bus import bootstrap_servers
from newsstream.messages import Article, article_id_for, content_hash_for
from newsstream.poller.service import run_poller
from newsstream.roles import settings_env
from newsstream.settings import Settings
from newsstream.topics import records_to_end

pytestmark = pytest.mark.integration


def _read_all(settings: Settings) -> list[tuple[bytes, Article]]:
    """Every message of the raw topic, from the beginning to the current end."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers(settings), group_id=None, enable_auto_commit=False
    )
    try:
        parts = [
            TopicPartition(settings.topic_raw, p)
            for p in consumer.partitions_for_topic(settings.topic_raw) or []
        ]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        out: list[tuple[bytes, Article]] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in parts) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                out.extend((r.key, Article.from_bytes(r.value)) for r in records)
        return out
    finally:
        consumer.close()


def _settings(ns_settings: Settings, server: FeedServer) -> Settings:
    return ns_settings.model_copy(update={"feeds": [server.feed_url], "allowed_hosts": []})


def _articles(server: FeedServer, n: int) -> None:
    for i in range(n):
        server.add_article(
            f"artikel-{i}", f"Artikel Nummer {i}",
            [f"Der erste Absatz von Artikel {i} erzählt, was in Bayern geschah.",
             f"Der zweite Absatz von Artikel {i} ordnet es ein."],
            quotes=[("Markus Beispiel", f"Das ist meine Aussage Nummer {i}.")],
        )  # fmt: skip


def test_poller_publishes_exact_messages_then_nothing_new(
    ns_settings: Settings, feed_server: FeedServer
) -> None:
    _articles(feed_server, 4)
    feed_server.add_article("putin", "", "", spec=shared_article_spec())
    settings = _settings(ns_settings, feed_server)
    assert run_poller(settings, once=True) == 0
    messages = _read_all(settings)
    assert len(messages) == 5
    by_title = {a.title: (key, a) for key, a in messages}
    key, article = by_title["Artikel Nummer 2"]
    url = feed_server.url_for("artikel-2")
    assert key == article_id_for(url).encode()
    assert article.article_id == article_id_for(url)
    assert (article.revision, article.url, article.canonical_url) == (1, url, url)
    assert article.feed_url == feed_server.feed_url and article.guid == "urn:test:artikel-2"
    assert article.body == (
        "Der erste Absatz von Artikel 2 erzählt, was in Bayern geschah.\n\n"
        "Der zweite Absatz von Artikel 2 ordnet es ein.\n\n"
        '"Das ist meine Aussage Nummer 2.", sagt Markus Beispiel.'
    )
    assert article.content_hash == content_hash_for(article.title, article.body)
    assert article.teaser == "Worum es in Artikel Nummer 2 geht, kurz gesagt."
    assert article.authors == ["Anna Berichterstatterin"] and article.language == "de"
    assert article.body_from == "page" and article.body_error is None
    putin = by_title["Putins Angebot: Warum verhandelt der Westen nicht?"][1]
    assert "Per Mail sharen" not in putin.body and "Newsletter" not in putin.body

    assert run_poller(settings, once=True) == 0
    assert len(_read_all(settings)) == 5
    assert feed_server.not_modified["/feed.rss"] == 1


def test_poller_change_gives_one_new_revision_and_restart_republishes_nothing(
    ns_settings: Settings, feed_server: FeedServer
) -> None:
    _articles(feed_server, 3)
    settings = _settings(ns_settings, feed_server)
    run_poller(settings, once=True)
    feed_server.update_article("artikel-1", body="Neue Fassung: der Landtag hat entschieden.")
    run_poller(settings, once=True)
    messages = _read_all(settings)
    assert len(messages) == 4
    latest = messages_for(messages, feed_server.url_for("artikel-1"))
    assert [a.revision for a in latest] == [1, 2]
    assert latest[1].body.startswith("Neue Fassung: der Landtag hat entschieden.")

    feed_server.rotate_guids = True  # the feed looks new after the restart, its entries do not
    run_poller(settings, once=True)
    assert len(_read_all(settings)) == 4


def messages_for(messages: list[tuple[bytes, Article]], url: str) -> list[Article]:
    wanted = article_id_for(url)
    return sorted((a for _, a in messages if a.article_id == wanted), key=lambda a: a.revision)


def test_poller_killed_between_fetch_and_publish_loses_nothing(
    ns_settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    _articles(feed_server, 6)
    feed_server.article_latency_s = 3.0  # the process dies while pages are being fetched
    settings = _settings(ns_settings, feed_server)
    env = settings_env(settings, metrics_enabled=False, log_format="console")
    log = tmp_path / "poller.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsstream", "poll", "--once"], env=env, cwd=tmp_path,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while sum(feed_server.requests[f"/nachrichten/artikel-{i}"] for i in range(6)) == 0:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert _read_all(settings) == [], log.read_text(errors="replace")[-3000:]

    feed_server.article_latency_s = 0.0
    assert run_poller(settings, once=True) == 0
    assert len(_read_all(settings)) == 6


def _loop(settings: Settings) -> tuple[threading.Event, threading.Thread, list[int]]:
    """``run_poller`` (continuous) in a thread; set the event to stop it."""
    stop = threading.Event()
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(run_poller(settings, stop_event=stop)))
    worker.start()
    return stop, worker, codes


def _until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_poller_loop_picks_up_new_articles_and_stops(
    ns_settings: Settings, feed_server: FeedServer
) -> None:
    _articles(feed_server, 2)
    settings = _settings(ns_settings, feed_server).model_copy(update={"poll_interval_s": 0.5})
    stop, worker, codes = _loop(settings)
    try:
        deadline = time.monotonic() + 30
        while len(_read_all(settings)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        feed_server.add_article("spaet", "Später Artikel", ["Kam erst nach dem ersten Abruf."])
        while len(_read_all(settings)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive() and codes == [0]
    assert sorted(a.title for _, a in _read_all(settings)) == [
        "Artikel Nummer 0", "Artikel Nummer 1", "Später Artikel",
    ]  # fmt: skip


def test_poller_loop_polls_again_while_a_slow_page_is_fetched(
    ns_settings: Settings, feed_server: FeedServer
) -> None:
    """Before: the next poll waited until every page of the last one was fetched and
    published, so an article that appeared meanwhile waited for the slowest page (here 4 s).
    Now the feed is polled again when due; the slow entry is left to the poll fetching it
    (fetched once, published once)."""
    feed_server.add_article("langsam", "Langsamer Artikel", ["Diese Seite braucht vier Sekunden."])
    feed_server.set_latency("/nachrichten/langsam", 4.0)
    settings = _settings(ns_settings, feed_server).model_copy(
        update={"poll_interval_s": 0.5, "http_timeout_s": 10.0}
    )
    stop, worker, codes = _loop(settings)
    try:
        _until(lambda: feed_server.requests["/nachrichten/langsam"] == 1, 60, "the slow fetch")
        feed_server.add_article("schnell", "Schneller Artikel", ["Diese Seite kommt sofort."])
        added = time.time()
        _until(lambda: len(_read_all(settings)) == 2, 30, "both articles")
        polls_meanwhile = feed_server.requests["/feed.rss"]
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive() and codes == [0]
    records = [
        (Article.from_bytes(r.value).title, r.timestamp / 1000)
        for r in records_to_end(settings, settings.topic_raw)
    ]
    assert sorted(title for title, _ in records) == ["Langsamer Artikel", "Schneller Artikel"]
    written = dict(records)
    assert written["Schneller Artikel"] < written["Langsamer Artikel"]
    assert written["Schneller Artikel"] - added < 2.5
    assert feed_server.requests["/nachrichten/langsam"] == 1
    assert polls_meanwhile >= 3


def test_poller_loop_stopped_mid_poll_finishes_it_and_saves_it(
    ns_settings: Settings, feed_server: FeedServer
) -> None:
    """A stop that comes while a page is being fetched lets that poll finish: its article is
    published and remembered, so the next start publishes nothing again."""
    _articles(feed_server, 2)
    feed_server.set_latency("/nachrichten/artikel-1", 1.5)
    settings = _settings(ns_settings, feed_server).model_copy(update={"poll_interval_s": 0.5})
    stop, worker, codes = _loop(settings)
    try:
        _until(lambda: feed_server.requests["/nachrichten/artikel-1"] == 1, 60, "the slow fetch")
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive() and codes == [0]
    assert len(_read_all(settings)) == 2
    feed_server.set_latency("/nachrichten/artikel-1", 0.0)
    assert run_poller(settings, once=True) == 0
    assert len(_read_all(settings)) == 2


def test_poller_with_lost_state_continues_revisions_from_kafka(
    ns_settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    """Before: a lost state directory made an edit go out as revision 1 again, which
    Elasticsearch answered with 409 (an older revision) - the edit was silently dropped."""
    import shutil

    from newsstream.poller.recovery import fold_latest

    settings = _settings(ns_settings, feed_server)
    _articles(feed_server, 2)
    assert run_poller(settings, once=True) == 0
    shutil.rmtree(settings.state_dir)  # the state directory is lost
    feed_server.update_article(
        "artikel-1", body=["Der erste Absatz wurde korrigiert: es war in Franken.", "Zweiter."]
    )
    assert run_poller(settings, once=True) == 0
    messages = _read_all(settings)
    revisions = sorted((a.canonical_url.rsplit("/", 1)[-1], a.revision) for _, a in messages)
    edited = [r for r in revisions if "artikel-1" in r[0]]
    assert [r for _, r in edited] == [1, 2], revisions  # the edit is revision 2, not 1 again
    assert len(messages) == 3  # the unchanged article was recognised, not republished
    latest = fold_latest((key, a.to_bytes()) for key, a in messages)
    assert sorted(k.revision for k in latest.values()) == [1, 2]
