from __future__ import annotations

from itertools import islice

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, ConnectionError, SerializationError

from newsstream.indexer.writer import (
    BACKOFF_MAX_S,
    backoff_delays,
    classify_item,
    is_retriable_exception,
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
    delays = list(islice(backoff_delays(), 12))
    assert delays[0] < 1.0 < delays[3]
    assert max(delays) <= BACKOFF_MAX_S * 1.2
