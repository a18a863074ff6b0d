"""Hand-built enriched articles and the index -> alert round trip, for the alert tests.

An article here says exactly who is quoted with what and which entities it mentions, so a
test knows which watch must match it; the real indexer and alerter then run against the
real Kafka and Elasticsearch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from newsstream.alerts.service import run_alerter
from newsstream.bus import make_producer
from newsstream.indexer.service import run_indexer
from newsstream.messages import (
    EnrichedArticle,
    Entity,
    NlpInfo,
    Quote,
    article_id_for,
    content_hash_for,
)
from newsstream.settings import Settings

FILLER = (
    "Die Gespräche über eine Waffenruhe in der Ukraine gehen weiter. Beobachter in Kiew und "
    "Moskau rechnen nicht mit einer schnellen Einigung."
)


def make_article(
    slug: str,
    *,
    title: str = "Verhandlungen über eine Waffenruhe",
    quotes: Sequence[tuple[str, str]] = (),
    entities: Sequence[tuple[str, str]] = (),
    revision: int = 1,
    extra: str = "",
) -> EnrichedArticle:
    """An enriched article quoting ``(speaker, text)`` and mentioning ``(name, label)``."""
    paragraphs = [FILLER + (f" {extra}" if extra else "")]
    found: list[Quote] = []
    for speaker, text in quotes:
        offset = sum(len(p) + 2 for p in paragraphs)
        paragraph = f"„{text}“, sagte {speaker}."
        found.append(Quote(quote=text, speaker=speaker, cue="sagte", start=offset + 1,
                           end=offset + 1 + len(text), paragraph=len(paragraphs),
                           speaker_type="PER"))  # fmt: skip
        paragraphs.append(paragraph)
    names = [name for name, _ in entities]
    if names:
        paragraphs.append("Genannt wurden " + ", ".join(names) + ".")
    body = "\n\n".join(paragraphs)
    url = f"https://www.example.org/nachrichten/{slug}"
    mentioned = [
        Entity.model_validate(
            {
                "text": name,
                "label": label,
                "canonical": name,
                "start": max(0, body.find(name)),
                "end": max(0, body.find(name)) + len(name),
            }
        )
        for name, label in entities
    ]
    return EnrichedArticle(
        article_id=article_id_for(url),
        revision=revision,
        url=url,
        canonical_url=url,
        title=title,
        body=body,
        content_hash=content_hash_for(title, body),
        published_at=datetime.now(UTC),
        entities=mentioned,
        quotes=found,
        nlp=NlpInfo(model="test", model_version="0", elapsed_ms=1.0),
    )


def publish(settings: Settings, *articles: EnrichedArticle) -> None:
    producer = make_producer(settings)
    try:
        for a in articles:
            producer.send(settings.topic_enriched, key=a.article_id.encode(), value=a.to_bytes())
        producer.flush(timeout=30)
    finally:
        producer.close()


def index(settings: Settings, *articles: EnrichedArticle) -> None:
    """Publish to the enriched topic and run the real indexer until it is idle."""
    publish(settings, *articles)
    assert run_indexer(settings, until_idle=True) == 0


def alert(settings: Settings) -> int:
    """Run the real alerter until it has matched and delivered everything there is."""
    return run_alerter(settings, until_idle=True)
