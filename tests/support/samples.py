"""Enriched articles built from a hand-made gold annotation (tests, benchmark, demos).

Pure: the caller reads the files. The gold file (``shared/data/articles/*.gold.json``) lists
quotations with speaker, role, cue and character offsets, and entity names per type; this
turns it into the ``EnrichedArticle`` the extractor would ideally publish, so the indexer and
search can be tested on a real article without a trained model.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from newsstream.messages import (
    EnrichedArticle,
    Entity,
    NlpInfo,
    Quote,
    article_id_for,
    content_hash_for,
)

GOLD_URL = "https://www.br.de/nachrichten/deutschland-welt/putins-angebot-warum-verhandelt-der-westen-nicht,UEbYQ3z"
GOLD_FEED = "https://www.br.de/nachrichten/deutschland-welt,QBxvAZ8/rss"


def _occurrences(body: str, names: list[str]) -> list[tuple[int, int]]:
    """Offsets of every whole-word occurrence of any of ``names`` (inflected forms included)."""
    found: set[tuple[int, int]] = set()
    for name in names:
        for match in re.finditer(rf"\b{re.escape(name)}\w*", body):
            found.add((match.start(), match.end()))
    return sorted(found)


def gold_entities(body: str, gold: dict[str, Any]) -> list[Entity]:
    """Entities of the gold file with offsets found in ``body`` (a person also by surname)."""
    entities: list[Entity] = []
    for label in ("PER", "ORG", "LOC", "MISC"):
        for canonical in gold.get("entities", {}).get(label, []):
            names = [canonical, canonical.split()[-1]] if label == "PER" else [canonical]
            offsets = _occurrences(body, names) or [(0, 0)]
            start, end = offsets[0]
            entities.append(
                Entity(
                    text=body[start:end] or canonical,
                    label=label,
                    canonical=canonical,
                    start=start,
                    end=end,
                    count=len(offsets),
                    offsets=offsets,
                )
            )
    return entities


def _paragraph(body: str, offset: int) -> int:
    return body.count("\n\n", 0, offset)


def gold_quotes(body: str, gold: dict[str, Any]) -> list[Quote]:
    return [
        Quote(
            quote=q["quote"],
            speaker=q.get("speaker"),
            speaker_role=q.get("speaker_role"),
            cue=q.get("cue"),
            start=q["start"],
            end=q["end"],
            paragraph=_paragraph(body, q["start"]),
            speaker_type="PER" if q.get("speaker") else None,
        )
        for q in gold.get("quotes", [])
    ]


def enriched_from_gold(
    body: str,
    gold: dict[str, Any],
    *,
    url: str = GOLD_URL,
    revision: int = 1,
    published_at: datetime | None = None,
) -> EnrichedArticle:
    """The enriched article for ``body`` (the gold's source text) and its gold annotation."""
    title = gold.get("title", "")
    published = published_at or datetime(2024, 5, 29, 17, 4, tzinfo=UTC)
    return EnrichedArticle(
        article_id=article_id_for(url),
        revision=revision,
        url=url,
        canonical_url=url,
        feed_url=GOLD_FEED,
        guid=url,
        title=title,
        teaser=gold.get("teaser", ""),
        body=body,
        authors=["BR24 Redaktion"],
        published_at=published,
        fetched_at=published,
        categories=["Deutschland & Welt"],
        content_hash=content_hash_for(title, body),
        entities=gold_entities(body, gold),
        quotes=gold_quotes(body, gold),
        nlp=NlpInfo(model="gold", model_version="1", extracted_at=published, elapsed_ms=0.0),
    )
