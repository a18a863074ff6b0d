from __future__ import annotations

import orjson

from newsstream.errors import PoisonMessageError
from newsstream.indexer.batch import (
    Current,
    choose_writer,
    index_ops,
    latest_per_article,
    next_offsets,
    parse_record,
    split_batch,
    stale_delete_ops,
    stale_quotes_query,
)
from newsstream.indexer.documents import article_document, quote_documents
from newsstream.messages import EnrichedArticle
from newsstream.settings import Settings


def _record(article: EnrichedArticle, offset: int, partition: int = 0):  # type: ignore[no-untyped-def]
    return parse_record("t", partition, offset, article.article_id.encode(), article.to_bytes())


def test_batch_parse_valid(gold_article: EnrichedArticle) -> None:
    item = _record(gold_article, 5)
    assert item.error is None and item.article is not None
    assert item.docs == 9


def test_batch_parse_reads_no_entity_offsets_and_builds_the_same_documents(
    gold_article: EnrichedArticle,
) -> None:
    entities = [
        e.model_copy(update={"offsets": [(e.start, e.end), (e.start + 1000, e.end + 1000)]})
        for e in gold_article.entities
    ]
    article = gold_article.model_copy(update={"entities": entities})
    assert entities and all(e.offsets for e in article.entities)
    item = _record(article, 1)
    assert item.article is not None
    assert not any(hasattr(e, "offsets") for e in item.article.entities)
    assert article_document(item.article) == article_document(article)
    assert quote_documents(item.article) == quote_documents(article)


def test_batch_parse_tolerates_malformed_offsets_but_not_other_entity_fields(
    gold_article: EnrichedArticle,
) -> None:
    """A tolerant reader of what it does not use; strict about what it writes."""
    data = orjson.loads(gold_article.to_bytes())
    data["entities"][0]["offsets"] = "not a list of pairs"
    item = parse_record("t", 0, 1, None, orjson.dumps(data))
    assert item.error is None and item.article is not None
    data["entities"][0]["label"] = "NOT-A-LABEL"
    item = parse_record("t", 0, 2, None, orjson.dumps(data))
    assert item.article is None and isinstance(item.error, PoisonMessageError)


def test_batch_parse_poison() -> None:
    for value in (b"not json", b'{"article_id": "x"}', None, b"\xff\xfe"):
        item = parse_record("t", 0, 1, None, value)
        assert item.article is None
        assert isinstance(item.error, PoisonMessageError)


def test_batch_parse_revision_too_large(gold_article: EnrichedArticle) -> None:
    item = _record(gold_article.model_copy(update={"revision": 2**63}), 1)
    assert isinstance(item.error, PoisonMessageError)


def test_batch_latest_revision_wins(gold_article: EnrichedArticle) -> None:
    items = [
        _record(gold_article.model_copy(update={"revision": 2}), 1),
        _record(gold_article, 2),
        parse_record("t", 0, 3, None, b"junk"),
    ]
    latest = latest_per_article(items)
    assert list(latest) == [gold_article.article_id]
    assert latest[gold_article.article_id].offset == 1


def test_batch_index_ops_external_versions(gold_article: EnrichedArticle) -> None:
    settings = Settings(articles_alias="arts", quotes_alias="qs")
    ops = index_ops([gold_article.model_copy(update={"revision": 3})], settings)
    assert len(ops) == 9
    assert ops[0].index == "arts" and ops[0].doc_id == gold_article.article_id
    assert all(op.version == 3 for op in ops)
    assert {op.index for op in ops[1:]} == {"qs"}
    meta = ops[0].lines()[0]["index"]
    # external_gte: an older revision never wins; the same one may be rewritten (reprocess)
    assert meta["version_type"] == "external_gte" and meta["version"] == 3


def _hit(doc_id: str, article_id: str, revision: int, position: int) -> dict[str, object]:
    source = {"article_id": article_id, "revision": revision, "position": position}
    return {"_index": "q-v1", "_id": doc_id, "_source": source}


def test_batch_stale_deletes_older_revisions_and_lost_positions() -> None:
    hits = [
        _hit("old-rev", "a", 1, 0),
        _hit("current", "a", 2, 1),
        _hit("beyond", "a", 2, 3),  # same revision re-extracted with only 3 quotes
        _hit("other-article", "b", 1, 0),
    ]
    ops = stale_delete_ops(hits, {"a": Current(revision=2, quotes=3)}, Settings())
    assert [(op.action, op.doc_id, op.version, op.index) for op in ops] == [
        ("delete", "old-rev", 2, "q-v1"),
        ("delete", "beyond", 2, "q-v1"),
    ]
    clause = stale_quotes_query({"a": Current(2, 3)})["bool"]["should"][0]["bool"]
    assert clause["filter"] == [{"term": {"article_id": "a"}}]
    assert {"range": {"revision": {"lt": 2}}} in clause["should"]
    assert {"range": {"position": {"gte": 3}}} in clause["should"]


def test_batch_next_offsets(gold_article: EnrichedArticle) -> None:
    items = [_record(gold_article, 4), _record(gold_article, 9), _record(gold_article, 2, 1)]
    assert next_offsets(items) == {("t", 0): 10, ("t", 1): 3}


def test_batch_split_respects_doc_and_byte_limits(gold_article: EnrichedArticle) -> None:
    items = [_record(gold_article, offset) for offset in range(5)]  # 9 docs each
    batch, rest = split_batch(items, max_docs=20, max_bytes=10**9)
    assert [i.offset for i in batch] == [0, 1] and [i.offset for i in rest] == [2, 3, 4]
    batch, rest = split_batch(items, max_docs=1, max_bytes=10**9)
    assert len(batch) == 1  # never an empty batch, even over the limit
    batch, rest = split_batch(items, max_docs=10**6, max_bytes=items[0].size * 3)
    assert len(batch) == 3 and len(rest) == 2


def test_batch_tombstone_withdraws_the_article_unless_a_newer_revision_follows(
    gold_article: EnrichedArticle,
) -> None:
    from newsstream.indexer.batch import withdrawn

    aid = gold_article.article_id
    tombstone = parse_record("t", 0, 2, aid.encode(), None)
    assert tombstone.error is None and tombstone.deleted_id == aid
    assert withdrawn([_record(gold_article, 1), tombstone]) == {aid}
    assert withdrawn([tombstone, _record(gold_article, 3)]) == set()


def test_batch_withdraw_ops_delete_article_and_quotes_unversioned(
    gold_article: EnrichedArticle,
) -> None:
    from newsstream.indexer.batch import withdraw_ops
    from newsstream.settings import Settings

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    hits = [{"_index": "news-quotes-v1", "_id": "q1", "_source": {"article_id": "a1"}}]
    ops = withdraw_ops({"a1"}, hits, settings)
    assert [(op.action, op.index, op.doc_id) for op in ops] == [
        ("delete", settings.articles_alias, "a1"),
        ("delete", "news-quotes-v1", "q1"),
    ]
    assert all(op.version is None and "version" not in op.lines()[0]["delete"] for op in ops)


def test_batch_a_record_or_two_arriving_meanwhile_is_no_backlog() -> None:
    """Before: any record waiting made a batch part of a "backlog", whose last batch is
    refreshed at once, so a trickle had Elasticsearch refreshing every other small batch."""
    from newsstream.indexer.batch import is_backlog

    assert not is_backlog(0, 9.0, 500)
    assert not is_backlog(2, 9.0, 500)  # two articles came in while the batch was formed
    assert not is_backlog(55, 9.0, 500)  # not yet another full batch
    assert is_backlog(56, 9.0, 500)  # another full batch waits
    assert is_backlog(500, 1.0, 500)


def test_batch_refresh_due_keeps_the_min_interval_for_a_trickle_not_after_a_backlog() -> None:
    from newsstream.indexer.batch import refresh_due

    def due(since: float, *, more: bool = False, backlog: bool = False) -> bool:
        return refresh_due(since, more=more, backlog_since=backlog, every_s=1.0, min_interval_s=0.5)

    assert not due(0.2)  # a trickle: not twice within the min interval
    assert due(0.6)
    assert due(0.2, backlog=True)  # the batch that ends a backlog: at once
    assert not due(0.8, more=True, backlog=True)  # during a backlog: once a second
    assert due(1.0, more=True)
    # every_s below the min interval: the min interval still holds while more waits
    assert not refresh_due(0.3, more=True, backlog_since=False, every_s=0.1, min_interval_s=0.5)


def test_choose_writer_keeps_an_article_on_the_writer_still_writing_it() -> None:
    busy = [(0, frozenset({"a", "b"})), (0, frozenset({"c"}))]
    # writer 1 is idle, but "b" is still being written on writer 0: behind it, in order
    assert choose_writer(frozenset({"b", "x"}), busy, 2) == 0
    # no shared article: the least busy writer
    assert choose_writer(frozenset({"x"}), busy, 2) == 1


def test_choose_writer_balances_and_waits_when_two_writers_share_articles() -> None:
    assert choose_writer(frozenset({"x"}), [], 2) == 0
    assert choose_writer(frozenset({"x"}), [(0, frozenset({"a"}))], 2) == 1
    assert choose_writer(frozenset({"x"}), [(0, frozenset({"a"})), (1, frozenset({"b"}))], 2) == 0
    two = [(0, frozenset({"a"})), (1, frozenset({"b"}))]
    assert choose_writer(frozenset({"a", "b"}), two, 2) is None
    assert choose_writer(frozenset({"a"}), [(0, frozenset({"a"}))], 1) == 0


def test_choose_writer_keeps_a_trickle_on_the_first_writer() -> None:
    busy = [(0, frozenset({"a"}))]
    assert choose_writer(frozenset({"x"}), busy, 2, spread=False) == 0
    # an article still being written on another writer still decides
    assert choose_writer(frozenset({"b"}), [(1, frozenset({"b"}))], 2, spread=False) == 1
