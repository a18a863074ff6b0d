from __future__ import annotations

from datetime import UTC, datetime

from newsstream.indexer.documents import (
    QUOTE_SHARED_FIELDS,
    article_document,
    quote_documents,
    quote_id,
    surname,
)
from newsstream.indexer.mappings import ARTICLE_PROPERTIES, QUOTE_PROPERTIES
from newsstream.messages import EnrichedArticle


def test_documents_article_id_and_revision(gold_article: EnrichedArticle) -> None:
    doc = article_document(gold_article)
    assert doc["article_id"] == gold_article.article_id
    assert doc["revision"] == 1
    assert doc["title"] == "Putins Angebot: Warum verhandelt der Westen nicht?"


def test_documents_entity_facets_per_type(gold_article: EnrichedArticle) -> None:
    doc = article_document(gold_article)
    assert "Gerhard Mangott" in doc["entities_per"]
    assert "Nato" in doc["entities_org"]
    assert "Ukraine" in doc["entities_loc"]
    assert doc["entities_misc"] == []
    assert "Gerhard Mangott" in doc["entities"]
    assert len(doc["entities"]) == len(set(doc["entities"]))


def test_documents_speakers_and_roles(gold_article: EnrichedArticle) -> None:
    doc = article_document(gold_article)
    assert doc["speakers"] == ["Ralph Thiele", "Gerhard Mangott"]
    assert doc["speaker_surnames"] == ["Thiele", "Mangott"]
    assert set(doc["speaker_roles"]) == {"Militärexperte", "Politikwissenschaftler"}
    assert doc["quote_count"] == 8


def test_documents_quote_ids_deterministic(gold_article: EnrichedArticle) -> None:
    first = quote_documents(gold_article)
    again = quote_documents(gold_article.model_copy(update={"revision": 2}))
    assert [doc_id for doc_id, _ in first] == [doc_id for doc_id, _ in again]
    assert len({doc_id for doc_id, _ in first}) == 8
    assert first[0][0] == quote_id(gold_article.article_id, 0)
    assert quote_id("a", 1) != quote_id("a", 2) != quote_id("b", 1)


def test_documents_quote_carries_article_context(gold_article: EnrichedArticle) -> None:
    _, doc = quote_documents(gold_article)[1]
    assert doc["speaker"] == "Gerhard Mangott"
    assert doc["speaker_surname"] == "Mangott"
    assert doc["position"] == 1
    assert doc["title"] == gold_article.title
    assert doc["url"] == gold_article.url
    assert doc["feed"] == gold_article.feed_url
    assert doc["published_at"] == "2024-05-29T17:04:00+00:00"


def test_documents_quotes_share_the_article_documents_fields(
    gold_article: EnrichedArticle,
) -> None:
    """Built from the article document (given, or built for the call): the same either way,
    and every shared field, entity names and categories included, equal to the article's."""
    article_doc = article_document(gold_article)
    quotes = quote_documents(gold_article)
    assert quote_documents(gold_article, article_doc) == quotes
    assert article_doc["entities"] and article_doc["published_at"]
    for _, doc in quotes:
        for field in QUOTE_SHARED_FIELDS:
            assert doc[field] == article_doc[field], field
    assert quote_documents(gold_article.model_copy(update={"quotes": []})) == []


def test_documents_only_mapped_fields(gold_article: EnrichedArticle) -> None:
    """Mappings are strict: a document field missing from the template would be rejected."""
    assert set(article_document(gold_article)) <= set(ARTICLE_PROPERTIES)
    for _, doc in quote_documents(gold_article):
        assert set(doc) <= set(QUOTE_PROPERTIES)


def test_documents_missing_published_at_falls_back(gold_article: EnrichedArticle) -> None:
    fetched = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    article = gold_article.model_copy(update={"published_at": None, "fetched_at": fetched})
    doc = article_document(article)
    assert doc["published_at"] == fetched.isoformat()
    assert doc["published_at_estimated"] is True


def test_documents_unnamed_speaker(gold_article: EnrichedArticle) -> None:
    quote = gold_article.quotes[0].model_copy(update={"speaker": None, "speaker_role": None})
    article = EnrichedArticle.model_validate({**gold_article.model_dump(), "quotes": [quote]})
    _, doc = quote_documents(article)[0]
    assert doc["speaker"] is None and doc["speaker_surname"] is None
    assert article_document(article)["speakers"] == []


def test_documents_surname() -> None:
    assert surname("Gerhard Mangott") == "Mangott"
    assert surname("Mangott") == "Mangott"


def test_documents_outlet_language_and_story_on_articles_and_quotes(
    gold_article: EnrichedArticle,
) -> None:
    copy = gold_article.model_copy(
        update={"outlet": "BR24", "language": "de", "story_id": "s1", "duplicate_of": "s1",
                "body_from": "feed"}
    )  # fmt: skip
    doc = article_document(copy)
    assert (doc["outlet"], doc["language"], doc["story_id"], doc["duplicate_of"]) == (
        "BR24", "de", "s1", "s1",
    )  # fmt: skip
    assert doc["is_copy"] is True and doc["body_from"] == "feed" and "source" not in doc
    assert set(doc) <= set(ARTICLE_PROPERTIES)
    for _, quote in quote_documents(copy):
        assert (quote["outlet"], quote["story_id"], quote["is_copy"]) == ("BR24", "s1", True)
        assert quote["speakers"] == ([quote["speaker"]] if quote["speaker"] else [])
        assert set(quote) <= set(QUOTE_PROPERTIES)


def test_documents_version_1_message_gets_outlet_and_story_of_its_own() -> None:
    """A schema-1 message (``source``, no outlet, no story) still makes a complete document."""
    import json

    old = {
        "schema_version": 1, "article_id": "abc", "revision": 2,
        "url": "https://www.br.de/nachrichten/x", "canonical_url": "https://www.br.de/nachrichten/x",
        "feed_url": "https://nachrichtenfeeds.br.de/rss/nachrichten/seiten/QXAPkQJ",
        "title": "T", "body": "B", "content_hash": "h", "source": "feed",
        "source_error": "http_500: kaputt",
        "nlp": {"model": "de_x", "model_version": "1", "elapsed_ms": 1.0},
    }  # fmt: skip
    article = EnrichedArticle.from_bytes(json.dumps(old).encode())
    assert (article.body_from, article.body_error) == ("feed", "http_500: kaputt")
    doc = article_document(article)
    assert doc["outlet"] == "nachrichtenfeeds.br.de" and doc["story_id"] == "abc"
    assert doc["duplicate_of"] is None and doc["is_copy"] is False
    assert doc["schema_version"] == 1
