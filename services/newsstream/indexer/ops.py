"""One bulk operation on an index: what the batch planner produces and the writer sends (pure).

Kept apart from the writer so the pure planning modules (``batch``) never import the
Elasticsearch client or Prometheus.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import orjson


@dataclass(frozen=True)
class Op:
    """One bulk operation; ``group`` is the article it belongs to (for dead-lettering)."""

    action: Literal["index", "delete"]
    index: str
    doc_id: str
    #: The revision as external version; None for an unversioned delete (a withdrawal).
    version: int | None
    group: str
    source: dict[str, Any] | None = None
    kind: str = "articles"

    def lines(self) -> list[dict[str, Any]]:
        target: dict[str, Any] = {"_index": self.index, "_id": self.doc_id}
        if self.version is not None:
            # external_gte: the same revision may be written again (a redelivery, or a
            # `newsstream reprocess` with a better model); an older one never wins.
            # Deletes use it too: they remove only documents not newer than `version`.
            target.update(version=self.version, version_type="external_gte")
        meta: dict[str, Any] = {self.action: target}
        return [meta] if self.source is None else [meta, self.source]

    @cached_property
    def ndjson(self) -> bytes:
        """This operation's lines of a bulk body, encoded once.

        The indexer encodes a batch on its main thread while Elasticsearch is still writing
        the previous one, so the writer thread only joins bytes; a retry of some items
        re-sends their bytes without encoding them again.
        """
        return b"".join(
            orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE) for line in self.lines()
        )


def encode(ops: Iterable[Op]) -> int:
    """Encode every operation now (see ``Op.ndjson``); the bulk body's size in bytes."""
    return sum(len(op.ndjson) for op in ops)
