from __future__ import annotations

import json

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, ConnectionError, SerializationError
from prometheus_client import REGISTRY
from tenacity import RetryCallState

from newsstream.indexer.ops import Op
from newsstream.indexer.writer import (
    BACKOFF,
    BACKOFF_MAX_S,
    BulkWriter,
    classify_item,
    is_retriable_exception,
    retrying,
)


def _api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "localhost", 9200),
    )
    return ApiError("boom", meta=meta, body={})


def test_writer_classify_item() -> None:
    conflict = {"type": "version_conflict_engine_exception"}
    assert classify_item("index", 201, None) == "ok"
    assert classify_item("index", 409, conflict) == "ok"
    assert classify_item("delete", 404, None) == "ok"
    assert classify_item("index", 429, {"type": "es_rejected_execution_exception"}) == "retry"
    assert classify_item("index", 503, {"type": "unavailable_shards_exception"}) == "retry"
    assert classify_item("index", 404, {"type": "index_not_found_exception"}) == "retry"
    assert classify_item("index", 400, {"type": "document_parsing_exception"}) == "reject"


def test_writer_retriable_exceptions() -> None:
    assert is_retriable_exception(ConnectionError("refused"))
    assert is_retriable_exception(_api_error(429))
    assert is_retriable_exception(_api_error(503))
    assert not is_retriable_exception(_api_error(400))
    assert not is_retriable_exception(SerializationError("bad"))
    assert not is_retriable_exception(ValueError("x"))


def test_writer_backoff_grows_and_caps() -> None:
    def delay(attempt: int) -> float:
        state = RetryCallState(None, None, (), {})
        state.attempt_number = attempt
        return float(BACKOFF(state))

    delays = [delay(n) for n in range(1, 13)]
    assert delays[0] < 1.1 < delays[3]
    assert max(delays) <= BACKOFF_MAX_S + 0.5
    # the end of an outage is noticed within seconds: before, the cap was 30 s and a 20 s
    # outage kept every article waiting for a minute
    assert max(delays) <= 10.5


def test_retrying_waits_out_a_service_error_and_raises_a_bad_request_at_once() -> None:
    waits: list[float] = []
    calls = iter([ConnectionError("refused"), ConnectionError("refused"), "ok"])

    def call() -> str:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    assert retrying(call, sleep=waits.append) == "ok"
    assert len(waits) == 2

    def bad() -> None:
        raise _api_error(400)

    waits.clear()
    with pytest.raises(ApiError):
        retrying(bad, sleep=waits.append)
    assert waits == []


class FakeBulk:
    """A stand-in for ``Elasticsearch.bulk`` that answers from a script (pure retry logic)."""

    def __init__(self, answers: list[object]) -> None:
        self.answers = answers
        self.calls: list[list[dict[str, object]]] = []

    def bulk(
        self, *, operations: list[bytes], require_alias: bool, filter_path: list[str]
    ) -> object:
        assert require_alias and "items.*.status" in filter_path
        self.calls.append(operations)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _op(group: str) -> Op:
    return Op("index", "a", group, 1, group, {"x": 1})


def _item(status: int, error: str | None = None, result: str = "created") -> dict[str, object]:
    body: dict[str, object] = {"status": status, "result": result}
    if error:
        body["error"] = {"type": error, "reason": "r"}
    return {"index": body}


def test_writer_retries_request_and_items_then_succeeds() -> None:
    waits: list[float] = []
    fake = FakeBulk(
        [
            ConnectionError("refused"),
            {"items": [_item(201), _item(429, "es_rejected_execution_exception")]},
            {"items": [_item(200, result="updated")]},
        ]
    )
    writer = BulkWriter(fake, wait=waits.append)  # type: ignore[arg-type]
    result = writer.write([_op("a"), _op("b")])
    assert result.written == 2 and not result.rejected
    assert len(waits) == 2 and len(fake.calls) == 3
    assert fake.calls[2] == [_op("b").ndjson]  # only the rejected-for-now item was sent again


def test_op_encodes_its_bulk_lines_once_as_ndjson() -> None:
    op = Op("index", "news-quotes", "q1", 3, "a1", {"quote": "„Nein“, sagte er.", "n": 1})
    lines = op.ndjson.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 3  # meta and source, each ending in a newline
    assert json.loads(lines[0]) == {
        "index": {"_index": "news-quotes", "_id": "q1", "version": 3,
                  "version_type": "external_gte"}
    }  # fmt: skip
    assert json.loads(lines[1]) == {"quote": "„Nein“, sagte er.", "n": 1}
    assert op.ndjson is op.ndjson  # encoded once, re-sent as is on a retry
    delete = Op("delete", "news-quotes", "q2", None, "a1", None, "quotes")
    assert json.loads(delete.ndjson) == {"delete": {"_index": "news-quotes", "_id": "q2"}}


def test_writer_isolates_a_request_refused_as_a_whole() -> None:
    fake = FakeBulk([_api_error(400), {"items": [_item(201)]}, _api_error(400)])
    writer = BulkWriter(fake, wait=lambda s: None)  # type: ignore[arg-type]
    result = writer.write([_op("good"), _op("bad")])
    assert result.written == 1
    assert set(result.rejected) == {"bad"}


def test_writer_version_conflict_is_success() -> None:
    conflict = _item(409, "version_conflict_engine_exception")
    writer = BulkWriter(FakeBulk([{"items": [conflict]}]), wait=lambda s: None)  # type: ignore[arg-type]
    result = writer.write([_op("a")])
    assert result.stale == 1 and result.outdated == {"a"} and not result.rejected


def test_writer_item_level_403_stops_instead_of_dead_lettering() -> None:
    """Before: a 403 on an item was a permanent reject, dead-lettering every article."""
    import pytest

    from newsstream.errors import ElasticsearchAuthError

    assert classify_item("index", 403, {"type": "security_exception"}) == "fatal"
    forbidden = _item(403, "security_exception")
    writer = BulkWriter(FakeBulk([{"items": [forbidden]}]), wait=lambda s: None)  # type: ignore[arg-type]
    with pytest.raises(ElasticsearchAuthError):
        writer.write([_op("a")])


def test_writer_request_level_401_is_an_auth_error() -> None:
    import pytest

    from newsstream.errors import ElasticsearchAuthError

    writer = BulkWriter(FakeBulk([_api_error(401)]), wait=lambda s: None)  # type: ignore[arg-type]
    with pytest.raises(ElasticsearchAuthError):
        writer.write([_op("a")])


def test_writer_counts_documents_per_index_and_result_in_its_metric() -> None:
    def count(result: str) -> float:
        value = REGISTRY.get_sample_value(
            "newsstream_indexer_docs_total", {"index": "articles", "result": result}
        )
        return value or 0.0

    before = {r: count(r) for r in ("written", "stale")}
    fake = FakeBulk(
        [
            {
                "items": [
                    _item(201),
                    _item(200, result="updated"),
                    _item(409, "version_conflict_engine_exception"),
                ]
            }
        ]
    )
    writer = BulkWriter(fake, wait=lambda _s: None)  # type: ignore[arg-type]
    result = writer.write([_op("a"), _op("b"), _op("c")])
    assert (result.written, result.stale) == (2, 1)
    assert count("written") - before["written"] == 2
    assert count("stale") - before["stale"] == 1
