"""Article -> EnrichedArticle: spaCy over a batch, then entities and quotations per article.

Pure apart from the ``nlp`` object. Over-long bodies (more than ``max_body_chars``) are not
truncated: they are cut into paragraph-aligned chunks, each chunk goes through the model,
and the chunk Docs are joined back into one Doc over the full body (``Doc.from_docs``), so
every offset is an offset into the body and quotations near a chunk border are still
attributed. ``NlpInfo.chunks`` records how many chunks there were.

An article in a language the model does not cover (``languages``; the poller detected it)
is not run through the model at all: a German model over English text finds nonsense
entities and no quotations it could attribute. It is passed on with no entities and no
quotations and ``NlpInfo.skipped = "language:<code>"``, so it is still indexed and
searchable, and the skip is visible (and counted by the worker).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from typing import Any

from newsstream.extractor.entities import extract_entities
from newsstream.extractor.quotes import analyse_quotes
from newsstream.messages import Article, EnrichedArticle, NlpInfo

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_CHARS = 100_000


def split_chunks(body: str, max_chars: int) -> list[str]:
    """Cut ``body`` into pieces of at most ``max_chars`` at paragraph ends (else at a space).

    The pieces concatenate back to ``body`` exactly, so offsets can be re-based by length.
    """
    if max_chars <= 0 or len(body) <= max_chars:
        return [body]
    chunks: list[str] = []
    pos = 0
    while len(body) - pos > max_chars:
        window = body[pos : pos + max_chars]
        cut = window.rfind("\n")
        if cut < max_chars // 4:
            cut = max(window.rfind(". "), window.rfind(" "))
        if cut <= 0:
            cut = max_chars - 1
        chunks.append(body[pos : pos + cut + 1])
        pos += cut + 1
    chunks.append(body[pos:])
    return chunks


def model_name_version(nlp: Any) -> tuple[str, str]:
    """``(name, version)`` of the pipeline, via the nlp module when it is there."""
    try:
        from newsstream.nlp.model import model_info
    except ImportError:  # pragma: no cover - the nlp package is part of the install
        meta = getattr(nlp, "meta", {})
        return f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}", str(
            meta.get("version", "0.0.0")
        )
    return model_info(nlp)


def covers(article: Article, languages: Collection[str] | None) -> bool:
    """Does the model cover the article's language? (Unknown language: assume it does.)"""
    return not languages or not article.language or article.language in languages


def skipped(article: Article, model: tuple[str, str]) -> EnrichedArticle:
    """The enriched message of an article the model is not run on (its language)."""
    info = NlpInfo(
        model=model[0], model_version=model[1], elapsed_ms=0.0,
        skipped=f"language:{article.language}",
    )  # fmt: skip
    return EnrichedArticle(**article.model_dump(), entities=[], quotes=[], nlp=info)


def enrich(
    nlp: Any,
    articles: Sequence[Article],
    *,
    batch_size: int = 32,
    max_body_chars: int = DEFAULT_MAX_BODY_CHARS,
    languages: Collection[str] | None = None,
) -> list[EnrichedArticle]:
    """Entities and quotations for every article, in input order (one ``nlp.pipe`` pass).

    Articles whose language is not in ``languages`` (when given) skip the model.
    """
    if not articles:
        return []
    name, version = model_name_version(nlp)
    if languages and not all(covers(a, languages) for a in articles):
        ran = iter(enrich(nlp, [a for a in articles if covers(a, languages)],
                          batch_size=batch_size, max_body_chars=max_body_chars))  # fmt: skip
        return [
            next(ran) if covers(a, languages) else skipped(a, (name, version)) for a in articles
        ]
    pieces: list[str] = []
    owners: list[int] = []
    for index, article in enumerate(articles):
        for chunk in split_chunks(article.body, max_body_chars):
            pieces.append(chunk)
            owners.append(index)
    started = time.perf_counter()
    docs = list(nlp.pipe(pieces, batch_size=batch_size))
    pipe_s = time.perf_counter() - started
    total_chars = sum(len(p) for p in pieces) or 1
    per_article: list[list[Any]] = [[] for _ in articles]
    for owner, doc in zip(owners, docs, strict=True):
        per_article[owner].append(doc)
    out = []
    for article, chunk_docs in zip(articles, per_article, strict=True):
        t0 = time.perf_counter()
        doc = _join(chunk_docs, article.body)
        share = pipe_s * len(article.body) / total_chars
        enriched = enrich_doc(article, doc, model=(name, version), chunks=len(chunk_docs))
        enriched.nlp.elapsed_ms = round((share + time.perf_counter() - t0) * 1000, 3)
        out.append(enriched)
    return out


def _join(docs: list[Any], body: str) -> Any:
    if len(docs) == 1:
        return docs[0]
    from spacy.tokens import Doc

    joined = Doc.from_docs(docs, ensure_whitespace=False)
    if joined.text != body:  # defensive: offsets must stay offsets into the body
        raise ValueError("chunked Doc does not reproduce the article body")
    return joined


def _doc_text(doc: Any, body: str) -> str:
    """``body`` when it is the Doc's text (always, for Docs made here), else ``doc.text``:
    a Doc rebuilds its text from the tokens on every access, and three passes read it."""
    end = doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0
    return body if end == len(body) else str(doc.text)


def enrich_doc(
    article: Article, doc: Any, *, model: tuple[str, str], chunks: int = 1
) -> EnrichedArticle:
    """Build the enriched message from an already processed Doc of ``article.body``."""
    t0 = time.perf_counter()
    text = _doc_text(doc, article.body)
    entities = extract_entities(doc, text=text)
    analysis = analyse_quotes(doc, entities, text=text)
    if analysis.person_spans or analysis.relabel_spans:
        entities = extract_entities(
            doc,
            [(s, e, "PER") for s, e in analysis.person_spans],
            analysis.relabel_spans,
            text=text,
        )
    info = NlpInfo(
        model=model[0],
        model_version=model[1],
        elapsed_ms=round((time.perf_counter() - t0) * 1000, 3),
        chunks=chunks,
    )
    return EnrichedArticle(
        **article.model_dump(), entities=entities, quotes=analysis.quotes, nlp=info
    )


#: Our own sentence (no third-party text): a role, a person, a quotation, a pronoun.
_WARM_UP_TEXT = (
    "Die Ministerin Anna Beispiel sagte am Montag in München: „Wir prüfen das sorgfältig.“\n\n"
    "Sie betonte zudem: „Niemand wird vergessen.“ Der Verband widersprach ihr."
)


def warm_up(nlp: Any) -> None:
    """Run one small article through the whole extraction once, before any real one.

    The first article of a process pays for what is built lazily (the first-name gender
    table, hundreds of regular expressions, the vocabulary's first strings): about a second
    that would otherwise land on the first real article's latency.
    """
    article = Article(
        article_id="warm-up", revision=1, url="https://newsstream.invalid/warm-up",
        canonical_url="https://newsstream.invalid/warm-up", title="Aufwärmen",
        body=_WARM_UP_TEXT, content_hash="warm-up",
    )  # fmt: skip
    enrich(nlp, [article])
