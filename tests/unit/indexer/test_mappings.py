from __future__ import annotations

from newsstream.indexer.mappings import (
    ARTICLE_PROPERTIES,
    QUOTE_PROPERTIES,
    field_type,
    templates,
)
from newsstream.settings import Settings


def test_mappings_german_text_with_exact_subfield() -> None:
    for props, name in ((ARTICLE_PROPERTIES, "title"), (ARTICLE_PROPERTIES, "body"),
                        (ARTICLE_PROPERTIES, "teaser"), (QUOTE_PROPERTIES, "quote")):  # fmt: skip
        assert props[name]["analyzer"] == "german"
        assert field_type(props, f"{name}.exact") == "text"


def test_mappings_facets_are_keywords() -> None:
    for name in ("entities_per", "entities_org", "entities_loc", "entities_misc", "entities",
                 "speakers", "speaker_roles", "feed", "categories", "authors"):  # fmt: skip
        assert field_type(ARTICLE_PROPERTIES, name) == "keyword", name
    for name in ("speaker", "speaker_role", "feed", "article_id"):
        assert field_type(QUOTE_PROPERTIES, name) == "keyword", name
    assert field_type(ARTICLE_PROPERTIES, "published_at") == "date"
    assert field_type(QUOTE_PROPERTIES, "published_at") == "date"
    assert field_type(ARTICLE_PROPERTIES, "nope") is None


def test_mappings_templates_named_after_aliases() -> None:
    settings = Settings(articles_alias="a-articles", quotes_alias="a-quotes")
    result = templates(settings)
    assert set(result) == {"a-articles", "a-quotes"}
    assert result["a-articles"]["index_patterns"] == ["a-articles-*"]
    assert result["a-articles"]["template"]["mappings"]["dynamic"] == "strict"


def test_mappings_nested_aliases_get_different_priorities() -> None:
    """Overlapping patterns with equal priority are refused by Elasticsearch."""
    short = templates(Settings(articles_alias="news-articles"))["news-articles"]
    long = templates(Settings(articles_alias="news-articles-t1"))["news-articles-t1"]
    assert long["priority"] > short["priority"]
