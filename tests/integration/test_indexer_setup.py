"""Templates, indices and aliases on the real Elasticsearch."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from newsstream.indexer.setup import create_versioned_indices, ensure_indices, swap_aliases
from newsstream.settings import Settings

pytestmark = pytest.mark.integration


def _alias_targets(es: Elasticsearch, alias: str) -> dict[str, bool]:
    body = es.indices.get_alias(name=alias).body
    return {
        index: bool(spec["aliases"][alias].get("is_write_index")) for index, spec in body.items()
    }


def test_indexer_setup_idempotent(ns_settings: Settings, es: Elasticsearch) -> None:
    ensure_indices(es, ns_settings)
    ensure_indices(es, ns_settings)  # a second start changes nothing and does not fail
    articles, quotes = ns_settings.articles_alias, ns_settings.quotes_alias
    assert _alias_targets(es, articles) == {f"{articles}-v1": True}
    assert _alias_targets(es, quotes) == {f"{quotes}-v1": True}
    mapping = es.indices.get_mapping(index=articles).body[f"{articles}-v1"]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["title"]["analyzer"] == "german"
    assert mapping["properties"]["entities_per"]["type"] == "keyword"
    assert mapping["properties"]["published_at"]["type"] == "date"
    assert es.indices.exists_index_template(name=articles)


def test_indexer_setup_swap_aliases(ns_settings: Settings, es: Elasticsearch) -> None:
    ensure_indices(es, ns_settings)
    es.index(
        index=ns_settings.articles_alias,
        id="old",
        document={"article_id": "old", "revision": 1},
        refresh=True,
    )
    new_articles, new_quotes = create_versioned_indices(es, ns_settings, "v2")
    assert new_articles == f"{ns_settings.articles_alias}-v2"
    assert es.indices.get_mapping(index=new_articles).body[new_articles]["mappings"]["dynamic"] == (
        "strict"
    )
    old = swap_aliases(es, ns_settings, new_articles, new_quotes)
    assert sorted(old) == sorted(
        [f"{ns_settings.articles_alias}-v1", f"{ns_settings.quotes_alias}-v1"]
    )
    assert _alias_targets(es, ns_settings.articles_alias) == {new_articles: True}
    assert _alias_targets(es, ns_settings.quotes_alias) == {new_quotes: True}
    assert es.count(index=ns_settings.articles_alias)["count"] == 0  # the new, empty index
    ensure_indices(es, ns_settings)  # still idempotent after a swap: keeps the new indices
    assert _alias_targets(es, ns_settings.articles_alias) == {new_articles: True}
