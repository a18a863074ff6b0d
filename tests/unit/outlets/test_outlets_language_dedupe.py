"""Language guess and syndicated-copy detection (pure), and the story index's stickiness."""

from __future__ import annotations

import random
import sqlite3
import threading

from newsstream.outlets import language
from newsstream.outlets.dedupe import fingerprint, similarity
from newsstream.outlets.language import guess_language
from newsstream.poller.stories import StoryIndex

TEXT_WORDS = (
    "Regierung Landtag Bürger Stadt Gemeinde Haushalt Schule Polizei Gericht Klinik Verkehr "
    "Bahn Wetter Ernte Unternehmen Arbeit Rente Steuer Energie Wasser Strom Wohnung Miete "
    "beschließt fordert kritisiert erklärt plant streicht erhöht prüft meldet warnt"
)
WORDS = TEXT_WORDS.split(" ")


def _text(seed: int, n: int = 220) -> str:
    rng = random.Random(seed)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(12)) + "." for _ in range(n // 12)]
    return "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))


def test_outlets_language_detects_and_falls_back() -> None:
    english = (
        "The federal government decided on Wednesday that pensions will rise by three "
        "percent next year, while the opposition criticised the step as far too timid."
    )
    assert guess_language("Pensions rise", english * 2, "de").language == "en"
    short = guess_language("Kurz", "Ein Satz.", "de")
    assert (short.language, short.method) == ("de", "declared")
    assert guess_language("", "12345 !!!", None).language is None


def test_outlets_dedupe_copy_versus_unrelated() -> None:
    original = _text(1)
    paragraphs = original.split("\n\n")
    cut = "\n\n".join(paragraphs[: len(paragraphs) // 2 + 1])
    lead = "Berlin (eigener Bericht) - Unsere Redaktion fasst zusammen.\n\n" + original
    a, b, c, other = (fingerprint(t) for t in (original, cut, lead, _text(2)))
    assert a and b and c and other
    assert similarity(a, b).is_copy and similarity(a, c).is_copy
    assert not similarity(a, other).is_copy
    assert fingerprint("Zu kurz für einen Vergleich.") is None


def test_outlets_story_index_assigns_once_and_sticks() -> None:
    index = StoryIndex(sqlite3.connect(":memory:", isolation_level=None))
    original, copy, other = _text(1), "Vorspann.\n\n" + _text(1), _text(3)
    first = index.assign("a1", fingerprint(original))
    assert (first.story_id, first.duplicate_of) == ("a1", None)
    second = index.assign("a2", fingerprint(copy))
    assert (second.story_id, second.duplicate_of) == ("a1", "a1")
    assert index.assign("a3", fingerprint(other)).story_id == "a3"
    # a redelivery or an edit keeps the story the article was first given
    assert index.assign("a2", fingerprint(other)) == index.known("a2")
    assert index.known("a2").story_id == "a1"  # type: ignore[union-attr]
    # a teaser (too short) is its own story until its page text can be compared
    assert index.assign("a4", None).story_id == "a4"
    assert index.assign("a4", fingerprint(copy)).story_id == "a1"


def test_outlets_recovery_folds_stories_and_fingerprints_recent_articles() -> None:
    """What the raw topic tells a poller that lost its state (pure half of recovery)."""
    import json
    from datetime import UTC, datetime, timedelta

    from newsstream.poller.recovery import fold_latest

    now = datetime(2024, 6, 1, tzinfo=UTC)

    def message(aid: str, rev: int, *, days_old: int, **extra: object) -> bytes:
        fetched = (now - timedelta(days=days_old)).isoformat()
        value = {"article_id": aid, "revision": rev, "url": f"https://x/{aid}",
                 "canonical_url": f"https://x/{aid}", "title": "T", "body": _text(7),
                 "content_hash": f"h{rev}", "fetched_at": fetched, **extra}  # fmt: skip
        return json.dumps(value).encode()

    latest = fold_latest(
        [
            (b"a", message("a", 1, days_old=1, source="feed")),  # schema 1
            (b"b", message("b", 1, days_old=1, story_id="a", duplicate_of="a")),
            (b"b", message("b", 2, days_old=1, story_id="a", duplicate_of="a", body_from="page")),
            (b"c", message("c", 1, days_old=30, story_id="c")),
            (b"d", message("d", 1, days_old=1)),
            (b"d", None),  # tombstone: forgotten
        ],
        now=now,
    )
    assert set(latest) == {"a", "b", "c"}
    assert latest["a"].source == "feed" and latest["a"].story_id is None
    assert (latest["b"].revision, latest["b"].story_id, latest["b"].duplicate_of) == (2, "a", "a")
    assert latest["b"].fingerprint is not None and latest["c"].fingerprint is None  # too old


def test_threads_asking_at_once_load_the_detector_once() -> None:
    """A first burst of articles in the poller's worker threads loaded one model per thread."""
    language._load_identifier.cache_clear()
    barrier = threading.Barrier(6)

    def first_article() -> None:
        barrier.wait()
        language.detect("Die Gemeinde meldet neue Zahlen zum Haushalt und zur Schule.")

    threads = [threading.Thread(target=first_article) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert language._load_identifier.cache_info().misses == 1
