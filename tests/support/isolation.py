"""One test's or one benchmark run's own Kafka topics, consumer groups and index aliases.

Everything newsstream names is derived from a tag, so runs against one long-lived stack never
see each other's data, and cleaning up is "delete what starts with the tag".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsstream.settings import Settings
from newsstream.topics import ALERTS, COMPACTED, DEAD_LETTER, create_topics


def isolated(
    base: Settings, tag: str, state_dir: Path, *, partitions: int = 3, **overrides: Any
) -> Settings:
    """``base`` with names of its own under ``tag``, and its three topics created."""
    values: dict[str, Any] = {
        "topic_raw": f"{tag}.articles.raw",
        "topic_enriched": f"{tag}.articles.enriched",
        "topic_dead_letter": f"{tag}.dead-letter",
        "topic_indexed": f"{tag}.indexed",
        "topic_alerts": f"{tag}.alerts",
        "extractor_group": f"{tag}-extractor",
        "indexer_group": f"{tag}-indexer",
        "alerter_group": f"{tag}-alerter",
        "notifier_group": f"{tag}-notifier",
        "articles_alias": f"{tag}-news-articles",
        "quotes_alias": f"{tag}-news-quotes",
        "watches_alias": f"{tag}-news-watches",
        "alerts_alias": f"{tag}-news-alerts",
        "state_dir": state_dir,
    }
    values.update(overrides)
    settings = base.model_copy(update=values)
    create_topics(
        settings,
        {
            settings.topic_raw: (partitions, COMPACTED),
            settings.topic_enriched: (partitions, COMPACTED),
            settings.topic_indexed: (partitions, COMPACTED),
            settings.topic_alerts: (partitions, ALERTS),
            settings.topic_dead_letter: (1, DEAD_LETTER),
        },
    )
    return settings
