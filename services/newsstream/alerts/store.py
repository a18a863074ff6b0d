"""Watches and delivered alerts in Elasticsearch: the alert indices, watch CRUD, validation.

Watches live in ``news-watches`` (document id = watch name); a watch's query is checked with
Elasticsearch's own ``_validate/query`` against the article index before it is stored, so a
query Elasticsearch would refuse never reaches the alerter. Writes refresh at once: a watch
added or removed is seen by the alerter's next batch.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from elasticsearch import (
    AuthorizationException,
    BadRequestError,
    ConflictError,
    Elasticsearch,
    NotFoundError,
)

from newsstream.alerts.mappings import templates
from newsstream.alerts.watches import Watch
from newsstream.errors import WatchExistsError, WatchNotFoundError, WatchQueryError
from newsstream.settings import Settings

log = logging.getLogger(__name__)

#: More watches than this would need paging (the design's scaling limit is far below it).
MAX_WATCHES = 10_000
_JAVA_PREFIX = re.compile(r"^(\[[^\]]*\]\s*)?([a-z_$][\w$]*\.)+[A-Za-z_$][\w$]*: ")


def ensure_alert_indices(es: Elasticsearch, settings: Settings) -> None:
    """Templates, ``<alias>-v1`` indices and aliases for watches and alerts (idempotent)."""
    for alias, body in templates(settings).items():
        es.indices.put_index_template(
            name=alias,
            index_patterns=body["index_patterns"],
            priority=body["priority"],
            template=body["template"],
            meta=body["_meta"],
        )
        try:
            if es.indices.get_alias(name=alias).body:
                continue
        except NotFoundError:
            pass
        try:
            es.indices.create(index=f"{alias}-v1", aliases={alias: {"is_write_index": True}})
            log.info("index created", extra={"index": f"{alias}-v1", "alias": alias})
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise


def readable_reason(error: str) -> str:
    """Elasticsearch's validation error without index names and Java class prefixes."""
    parts = []
    for part in error.split("; "):
        text = part.strip().split("\n", 1)[0].strip()  # not the parser's list of expectations
        while (match := _JAVA_PREFIX.match(text)) is not None:
            text = text[match.end() :]
        if text and text not in parts:
            parts.append(text)
    return "; ".join(parts)[:400] or "refused"


class WatchStore:
    """Add, list, remove and validate watches."""

    def __init__(self, es: Elasticsearch, settings: Settings) -> None:
        self.es = es
        self.settings = settings

    def validate(self, watch: Watch) -> None:
        """Raise :class:`WatchQueryError` with Elasticsearch's reason if it refuses the query."""
        answer = self.es.indices.validate_query(
            index=self.settings.articles_alias, query=watch.articles_query, explain=True
        )
        if answer.get("valid"):
            return
        errors = [str(e.get("error")) for e in answer.get("explanations", []) if e.get("error")]
        reason = readable_reason(errors[0] if errors else str(answer.get("error", "")))
        raise WatchQueryError(f"Elasticsearch rejects the query of watch {watch.name!r}: {reason}")

    def add(self, watch: Watch) -> None:
        try:
            self.es.create(
                index=self.settings.watches_alias,
                id=watch.name,
                document=watch.to_document(),
                refresh=True,
            )
        except ConflictError:
            raise WatchExistsError(f"a watch named {watch.name!r} exists") from None

    def remove(self, name: str) -> None:
        try:
            self.es.delete(index=self.settings.watches_alias, id=name, refresh=True)
        except NotFoundError:
            raise WatchNotFoundError(f"no watch named {name!r}") from None

    def get(self, name: str) -> Watch:
        try:
            doc = self.es.get(index=self.settings.watches_alias, id=name)
        except NotFoundError:
            raise WatchNotFoundError(f"no watch named {name!r}") from None
        return Watch.model_validate(doc["_source"])

    def version(self) -> tuple[tuple[str, str, int], ...] | None:
        """What changes whenever a watch is added or removed: each shard's highest sequence
        number (deletes get one too), with the index's uuid (a recreated index is new).

        A stats call of ~1 ms, where reading every watch back cost ~30 ms of Elasticsearch
        and alerter time (1,000 watches) - the matcher re-reads only when this changes.
        None when the index does not exist, or when the credentials may not read index
        statistics (``monitor``): then the matcher reads the watches every time, as before.
        """
        try:
            stats = self.es.indices.stats(
                index=self.settings.watches_alias, metric="docs", level="shards"
            )
        except (NotFoundError, AuthorizationException):
            return None
        return tuple(
            sorted(
                (index["uuid"], shard, copy["seq_no"]["max_seq_no"])
                for index in stats["indices"].values()
                for shard, copies in index["shards"].items()
                for copy in copies
                if copy["routing"]["primary"]
            )
        )

    def all(self) -> list[Watch]:
        """Every watch, by name (an absent index means none)."""
        try:
            response = self.es.search(
                index=self.settings.watches_alias,
                size=MAX_WATCHES,
                sort=[{"name": "asc"}],
                query={"match_all": {}},
            )
        except NotFoundError:
            return []
        return [Watch.model_validate(hit["_source"]) for hit in response["hits"]["hits"]]


@dataclass(frozen=True)
class Recipient:
    """What delivery needs of a watch."""

    name: str
    notify: tuple[str, ...]
    secret: str


def recipients(
    es: Elasticsearch, settings: Settings, watch_ids: Collection[str] | None = None
) -> dict[str, Recipient]:
    """watch_id -> recipient, for every watch there is now (a removed watch is absent); only
    ``watch_ids`` if given (a batch's alerts name a few of the watches: reading all 1,000 of
    them for every batch cost the notifier more than the deliveries)."""
    query: dict[str, Any] = {"match_all": {}}
    if watch_ids is not None:
        if not watch_ids:
            return {}
        query = {"terms": {"watch_id": sorted(watch_ids)}}
    try:
        response = es.search(
            index=settings.watches_alias,
            size=MAX_WATCHES,
            query=query,
            source_includes=["name", "watch_id", "notify", "secret"],
        )
    except NotFoundError:
        return {}
    found: dict[str, Recipient] = {}
    for hit in response["hits"]["hits"]:
        doc = hit["_source"]
        found[doc["watch_id"]] = Recipient(
            doc["name"], tuple(doc.get("notify") or ()), doc.get("secret") or ""
        )
    return found


def alert_operations(docs: Iterable[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    """Bulk lines indexing delivered alerts (id = alert id: a redelivery overwrites)."""
    lines: list[dict[str, Any]] = []
    for doc in docs:
        lines.append({"index": {"_index": settings.alerts_alias, "_id": doc["alert_id"]}})
        lines.append(doc)
    return lines
