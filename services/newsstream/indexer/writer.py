"""Bulk writes that never lose a document: retry what may succeed later, report what never will.

``write`` sends a list of operations and returns only when every one of them has either
succeeded (a 409 from an older revision counts as success: the newer one is already there)
or been rejected for good (mapping conflict, 400). Retriable failures - 429, 5xx, connection
refused, timeouts, a missing alias - are retried with exponential back-off for as long as it
takes; the caller's ``wait`` function decides what happens while waiting (the service keeps
its Kafka partitions paused and its group membership alive) and may abort on shutdown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

from elasticsearch import ApiError, Elasticsearch, SerializationError, TransportError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from newsstream.errors import ElasticsearchAuthError
from newsstream.indexer import metrics
from newsstream.indexer.ops import Op

log = logging.getLogger(__name__)

T = TypeVar("T")

Verdict = Literal["ok", "retry", "reject", "fatal"]

#: Back-off bounds (seconds) between retries of a failed bulk. The cap is how late the end
#: of an outage is noticed: at 30 s, a 20 s Elasticsearch outage kept articles waiting ~56 s
#: (the soak's all-articles p95 was 39-42 s); a retry every 10 s costs one refused request.
BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 10.0


@dataclass
class WriteResult:
    """Per-article outcome of ``write``: what succeeded and what was rejected for good."""

    written: int = 0
    stale: int = 0
    rejected: dict[str, str] = field(default_factory=dict)  # group -> first error
    #: Articles whose document existed before (only they can have stale quote documents).
    updated: set[str] = field(default_factory=set)
    #: Articles refused as older than the stored revision, and quote docs such an old
    #: revision created (positions the newer one does not have): to be removed again.
    outdated: set[str] = field(default_factory=set)
    created_quotes: dict[str, list[Op]] = field(default_factory=dict)


#: What a bulk response must say of each item; the rest (index, id, version, shards, sequence
#: numbers) is left out by Elasticsearch, a third of the response the client would parse.
BULK_RESPONSE = ["items.*.status", "items.*.result", "items.*.error"]


class RetriableError(Exception):
    """The whole bulk failed in a way that may succeed later (ES down, overloaded)."""


def classify_item(action: str, status: int, error: dict[str, Any] | None) -> Verdict:
    """What to do about one item of a bulk response (pure)."""
    if 200 <= status < 300:
        return "ok"
    if status in (401, 403):
        # Our credentials or role, not the document: dead-lettering would throw away every
        # article until someone fixes the role. Stop instead, offsets uncommitted.
        return "fatal"
    err_type = (error or {}).get("type", "")
    if status == 409 and err_type == "version_conflict_engine_exception":
        return "ok"  # an equal or newer revision is already stored: nothing to do
    if status == 404 and action == "delete":
        return "ok"  # already gone
    if status == 404 and err_type == "index_not_found_exception":
        return "retry"  # alias deleted under us: re-created before the retry
    if status == 429 or status >= 500 or status == 408:
        return "retry"
    return "reject"


def is_retriable_exception(exc: BaseException) -> bool:
    """Request-level failures worth waiting for: connection errors, timeouts, 429 and 5xx."""
    if isinstance(exc, SerializationError):
        return False
    if isinstance(exc, TransportError):  # connection refused, reset, timeout, TLS hiccup
        return True
    if isinstance(exc, ApiError):
        status = exc.meta.status
        return status in (408, 429) or status >= 500
    return False


#: Exponential back-off with jitter between retries: 0.5 s, 1 s, 2 s, ... capped at 10 s.
BACKOFF = wait_exponential_jitter(initial=BACKOFF_START_S, max=BACKOFF_MAX_S, jitter=0.5)


def retriable_service_error(exc: BaseException) -> str | None:
    """``"elasticsearch"`` or ``"kafka"`` when ``exc`` may pass if we wait; else None."""
    from kafka.errors import KafkaError

    if isinstance(exc, KafkaError):
        # e.g. a message the broker will never take: waiting cannot help
        return "kafka" if getattr(exc, "retriable", False) else None
    return "elasticsearch" if is_retriable_exception(exc) else None


def retrying(call: Callable[[], T], *, sleep: Callable[[float], None]) -> T:
    """Run ``call`` until it succeeds, backing off while Elasticsearch or Kafka is away.

    ``sleep`` decides what waiting means (the indexer keeps its partitions paused and its
    group membership alive; the writer thread sleeps, interruptibly). A failure that waiting
    cannot fix is raised at once. Every retry is logged with its reason.
    """

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        reason = retriable_service_error(error) if error else None
        delay = state.next_action.sleep if state.next_action else 0.0
        metrics.RETRIES.labels(reason=reason or "unknown").inc()
        log.warning(
            f"{reason} unavailable, retrying in {delay:.1f}s: {type(error).__name__}",
            extra={"reason": reason, "error": f"{type(error).__name__}: {error}"[:300],
                   "delay_s": round(delay, 1)},
        )  # fmt: skip

    runner: Retrying = Retrying(
        retry=retry_if_exception(lambda exc: retriable_service_error(exc) is not None),
        wait=BACKOFF,
        sleep=sleep,
        before_sleep=log_retry,
        reraise=True,
    )
    return runner(call)


class _ItemsLeft(Exception):
    """Some items of a bulk must be sent again (429, 5xx, a missing alias)."""


class BulkWriter:
    """Sends operations in bulk and retries until each one is settled."""

    def __init__(
        self,
        es: Elasticsearch,
        *,
        wait: Callable[[float], None] = time.sleep,
        on_missing_index: Callable[[], None] | None = None,
    ) -> None:
        self._es = es
        self._wait = wait
        self._on_missing_index = on_missing_index
        self._index_missing = False
        #: Why the last items were retried (for the log line that says so).
        self._retry_reason = ""

    def write(self, ops: Sequence[Op]) -> WriteResult:
        """Write ``ops``; return once every op is ok or rejected for good."""
        result = WriteResult()
        pending = [list(ops)]  # the ops still to send, replaced by each round

        def one_round() -> None:
            pending[0] = self._send_isolating(pending[0], result)
            if pending[0]:
                raise _ItemsLeft(f"{len(pending[0])} items: {self._retry_reason}")

        runner: Retrying = Retrying(
            retry=retry_if_exception_type((RetriableError, _ItemsLeft)),
            wait=BACKOFF,
            sleep=self._wait,
            before_sleep=self._before_retry,
            reraise=True,
        )
        if pending[0]:
            runner(one_round)
        return result

    def _before_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = round(state.next_action.sleep, 2) if state.next_action else 0.0
        if isinstance(error, _ItemsLeft):
            metrics.RETRIES.labels(reason="items").inc()
            log.warning("bulk items to retry", extra={"reason": str(error)[:300], "delay_s": delay})
            if self._index_missing and self._on_missing_index is not None:
                self._index_missing = False
                self._call_on_missing_index()
        else:
            metrics.RETRIES.labels(reason="request").inc()
            log.warning(
                "bulk failed, retrying",
                extra={"reason": "elasticsearch", "error": str(error)[:300], "delay_s": delay},
            )

    def _call_on_missing_index(self) -> None:
        assert self._on_missing_index is not None
        try:
            self._on_missing_index()
        except Exception as exc:
            if not is_retriable_exception(exc):
                raise
            log.warning("could not re-create indices yet", extra={"error": str(exc)[:300]})

    def _send_isolating(self, ops: list[Op], result: WriteResult) -> list[Op]:
        """Send ``ops``; if the request as a whole is refused (400/413), split it by article
        until the refusing article is alone, then reject just that one."""
        try:
            return self._send(ops, result)
        except ApiError as exc:
            if is_retriable_exception(exc):
                raise RetriableError(str(exc)) from exc
            if exc.meta.status in (401, 403):  # credentials: configuration, not a bad document
                raise ElasticsearchAuthError(
                    f"Elasticsearch refused the bulk request (HTTP {exc.meta.status})"
                ) from exc
            groups = list(dict.fromkeys(op.group for op in ops))
            if len(groups) == 1:
                result.rejected.setdefault(groups[0], f"{type(exc).__name__}: {exc}")
                return []
            half = set(groups[: len(groups) // 2])
            first = [op for op in ops if op.group in half]
            second = [op for op in ops if op.group not in half]
            return self._send_isolating(first, result) + self._send_isolating(second, result)
        except TransportError as exc:
            if is_retriable_exception(exc):
                raise RetriableError(str(exc)) from exc
            raise

    def _send(self, ops: list[Op], result: WriteResult) -> list[Op]:
        started = time.perf_counter()
        # The client's NDJSON serializer passes pre-encoded lines through as they are; its type
        # hints only know dicts.
        body = cast("list[Mapping[str, Any]]", [op.ndjson for op in ops])
        response = self._es.bulk(operations=body, require_alias=True, filter_path=BULK_RESPONSE)
        metrics.BULK_SECONDS.observe(time.perf_counter() - started)
        retry: list[Op] = []
        #: documents per (index, result), counted into the metric once per request: a
        #: labelled increment per document was 2 % of the indexer's CPU
        counts: dict[tuple[str, str], int] = {}
        for op, item in zip(ops, response["items"], strict=True):
            body = item[op.action]
            status = int(body.get("status", 500))
            verdict = classify_item(op.action, status, body.get("error"))
            if verdict == "fatal":
                raise ElasticsearchAuthError(
                    f"Elasticsearch refused to write {op.index}/{op.doc_id} (HTTP {status}): "
                    f"{_describe(body.get('error'))}"
                )
            if verdict == "retry":
                retry.append(op)
                self._retry_reason = f"HTTP {status} {_describe(body.get('error'))}"[:300]
                if status == 404:
                    self._index_missing = True
            elif verdict == "reject":
                result.rejected.setdefault(op.group, _describe(body.get("error")))
            elif status == 409:
                result.stale += 1
                counts[op.kind, "stale"] = counts.get((op.kind, "stale"), 0) + 1
                if op.kind == "articles":
                    result.outdated.add(op.group)
            else:
                result.written += 1
                outcome = body.get("result")
                if op.action == "index" and op.kind == "articles" and outcome == "updated":
                    result.updated.add(op.group)
                elif op.action == "index" and outcome == "created":
                    result.created_quotes.setdefault(op.group, []).append(op)
                res = "deleted" if op.action == "delete" else "written"
                counts[op.kind, res] = counts.get((op.kind, res), 0) + 1
        for (kind, res), n in counts.items():
            metrics.DOCS.labels(index=kind, result=res).inc(n)
        return retry


def _describe(error: Any) -> str:
    if isinstance(error, dict):
        reason = error.get("reason", "")
        cause = error.get("caused_by", {})
        extra = f" ({cause.get('type')}: {cause.get('reason')})" if cause else ""
        return f"{error.get('type', 'error')}: {reason}{extra}"[:2000]
    return str(error)[:2000]
