"""What ``newsstream watch add | list | remove | test`` do, as plain functions.

``add`` checks the watch (name, targets, criteria), has Elasticsearch validate its query
against the article index, and stores it; ``test`` runs the stored query over what is
already indexed - the same query the alerter runs on each new batch.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from newsstream.alerts.matching import (
    history_quotes_request,
    history_request,
    matched_entities,
)
from newsstream.alerts.store import WatchStore, ensure_alert_indices
from newsstream.alerts.watches import Watch, new_watch
from newsstream.settings import Settings
from newsstream.wiring import Clients


def _store(settings: Settings, clients: Clients | None) -> WatchStore:
    from newsstream.reach import require_elasticsearch

    es = (clients or Clients(settings)).es
    require_elasticsearch(settings, es)
    ensure_alert_indices(es, settings)
    return WatchStore(es, settings)


@dataclass
class WatchSpec:
    """The criteria and targets of ``watch add``."""

    speaker: str | None = None
    entities: list[str] | None = None
    query: str | None = None
    outlet: str | None = None
    notify: list[str] | None = None
    secret: str | None = None


def add_watch(
    settings: Settings, name: str, spec: WatchSpec, *, clients: Clients | None = None
) -> Watch:
    """Check, validate (Elasticsearch's ``_validate/query``) and store a new watch."""
    from newsstream.indexer.setup import ensure_indices

    store = _store(settings, clients)
    watch = new_watch(
        name,
        speaker=spec.speaker,
        entities=spec.entities,
        query=spec.query,
        outlet=spec.outlet,
        notify=spec.notify,
        secret=spec.secret or secrets.token_hex(32),
        created_at=datetime.now(UTC),
        deny_private=settings.alert_deny_private,
    )
    ensure_indices(store.es, settings)  # the article index the query is validated against
    store.validate(watch)
    store.add(watch)
    return watch


def list_watches(settings: Settings, *, clients: Clients | None = None) -> list[Watch]:
    return _store(settings, clients).all()


def remove_watch(settings: Settings, name: str, *, clients: Clients | None = None) -> None:
    _store(settings, clients).remove(name)


def try_watch(
    settings: Settings,
    name: str,
    *,
    since: datetime | None,
    limit: int = 20,
    clients: Clients | None = None,
) -> dict[str, Any]:
    """What the watch would have matched among the indexed articles (newest first)."""
    from elasticsearch import NotFoundError

    store = _store(settings, clients)
    watch = store.get(name)
    request = history_request(watch, settings, since=since, limit=limit)
    try:
        answer = store.es.search(index=settings.articles_alias, **request)
    except NotFoundError:
        return {"watch": name, "total": 0, "matches": []}
    hits = [dict(h["_source"]) for h in answer["hits"]["hits"]]
    quotes: dict[str, list[dict[str, Any]]] = {}
    wanted = history_quotes_request(watch, [h["article_id"] for h in hits])
    if wanted is not None:
        for q in store.es.search(index=settings.quotes_alias, **wanted)["hits"]["hits"]:
            quotes.setdefault(q["_source"]["article_id"], []).append(q["_source"])
    matches = [
        {
            "article_id": h["article_id"],
            "title": h.get("title"),
            "url": h.get("url"),
            "outlet": h.get("outlet"),
            "published_at": h.get("published_at"),
            "entities": matched_entities(watch, h),
            "quotes": [
                {k: q.get(k) for k in ("speaker", "speaker_role", "quote", "position")}
                for q in quotes.get(h["article_id"], [])
            ],
        }
        for h in hits
    ]
    total = answer["hits"]["total"]
    return {"watch": name, "total": int(total["value"]), "matches": matches}
