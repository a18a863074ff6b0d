"""EnrichedArticle -> Elasticsearch documents (pure: no client, no clock, no randomness).

Ids are deterministic so that a replay or a retry overwrites instead of duplicating:
the article document's id is the ``article_id``; a quote document's id is a hash of
``(article_id, position)``. Both carry the ``revision`` that the indexer uses as external
version, so an older revision can never overwrite a newer one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from newsstream.indexer.mappings import ENTITY_FIELDS
from newsstream.messages import EnrichedBase, EntityRef

#: Largest external version Elasticsearch accepts (a Java long).
MAX_VERSION = 2**63 - 1


def quote_id(article_id: str, position: int) -> str:
    """Stable id of the quotation at ``position`` (0-based) of an article."""
    return hashlib.sha256(f"{article_id}:{position}".encode()).hexdigest()[:32]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _unique(values: Iterable[str | None]) -> list[str]:
    """Non-empty values, first occurrence kept, order preserved (facets must not repeat)."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)


def _ranked(entities: Sequence[EntityRef]) -> list[EntityRef]:
    """Most-mentioned first, so a facet list reads as 'who is this article about'."""
    return sorted(entities, key=lambda e: (-e.count, e.start))


def surname(name: str) -> str:
    """The last word of a personal name ('Gerhard Mangott' -> 'Mangott')."""
    parts = name.split()
    return parts[-1] if parts else name


def display_time(a: EnrichedBase) -> tuple[datetime, bool]:
    """The time an article is shown at, and whether it is estimated.

    Kibana and ``--since`` filter on ``published_at``; an article whose feed gave no date would
    be invisible there, so it falls back to ``modified_at`` and then ``fetched_at`` (flagged).
    """
    if a.published_at is not None:
        return a.published_at, False
    return (a.modified_at or a.fetched_at), True


def article_document(a: EnrichedBase) -> dict[str, Any]:
    """The ``news-articles`` document for one enriched article revision."""
    entities = _ranked(a.entities)
    names = [e.canonical or e.text for e in entities]
    published, estimated = display_time(a)
    doc: dict[str, Any] = {
        "article_id": a.article_id,
        "revision": a.revision,
        "schema_version": a.schema_version,
        "url": a.url,
        "canonical_url": a.canonical_url,
        "feed": a.feed_url,
        "guid": a.guid,
        "title": a.title,
        "teaser": a.teaser,
        "body": a.body,
        "authors": _unique(a.authors),
        "categories": _unique(a.categories),
        "language": a.language,
        "content_hash": a.content_hash,
        "outlet": a.outlet_name,
        "body_from": a.body_from,
        "story_id": a.story,
        "duplicate_of": a.duplicate_of,
        "is_copy": a.duplicate_of is not None,
        "published_at": published.isoformat(),
        "published_at_estimated": estimated,
        "modified_at": _iso(a.modified_at),
        "fetched_at": _iso(a.fetched_at),
        "entities": _unique(names),
        "entity_texts": _unique(e.text for e in entities),
        "entity_count": len(entities),
        "speakers": _unique(q.speaker for q in a.quotes),
        "speaker_surnames": _unique(surname(q.speaker) for q in a.quotes if q.speaker),
        "speaker_roles": _unique(q.speaker_role for q in a.quotes),
        "quote_count": len(a.quotes),
        "nlp_model": a.nlp.model,
        "nlp_model_version": a.nlp.model_version,
        "extracted_at": _iso(a.nlp.extracted_at),
        "nlp_skipped": a.nlp.skipped,
    }
    by_label: dict[str, list[str]] = {label: [] for label in ENTITY_FIELDS}
    for e, name in zip(entities, names, strict=True):
        by_label[e.label].append(name)
    for label, field in ENTITY_FIELDS.items():
        doc[field] = _unique(by_label[label])
    return doc


#: The article document's fields every quotation document carries, with the same values.
QUOTE_SHARED_FIELDS = (
    "article_id", "revision", "title", "url", "feed", "outlet", "language", "story_id",
    "duplicate_of", "is_copy", "categories", "published_at", "entities",
)  # fmt: skip


def quote_documents(
    a: EnrichedBase, article_doc: Mapping[str, Any] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """One ``news-quotes`` document per quotation: ``(doc_id, document)`` in position order.

    Each carries the article's title, URL, feed, outlet, language, story, categories, time and
    entity names so that a quotation can be shown, filtered and counted once per story on its
    own: taken from the article's document (``article_doc``, when the caller has built it
    already), so the two can never disagree and nothing is ranked or deduplicated twice.
    """
    if not a.quotes:
        return []
    source = article_doc if article_doc is not None else article_document(a)
    # the same for every quotation of the article: built once, merged into each document
    shared = {field: source[field] for field in QUOTE_SHARED_FIELDS}
    docs: list[tuple[str, dict[str, Any]]] = []
    for position, q in enumerate(a.quotes):
        doc_id = quote_id(a.article_id, position)
        speaker = q.speaker
        doc = {
            "quote_id": doc_id,
            "position": position,
            "quote": q.quote,
            "speaker": speaker,
            # as on articles, so one dashboard control filters both
            "speakers": [speaker] if speaker else [],
            "speaker_surname": surname(speaker) if speaker else None,
            "speaker_role": q.speaker_role,
            "speaker_type": q.speaker_type,
            "cue": q.cue,
            "paragraph": q.paragraph,
            "start": q.start,
            "end": q.end,
        }
        doc.update(shared)
        docs.append((doc_id, doc))
    return docs
