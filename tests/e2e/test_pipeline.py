"""The whole product on the real local stack: feed server -> poller -> Kafka -> extractors ->
Kafka -> indexer -> Elasticsearch, driven through the ``newsstream`` command like a user would."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch
from tests.e2e.helpers import count, run_cli, search_json, serve
from tests.support.corpus import make_corpus, make_variant
from tests.support.feedserver import FeedServer

from newsstream.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _pipeline_settings(ns_settings: Settings, server: FeedServer) -> Settings:
    return ns_settings.model_copy(update={"feeds": [server.feed_url], "allowed_hosts": []})


def test_pipeline_fifty_articles_then_three_edits(
    ns_settings: Settings, es: Elasticsearch, feed_server: FeedServer
) -> None:
    settings = _pipeline_settings(ns_settings, feed_server)
    corpus = make_corpus(50, quotes=2)
    serve(feed_server, corpus)

    first = run_cli(settings, "run", "--until-idle", "--no-status", timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    assert count(es, settings.articles_alias) == 50
    assert count(es, settings.quotes_alias) == 100

    hits = search_json(settings, "Waffenruhe", "--limit", "5")
    assert hits["total"] == 50
    speaker = corpus[0].quotes[0][0]
    quotes = search_json(settings, "", "--quotes", "--speaker", speaker, "--limit", "100")
    expected = sum(1 for v in corpus for name, _ in v.quotes if name == speaker)
    assert quotes["total"] == expected

    # Three articles are edited on the server: one quotation each instead of two.
    edited = [corpus[i].slug for i in (3, 17, 41)]
    for slug in edited:
        v = make_variant(int(slug.rsplit("-", 1)[1]), quotes=1, seed=7)
        feed_server.update_article(slug, body=v.paragraphs)
    second = run_cli(settings, "run", "--until-idle", "--no-status", timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]

    assert count(es, settings.articles_alias) == 50
    assert count(es, settings.articles_alias, {"term": {"revision": 2}}) == 3
    assert count(es, settings.quotes_alias) == 100 - 3  # stale quotations are gone
    assert count(es, settings.quotes_alias, {"range": {"revision": {"lt": 2}}}) == 94


def test_pipeline_unchanged_feed_publishes_nothing_new(
    ns_settings: Settings, es: Elasticsearch, feed_server: FeedServer
) -> None:
    settings = _pipeline_settings(ns_settings, feed_server)
    serve(feed_server, make_corpus(5, quotes=1))
    assert run_cli(settings, "run", "--until-idle", "--no-status").returncode == 0
    again = run_cli(settings, "run", "--until-idle", "--no-status")
    assert again.returncode == 0, again.stderr[-2000:]
    assert count(es, settings.articles_alias, {"term": {"revision": 1}}) == 5
    assert count(es, settings.quotes_alias) == 5
