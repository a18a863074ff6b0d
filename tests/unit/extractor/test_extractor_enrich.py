"""enrich(): batches, chunking of over-long bodies, message shape."""

from __future__ import annotations

from spacy.language import Language

from newsstream.extractor.enrich import enrich, split_chunks
from newsstream.messages import Article, EnrichedArticle

BODY = (
    "„Wir bleiben hart“, sagt CSU-Chef Markus Söder.\n\n"
    "Die Opposition widerspricht. „Das ist Unsinn“, sagt Anna Weber.\n\n"
    "„Wir warten ab“, sagt Söder."
)


def _article(body: str, article_id: str = "a1") -> Article:
    return Article(
        article_id=article_id,
        revision=3,
        url="https://www.br.de/x",
        canonical_url="https://www.br.de/x",
        title="T",
        body=body,
        content_hash="h",
    )


def test_enrich_keeps_raw_fields_and_adds_results(blank_nlp: Language) -> None:
    [result] = enrich(blank_nlp, [_article(BODY)])
    assert isinstance(result, EnrichedArticle)
    assert (result.article_id, result.revision, result.body) == ("a1", 3, BODY)
    assert [q.speaker for q in result.quotes] == ["Markus Söder", "Anna Weber", "Markus Söder"]
    assert result.nlp.chunks == 1
    assert result.nlp.elapsed_ms >= 0
    assert result.nlp.model.startswith("de_")


def test_enrich_batch_preserves_order(blank_nlp: Language) -> None:
    articles = [
        _article(f"„Satz Nummer {i} ist hier“, sagt Anna Weber.", f"id{i}") for i in range(5)
    ]
    results = enrich(blank_nlp, articles, batch_size=2)
    assert [r.article_id for r in results] == [f"id{i}" for i in range(5)]


def test_enrich_long_body_is_chunked_not_truncated(blank_nlp: Language) -> None:
    body = "\n\n".join([BODY] * 30)
    [whole] = enrich(blank_nlp, [_article(body)])
    [chunked] = enrich(blank_nlp, [_article(body)], max_body_chars=500)
    assert chunked.nlp.chunks > 1
    assert chunked.body == body
    assert [q.model_dump() for q in chunked.quotes] == [q.model_dump() for q in whole.quotes]
    assert len(chunked.quotes) == 90
    for quote in chunked.quotes:
        assert body[quote.start : quote.end] == quote.quote


def test_enrich_split_chunks_reassemble() -> None:
    body = "a" * 50 + "\n" + "b" * 50 + " " + "c" * 120
    chunks = split_chunks(body, 60)
    assert "".join(chunks) == body
    assert all(len(c) <= 60 for c in chunks)


def test_enrich_empty_body_and_empty_batch(blank_nlp: Language) -> None:
    assert enrich(blank_nlp, []) == []
    [result] = enrich(blank_nlp, [_article("")])
    assert (result.entities, result.quotes) == ([], [])


def test_enrich_serialises_to_the_enriched_message_shape(blank_nlp: Language) -> None:
    [result] = enrich(blank_nlp, [_article(BODY)])
    again = EnrichedArticle.from_bytes(result.to_bytes())
    assert again == result
    quote = again.model_dump()["quotes"][0]
    assert set(quote) >= {"quote", "speaker", "speaker_role", "cue", "start", "end", "paragraph"}


def test_enrich_speaker_with_role_relabels_model_entity(blank_nlp: Language) -> None:
    from newsstream.extractor.enrich import enrich_doc

    from .conftest import make_doc

    body = "„Wir geben nicht auf“, sagte Präsident Wolodymyr Selenskyj in Kiew."
    doc = make_doc(blank_nlp, body, [("Wolodymyr Selenskyj", "LOC"), ("Kiew", "LOC")])
    result = enrich_doc(_article(body), doc, model=("de_test", "1"))
    labels = {e.canonical: e.label for e in result.entities}
    assert labels == {"Wolodymyr Selenskyj": "PER", "Kiew": "LOC"}


def test_enrich_partial_model_name_is_extended(blank_nlp: Language) -> None:
    from newsstream.extractor.enrich import enrich_doc

    from .conftest import make_doc

    body = "Laut Polizeisprecher Stefan Sonntag wurde niemand verletzt. „Wir hatten Glück.“"
    doc = make_doc(blank_nlp, body, [("Stefan", "PER")])
    result = enrich_doc(_article(body), doc, model=("de_test", "1"))
    assert [q.speaker for q in result.quotes] == ["Stefan Sonntag"]
    assert [(e.canonical, e.label) for e in result.entities] == [("Stefan Sonntag", "PER")]


def test_enrich_skips_languages_the_model_does_not_cover(blank_nlp: Language) -> None:
    german, english = _article(BODY, "de1"), _article(BODY, "en1")
    english.language = "en"
    out = enrich(blank_nlp, [english, german], languages=["de"])
    assert [a.article_id for a in out] == ["en1", "de1"]  # input order kept
    assert out[0].entities == [] and out[0].quotes == []
    assert out[0].nlp.skipped == "language:en" and out[0].body == BODY
    assert out[1].nlp.skipped is None and len(out[1].quotes) == 3
    assert enrich(blank_nlp, [english])[0].nlp.skipped is None  # no languages given: run all
