"""One test's or one benchmark run's own Kafka topics, consumer groups and index aliases.

Everything newsstream names is derived from a tag, so runs against one long-lived stack never
see each other's data, and cleaning up is "delete what starts with the tag".
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from newsstream.settings import Settings
from newsstream.store import make_es
from newsstream.topics import ALERTS, COMPACTED, DEAD_LETTER, admin_client, create_topics


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


def drop_isolated(settings: Settings, tag: str) -> None:
    """Delete what was created under ``tag``: its topics, indices and index templates.

    Best effort (the stack may be away at the end of a fault test): what is left is only
    clutter, never another run's data.
    """
    with contextlib.suppress(Exception):
        admin = admin_client(settings)
        try:
            mine = [t for t in admin.list_topics() if t.startswith(f"{tag}.")]
            if mine:
                admin.delete_topics(mine)
        finally:
            admin.close()
    with contextlib.suppress(Exception):
        es = make_es(settings)
        try:
            es.indices.delete(index=f"{tag}-*", ignore_unavailable=True, allow_no_indices=True)
            templates = es.indices.get_index_template(name=f"{tag}-*")
            for item in templates.get("index_templates", []):
                es.indices.delete_index_template(name=item["name"])
        finally:
            es.close()
