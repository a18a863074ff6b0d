"""Pure planning of one indexer batch: Kafka records in, bulk operations and offsets out.

Kept apart from the loop so the rules - newest revision wins inside a batch, which quote
documents are stale, which offsets to commit - are unit-tested without Kafka or Elasticsearch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import ValidationError

from newsstream.errors import PoisonMessageError
from newsstream.indexer.documents import MAX_VERSION, article_document, quote_documents
from newsstream.indexer.ops import Op
from newsstream.messages import EnrichedBase, IndexableArticle
from newsstream.settings import Settings


@dataclass
class Received:
    """One consumed record, parsed (``article``) or not (``error``, for the dead-letter topic)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    article: EnrichedBase | None = None
    error: Exception | None = None
    #: A tombstone (no value) for this article id: the article was withdrawn upstream.
    deleted_id: str | None = None

    @property
    def size(self) -> int:
        return len(self.value or b"")

    @property
    def docs(self) -> int:
        """Documents this record becomes: the article plus one per quotation."""
        return 1 + len(self.article.quotes) if self.article is not None else 0


def parse_record(
    topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None
) -> Received:
    """Parse an enriched-topic record; anything that is not a valid EnrichedArticle is poison."""
    received = Received(topic, partition, offset, key, value)
    if value is None:
        article_id = (key or b"").decode("utf-8", "replace").strip()
        if not article_id:
            received.error = PoisonMessageError("tombstone without a key on the enriched topic")
        else:
            received.deleted_id = article_id
        return received
    try:
        article = IndexableArticle.from_bytes(value)
    except (ValidationError, ValueError) as exc:
        received.error = PoisonMessageError(f"not a valid EnrichedArticle: {exc}")
        return received
    if article.revision > MAX_VERSION:
        received.error = PoisonMessageError(
            f"revision {article.revision} exceeds Elasticsearch's largest version"
        )
        return received
    received.article = article
    return received


def latest_per_article(items: Iterable[Received]) -> dict[str, Received]:
    """The newest revision of each article in the batch (older ones would lose anyway)."""
    latest: dict[str, Received] = {}
    for item in items:
        if item.article is None:
            continue
        seen = latest.get(item.article.article_id)
        if seen is None or seen.article is None or item.article.revision >= seen.article.revision:
            latest[item.article.article_id] = item
    return latest


def withdrawn(items: Iterable[Received]) -> set[str]:
    """Article ids whose last record in the batch is a tombstone: to be deleted, not indexed.

    A key always lives on one partition and a batch keeps each partition's order, so "last
    in the batch" is "last in the topic so far": a tombstone followed by a new revision
    re-creates the article, a revision followed by a tombstone removes it.
    """
    last: dict[str, bool] = {}
    for item in items:
        if item.deleted_id is not None:
            last[item.deleted_id] = True
        elif item.article is not None:
            last[item.article.article_id] = False
    return {article_id for article_id, deleted in last.items() if deleted}


def withdraw_ops(article_ids: Iterable[str], quote_hits: Iterable[Mapping[str, Any]],
                 settings: Settings) -> list[Op]:  # fmt: skip
    """Deletes of withdrawn articles and of all their quotation documents (unversioned:
    the withdrawal is the newest word whatever revision is stored)."""
    ops = [
        Op("delete", settings.articles_alias, aid, None, aid, None, "articles")
        for aid in sorted(set(article_ids))
    ]
    for hit in quote_hits:
        source = hit.get("_source", {})
        ops.append(
            Op("delete", str(hit["_index"]), str(hit["_id"]), None,
               str(source.get("article_id", "")), None, "quotes")
        )  # fmt: skip
    return ops


def index_ops(articles: Iterable[EnrichedBase], settings: Settings) -> list[Op]:
    """Article and quote index operations, each with the revision as external version."""
    ops: list[Op] = []
    for a in articles:
        article_doc = article_document(a)
        ops.append(
            Op(
                "index",
                settings.articles_alias,
                a.article_id,
                a.revision,
                a.article_id,
                article_doc,
                "articles",
            )
        )
        for doc_id, doc in quote_documents(a, article_doc):
            ops.append(
                Op("index", settings.quotes_alias, doc_id, a.revision, a.article_id, doc, "quotes")
            )
    return ops


class Current(NamedTuple):
    """What an article's quote documents must be now: this revision, this many quotes."""

    revision: int
    quotes: int


def stale_quotes_query(current: Mapping[str, Current]) -> dict[str, Any]:
    """Quote documents of the given articles that the current revision does not have.

    Those are the ones of an older revision, and those at a position the current revision no
    longer reaches (a re-extraction of the same revision may find fewer quotations).
    """
    return {
        "bool": {
            "should": [
                {
                    "bool": {
                        "filter": [{"term": {"article_id": article_id}}],
                        "should": [
                            {"range": {"revision": {"lt": now.revision}}},
                            {"range": {"position": {"gte": now.quotes}}},
                        ],
                        "minimum_should_match": 1,
                    }
                }
                for article_id, now in current.items()
            ],
            "minimum_should_match": 1,
        }
    }


def is_stale(source: Mapping[str, Any], now: Current) -> bool:
    revision, position = source.get("revision"), source.get("position")
    if not isinstance(revision, int) or not isinstance(position, int):
        return False
    return revision < now.revision or position >= now.quotes


def stale_delete_ops(
    hits: Iterable[Mapping[str, Any]], current: Mapping[str, Current], settings: Settings
) -> list[Op]:
    """Deletes for stale quote hits, versioned with the current revision.

    A versioned delete (``external_gte``) only removes a document whose revision is not newer
    than the current one, so a newer revision's quotation can never be lost.
    """
    ops: list[Op] = []
    for hit in hits:
        source = hit.get("_source", {})
        article_id = source.get("article_id")
        if article_id not in current or not is_stale(source, current[article_id]):
            continue
        ops.append(
            Op(
                "delete",
                str(hit["_index"]),
                str(hit["_id"]),
                current[article_id].revision,
                article_id,
                None,
                "quotes",
            )
        )
    return ops


def split_batch(
    items: list[Received], max_docs: int, max_bytes: int
) -> tuple[list[Received], list[Received]]:
    """The longest prefix within the doc and byte limits (at least one item), and the rest.

    A prefix keeps per-partition order, so committing the prefix's offsets never skips a
    record of the rest.
    """
    docs = size = 0
    for i, item in enumerate(items):
        docs, size = docs + max(1, item.docs), size + item.size
        if i > 0 and (docs > max_docs or size > max_bytes):
            return items[:i], items[i:]
    return items, []


def is_backlog(waiting_records: int, docs_per_record: float, max_docs: int) -> bool:
    """Whether the records still waiting (buffered or unread) make at least another full batch.

    A record or two that came in while a trickle's batch was formed is no backlog: counted
    as one, they had Elasticsearch refreshing every other small batch (three times its CPU in
    the pipeline benchmark).
    """
    return waiting_records > 0 and waiting_records * docs_per_record >= max_docs


def refresh_wait_s(since_s: float, *, backlog_since: bool, min_interval_s: float) -> float:
    """Seconds until a batch with no more input waiting may be refreshed, ``since_s`` after
    the last refresh: the rest of ``min_interval_s`` - the guard for a steady trickle of small
    batches - or none once a batch since that refresh was written during a backlog
    (``backlog_since``): the batch that ends a backlog is refreshed with it (waiting had been
    an eighth of the benchmark's indexer round, the whole burst unannounced and uncommitted)."""
    return 0.0 if backlog_since else max(0.0, min_interval_s - since_s)


def refresh_due(
    since_s: float, *, more: bool, backlog_since: bool, every_s: float, min_interval_s: float
) -> bool:
    """Whether a batch is to be followed by a refresh, ``since_s`` after the last one.

    While more input waits, once every ``every_s`` (one refresh covers the batches before it);
    otherwise when :func:`refresh_wait_s` is up.
    """
    if more:
        return since_s >= max(every_s, min_interval_s)
    return refresh_wait_s(since_s, backlog_since=backlog_since, min_interval_s=min_interval_s) == 0


def next_offsets(items: Iterable[Received]) -> dict[tuple[str, int], int]:
    """(topic, partition) -> the offset to commit (one past the highest record seen)."""
    offsets: dict[tuple[str, int], int] = {}
    for item in items:
        key = (item.topic, item.partition)
        offsets[key] = max(offsets.get(key, 0), item.offset + 1)
    return offsets


def choose_writer(
    articles: frozenset[str],
    busy: Sequence[tuple[int, frozenset[str]]],
    writers: int,
    *,
    spread: bool = True,
) -> int | None:
    """Which of ``writers`` writer threads takes a batch of ``articles``; None: none may yet.

    ``busy`` is (writer, articles) of each batch still being written. A batch that shares an
    article with one of them goes to that writer, behind it, so that article's writes stay in
    order; if it shares articles with batches on two writers, it must wait for them (None).
    Otherwise, with ``spread`` (a backlog), the writer with the fewest batches being written
    takes it (the lowest on a tie), and without it the first writer: a trickle of small
    batches gains nothing from a second bulk in flight.
    """
    sharing = {writer for writer, theirs in busy if theirs & articles}
    if len(sharing) > 1:
        return None
    if sharing:
        return sharing.pop()
    if not spread:
        return 0
    load = [0] * writers
    for writer, _ in busy:
        load[writer] += 1
    return load.index(min(load))
