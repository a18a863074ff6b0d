from __future__ import annotations

from newsstream.errors import PoisonMessageError
from newsstream.indexer.batch import (
    index_ops,
    latest_per_article,
    next_offsets,
    parse_record,
    stale_delete_ops,
    stale_quotes_query,
)
from newsstream.messages import EnrichedArticle
from newsstream.settings import Settings


def _record(article: EnrichedArticle, offset: int, partition: int = 0):  # type: ignore[no-untyped-def]
    return parse_record("t", partition, offset, article.article_id.encode(), article.to_bytes())


def test_batch_parse_valid(gold_article: EnrichedArticle) -> None:
    item = _record(gold_article, 5)
    assert item.error is None and item.article is not None
    assert item.docs == 9


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
    assert meta["version_type"] == "external" and meta["version"] == 3


def test_batch_stale_deletes_only_older_revisions() -> None:
    settings = Settings()
    hits = [
        {"_index": "q-v1", "_id": "1", "_source": {"article_id": "a", "revision": 1}},
        {"_index": "q-v1", "_id": "2", "_source": {"article_id": "a", "revision": 2}},
        {"_index": "q-v1", "_id": "3", "_source": {"article_id": "b", "revision": 1}},
    ]
    ops = stale_delete_ops(hits, {"a": 2}, settings)
    assert [(op.action, op.doc_id, op.version, op.index) for op in ops] == [
        ("delete", "1", 2, "q-v1")
    ]
    query = stale_quotes_query({"a": 2})
    clause = query["bool"]["should"][0]["bool"]["filter"]
    assert {"range": {"revision": {"lt": 2}}} in clause


def test_batch_next_offsets(gold_article: EnrichedArticle) -> None:
    items = [_record(gold_article, 4), _record(gold_article, 9), _record(gold_article, 2, 1)]
    assert next_offsets(items) == {("t", 0): 10, ("t", 1): 3}
