"""One planned batch applied to Elasticsearch (the writer thread's work; never touches Kafka).

In order: the bulk write of the batch's newest revisions; withdrawals (tombstones) with all
their quotation documents; quotation documents an updated article no longer has; and the
quotation documents an outdated revision (refused as older than the stored one) created,
deleted again. The refresh that makes a batch searchable before the indexer announces it is
``refresh_once``, which the loop runs on its own thread (the writer goes on meanwhile).
Each step retries while Elasticsearch is away, through the sleep it is given
(which ends on shutdown).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from newsstream.indexer.batch import Current, stale_delete_ops, stale_quotes_query, withdraw_ops
from newsstream.indexer.ops import Op
from newsstream.indexer.writer import BulkWriter, WriteResult, retrying
from newsstream.settings import Settings

log = logging.getLogger(__name__)

#: Stale-quote search page size; more stale quotes than this are removed in further rounds.
STALE_PAGE = 1000


@dataclass
class Cleanup:
    """What a batch's clean-up removed besides its own writes."""

    stale_quotes_deleted: int = 0
    withdrawn: int = 0


class BatchApplier:
    """Writes one batch and cleans up after it; used from the indexer's writer thread."""

    def __init__(
        self,
        es: Elasticsearch,
        writer: BulkWriter,
        settings: Settings,
        sleep: Callable[[float], None],
    ) -> None:
        self.es = es
        self.writer = writer
        self.settings = settings
        self.sleep = sleep
        self.cleanup = Cleanup()

    def apply(self, ops: list[Op], current: Mapping[str, Current], gone: set[str]) -> WriteResult:
        """Stale quote documents are looked for only where the article document existed
        before (``updated``): a first revision has none, which keeps the common path to one
        bulk request per batch."""
        result = self.writer.write(ops)
        if gone:
            self._withdraw(gone)
        updated = {aid: current[aid] for aid in result.updated if aid not in result.rejected}
        if updated:
            self._delete_stale_quotes(updated)
        undo = [
            Op("delete", op.index, op.doc_id, op.version, op.group, None, "quotes")
            for aid in result.outdated
            for op in result.created_quotes.get(aid, [])
        ]
        if undo:
            self.cleanup.stale_quotes_deleted += self.writer.write(undo).written
        return result

    def refresh_once(self) -> None:
        """Make what was written searchable now: the indexer announces it on ``news.indexed``
        next, and the alerter searches it at once (the 1 s refresh interval would add latency
        and could let it miss the batch)."""
        self.es.indices.refresh(index=[self.settings.articles_alias, self.settings.quotes_alias])

    def _search(self, query: dict[str, Any], size: int, fields: list[str]) -> list[Any]:
        alias = self.settings.quotes_alias
        retrying(lambda: self.es.indices.refresh(index=alias), sleep=self.sleep)
        response = retrying(
            lambda: self.es.search(index=alias, query=query, size=size, source_includes=fields),
            sleep=self.sleep,
        )
        hits: list[Any] = response["hits"]["hits"]
        return hits

    def _withdraw(self, article_ids: set[str]) -> None:
        """Delete withdrawn articles (a tombstone upstream) with every quotation document."""
        hits = self._search({"terms": {"article_id": sorted(article_ids)}}, 10_000, ["article_id"])
        result = self.writer.write(withdraw_ops(article_ids, hits, self.settings))
        self.cleanup.withdrawn += len(article_ids)
        log.info(
            "articles withdrawn",
            extra={"articles": len(article_ids), "deleted_docs": result.written},
        )

    def _delete_stale_quotes(self, current: Mapping[str, Current]) -> None:
        """Remove the quote docs of these articles that their current revision does not have."""
        fields = ["article_id", "revision", "position"]
        while True:
            hits = self._search(stale_quotes_query(current), STALE_PAGE, fields)
            ops = stale_delete_ops(hits, current, self.settings)
            if ops:
                result = self.writer.write(ops)
                self.cleanup.stale_quotes_deleted += result.written
                for group, error in result.rejected.items():
                    log.error(
                        "stale quote could not be deleted",
                        extra={"article_id": group, "error": error},
                    )
            if len(hits) < STALE_PAGE:
                return
