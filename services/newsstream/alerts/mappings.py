"""How watches and delivered alerts are stored in Elasticsearch (pure: data only).

``news-watches`` keeps each watch with its query as an unindexed object (it is run, never
searched); ``news-alerts`` keeps every alert the notifier handled, with its delivery outcome,
for Kibana's "Alerts" saved search. Both are ``<alias>-v1`` indices behind an alias, like the
article indices, so a mapping change is a reindex.
"""

from __future__ import annotations

from typing import Any

from newsstream.indexer.mappings import german_text, name_keyword
from newsstream.settings import Settings

_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 1024}
_DATE: dict[str, Any] = {"type": "date"}

WATCH_PROPERTIES: dict[str, Any] = {
    "name": _KEYWORD,
    "watch_id": _KEYWORD,
    "speaker": _KEYWORD,
    "entities": _KEYWORD,
    "query": {"type": "text", "index": False},
    "outlet": _KEYWORD,
    "notify": _KEYWORD,
    "secret": {"type": "keyword", "index": False, "doc_values": False},
    "created_at": _DATE,
    "articles_query": {"type": "object", "enabled": False},
    "quotes_query": {"type": "object", "enabled": False},
}

ALERT_PROPERTIES: dict[str, Any] = {
    "alert_id": _KEYWORD,
    "watch_id": _KEYWORD,
    "watch": _KEYWORD,
    "article_id": _KEYWORD,
    "revision": {"type": "long"},
    "url": _KEYWORD,
    "title": german_text(keyword=True),
    "outlet": _KEYWORD,
    "published_at": _DATE,
    "indexed_at": _DATE,
    "matched_at": _DATE,
    "delivered_at": _DATE,
    "speakers": name_keyword(),
    "quotes": german_text(),
    "entities": name_keyword(),
    "status": _KEYWORD,
    "delivered_to": _KEYWORD,
    "failed_to": _KEYWORD,
    "tries": {"type": "integer"},
    "error": {"type": "text", "index": False},
}


def template(alias: str, properties: dict[str, Any]) -> dict[str, Any]:
    """A composable template for ``<alias>-*`` (priority by alias length, as for articles)."""
    return {
        "index_patterns": [f"{alias}-*"],
        "priority": 100 + len(alias),
        "template": {
            "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1"},
            "mappings": {"dynamic": "strict", "properties": properties},
        },
        "_meta": {"managed_by": "newsstream"},
    }


def templates(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        settings.watches_alias: template(settings.watches_alias, WATCH_PROPERTIES),
        settings.alerts_alias: template(settings.alerts_alias, ALERT_PROPERTIES),
    }
