"""Outlets end to end on the real Kafka and Elasticsearch: the poller gives every article its
outlet, language and story; the extractor skips a language the model does not cover; the
indexer stores the fields; ``search --collapse`` shows one hit per story; a version-1 message
already in the raw topic is still processed; the poller rebuilds its story index from Kafka."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.feedserver import FeedServer

from newsstream.bus import make_producer
from newsstream.extractor.service import run_extractor
from newsstream.indexer.service import run_indexer
from newsstream.messages import content_hash_for
from newsstream.outlets.config import FeedConfig
from newsstream.poller.recovery import recover_if_empty
from newsstream.poller.service import run_poller
from newsstream.poller.state import PollerState
from newsstream.poller.stories import StoryIndex
from newsstream.search import search
from newsstream.settings import Settings
from newsstream.store import make_es

pytestmark = pytest.mark.integration

AGENCY = [
    "Der Landtag hat am Mittwoch nach langer Debatte den neuen Haushalt für die kommenden "
    "zwei Jahre beschlossen, mit den Stimmen der Regierungsfraktionen von CSU und Freien Wählern.",
    "Die Opposition kritisierte vor allem die Kürzungen bei den Schulen und im Nahverkehr, die "
    "aus ihrer Sicht die ländlichen Regionen in Franken und der Oberpfalz besonders treffen.",
    "Der Haushalt sieht Ausgaben von rund 75 Milliarden Euro pro Jahr vor; neue Schulden sind "
    "nicht geplant, die Rücklagen werden jedoch weiter abgeschmolzen.",
]
ENGLISH = [
    "The state parliament in Munich passed the new budget for the next two years on Wednesday "
    "after a long debate, with the votes of the governing parties.",
    "Critics said the cuts to schools and local transport would hit rural regions hardest, "
    "while the government insisted that there was no alternative to the savings.",
]
OLD_MESSAGE = {  # as the poller wrote it before message schema 2
    "schema_version": 1, "article_id": "old00000000000000000000000000001", "revision": 1,
    "url": "http://127.0.0.1/alt", "canonical_url": "http://127.0.0.1/alt",
    "feed_url": "http://127.0.0.1/feed.rss", "title": "Alter Artikel",
    "body": "„Wir bleiben dabei“, sagte Anna Weber am Dienstag in München.",
    "language": "de", "source": "feed", "source_error": "http_500: kaputt",
}  # fmt: skip


@pytest.fixture
def pipeline(ns_settings: Settings, feed_server: FeedServer) -> Settings:
    feed_server.add_article(
        "haushalt",
        "Landtag beschließt Haushalt",
        AGENCY,
        quotes=[("Anna Weber", "Das ist ein schwarzer Tag für Franken.")],
    )
    feed_server.add_article(
        "haushalt-agentur",
        "Haushalt beschlossen",
        ["München (Agentur) - Der Überblick.", *AGENCY],
        quotes=[("Anna Weber", "Das ist ein schwarzer Tag für Franken.")],
    )
    feed_server.add_article("budget", "Budget passed", ENGLISH)  # fmt: skip
    settings = ns_settings.model_copy(
        update={"idle_seconds": 2.0, "index_bulk_max_wait_s": 0.2, "nlp_languages": ["de"]}
    )
    old = dict(OLD_MESSAGE, content_hash=content_hash_for("Alter Artikel", OLD_MESSAGE["body"]))
    producer = make_producer(settings)
    producer.send(
        settings.topic_raw, key=old["article_id"].encode(), value=json.dumps(old).encode()
    )
    producer.flush(timeout=30)
    producer.close()
    feed = FeedConfig(url=feed_server.feed_url, outlet="Testfunk", language="de")
    assert run_poller(settings, feeds=[feed], once=True) == 0
    assert run_extractor(settings, until_idle=True) == 0
    assert run_indexer(settings, until_idle=True) == 0
    make_es(settings).indices.refresh(index=[settings.articles_alias, settings.quotes_alias])
    return settings


def _docs(settings: Settings, index: str) -> list[dict[str, object]]:
    hits = make_es(settings).search(index=index, size=100, query={"match_all": {}})
    return [h["_source"] for h in hits["hits"]["hits"]]


def test_outlets_pipeline_fields_collapse_and_old_messages(pipeline: Settings) -> None:
    articles = {d["title"]: d for d in _docs(pipeline, pipeline.articles_alias)}
    assert set(articles) == {"Landtag beschließt Haushalt", "Haushalt beschlossen",
                             "Budget passed", "Alter Artikel"}  # fmt: skip
    first, second = articles["Landtag beschließt Haushalt"], articles["Haushalt beschlossen"]
    assert first["outlet"] == second["outlet"] == "Testfunk"
    assert first["story_id"] == second["story_id"]  # the agency copy: one story
    assert sorted([first["is_copy"], second["is_copy"]]) == [False, True]
    english = articles["Budget passed"]
    assert english["language"] == "en" and english["nlp_skipped"] == "language:en"
    assert english["entity_count"] == 0 and english["quote_count"] == 0
    assert first["language"] == "de" and first["nlp_skipped"] is None
    old = articles["Alter Artikel"]  # schema 1: read, enriched, indexed with defaults
    assert old["body_from"] == "feed" and old["story_id"] == OLD_MESSAGE["article_id"]
    assert old["outlet"] == "127.0.0.1" and old["is_copy"] is False

    quotes = [q for q in _docs(pipeline, pipeline.quotes_alias) if q["speaker"] == "Anna Weber"]
    assert len({q["story_id"] for q in quotes if q["title"] != "Alter Artikel"}) == 1
    es = make_es(pipeline)
    plain = search(es, pipeline, "Haushalt")
    folded = search(es, pipeline, "Haushalt", collapse=True)
    assert plain.total == folded.total == 2 and len(plain.hits) == 2
    assert len(folded.hits) == 1 and folded.stories == 1
    assert search(es, pipeline, "", outlet="testfunk").total == 3


def test_outlets_pipeline_story_index_rebuilt_from_kafka(
    pipeline: Settings, tmp_path: Path
) -> None:
    """A poller whose state is lost gets the stories (and fingerprints) back from the topic."""
    state = PollerState(tmp_path / "fresh")
    try:
        assert recover_if_empty(pipeline, state) == 4
        index = StoryIndex(state.db)
        originals = {d["article_id"]: d for d in _docs(pipeline, pipeline.articles_alias)}
        for article_id, doc in originals.items():
            known = index.known(str(article_id))
            assert known is not None and known.story_id == doc["story_id"]
    finally:
        state.close()
