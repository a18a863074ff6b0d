"""Kafka adapter: producer/consumer factories, topic creation, the dead-letter helper.

Every service gets its clients from here, so delivery guarantees are set in one place:
producers wait for all in-sync replicas (``acks=all``) and are idempotent; consumers never
auto-commit: a service commits only after its output is safely in Kafka or Elasticsearch.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import (
    CommitFailedError,
    IllegalGenerationError,
    KafkaError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from kafka.structs import TopicPartition
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from newsstream.errors import BusError
from newsstream.messages import DeadLetter
from newsstream.settings import Settings

log = logging.getLogger(__name__)

#: The largest message newsstream writes, everywhere the same: producer ``max_request_size``,
#: the topics' ``max.message.bytes`` and the local broker's ``message.max.bytes``. (The
#: broker's default is 1 MiB: a big enriched article was refused, then its dead letter too.)
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
#: Commit failures that mean "the group is rebalancing, these partitions may be someone
#: else's now". Retrying them cannot succeed (seen: an indexer retrying one for 8 minutes);
#: the commit is dropped and the new owner re-reads the records (all writes are idempotent).
REBALANCE_ERRORS: tuple[type[Exception], ...] = (
    CommitFailedError,
    RebalanceInProgressError,
    IllegalGenerationError,
    UnknownMemberIdError,
)
#: How often a commit that failed for a retriable reason (broker restarting) is tried again.
COMMIT_ATTEMPTS = 4
#: Without any partition assigned, ``--until-idle`` gives the group join this much extra time
#: (a killed member holds its partitions until its session times out).
JOIN_GRACE_S = 30.0
#: How often consumers refresh their lag gauge (it asks the broker).
LAG_EVERY_S = 5.0
#: Longest time between two polls of a consumer, and so the group's rebalance timeout.
MAX_POLL_INTERVAL_MS = 120_000

#: How long a produce may wait for the broker before it counts as failed.
SEND_TIMEOUT_S = 60.0


def bootstrap_servers(settings: Settings) -> list[str]:
    return [s.strip() for s in settings.kafka_bootstrap.split(",") if s.strip()]


def make_producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    """An idempotent, ``acks=all`` producer; ``send(...).get()`` means durably written."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(settings),
        "acks": "all",
        "enable_idempotence": True,
        "retries": 2**31 - 1,
        "max_in_flight_requests_per_connection": 5,
        "compression_type": "zstd",
        "linger_ms": 5,
        "max_request_size": MAX_MESSAGE_BYTES,
        "delivery_timeout_ms": int(SEND_TIMEOUT_S * 1000),
        "request_timeout_ms": 30000,
        "reconnect_backoff_max_ms": 5000,
        "client_id": "newsstream",
    }
    config.update(overrides)
    return KafkaProducer(**config)


def make_consumer(
    settings: Settings, group_id: str, topics: Iterable[str] | None = None, **overrides: Any
) -> KafkaConsumer:
    """A consumer in ``group_id`` that never auto-commits and starts at the earliest offset."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(settings),
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": 200,
        # Also the rebalance timeout: a member busy this long holds up every rebalance of the
        # group (600 s was seen to freeze a group for 10 minutes). A batch takes seconds.
        "max_poll_interval_ms": MAX_POLL_INTERVAL_MS,
        "session_timeout_ms": 10000,
        "heartbeat_interval_ms": 3000,
        "reconnect_backoff_max_ms": 5000,
        "fetch_max_bytes": 16 * 1024 * 1024,
        "max_partition_fetch_bytes": 8 * 1024 * 1024,
        "client_id": f"newsstream-{group_id}",
    }
    config.update(overrides)
    consumer = KafkaConsumer(**config)
    if topics is not None:
        subscribe(consumer, topics)
    return consumer


_METADATA_WAIT_S = 15.0


def _partitions_ready(consumer: KafkaConsumer, topic: str) -> bool:
    """The topic's partitions are known and every one has a leader.

    A topic created a moment ago can show up with fewer partitions or leaderless ones; a member
    that joins then is made to rejoin when the metadata changes, and that second join was seen
    to leave a worker without partitions for minutes.
    """
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        return False
    cluster = consumer._client.cluster  # kafka-python exposes leaders only here
    available = cluster.available_partitions_for_topic(topic) or set()
    return set(partitions) <= set(available)


def subscribe(consumer: KafkaConsumer, topics: Iterable[str], listener: Any = None) -> None:
    """Join the group for ``topics`` with metadata that already describes them.

    kafka-python joins on the first poll with whatever metadata it held when ``subscribe`` was
    called; for a new consumer that is none, so the leader records an empty snapshot, sees the
    partitions a moment later and makes the whole group rebalance again (every fresh worker
    joined twice; once in CI that second join hung for two minutes). Refreshing the metadata
    after subscribing, until every partition has a leader, lets the first join be the only one.
    """
    names = list(topics)
    if listener is None:
        consumer.subscribe(names)
    else:
        consumer.subscribe(names, listener=listener)
    deadline = time.monotonic() + _METADATA_WAIT_S
    while True:
        consumer.topics()  # a metadata request: the coordinator's snapshot now has the topics
        if all(_partitions_ready(consumer, name) for name in names):
            return
        if time.monotonic() >= deadline:
            return  # the group still forms; it rebalances when the partitions appear
        time.sleep(0.2)


def send_dead_letter(
    producer: KafkaProducer, settings: Settings, letter: DeadLetter, *, timeout: float = 60.0
) -> None:
    """Write ``letter`` to the dead-letter topic and wait until Kafka has it."""
    producer.send(
        settings.topic_dead_letter,
        key=(letter.key or "").encode("utf-8") or None,
        value=letter.to_bytes(),
    ).get(timeout=timeout)
    log.warning(
        "message sent to dead-letter topic",
        extra={
            "stage": letter.stage,
            "error_type": letter.error_type,
            "error": letter.error[:300],
            "source_topic": letter.source_topic,
            "partition": letter.partition,
            "offset": letter.offset,
        },
    )


def _retriable(exc: BaseException) -> bool:
    return (
        isinstance(exc, KafkaError | OSError)
        and not isinstance(exc, REBALANCE_ERRORS)
        and (bool(getattr(exc, "retriable", False)) or isinstance(exc, OSError))
    )


def commit_offsets(consumer: KafkaConsumer, offsets: dict[TopicPartition, Any]) -> bool:
    """Commit ``offsets``; True if Kafka has them, False if the commit was dropped.

    Dropping is always safe here: offsets only ever move forward after the output is durable,
    so a dropped commit means the records are read again (by us or by the partition's new
    owner) and rewritten idempotently. What is never done is retrying a commit that a
    rebalance refused, or waiting for ever on a broker that is away: the watchdog and the
    next batch's commit take over. A non-retriable error (authorisation) is raised.
    """
    if not offsets:
        return True
    runner: Retrying = Retrying(
        retry=retry_if_exception(_retriable),
        stop=stop_after_attempt(COMMIT_ATTEMPTS),
        wait=wait_exponential(multiplier=0.5, max=8),
        sleep=lambda seconds: time.sleep(seconds),
        before_sleep=lambda state: log.warning(
            "commit failed, retrying",
            extra={
                "reason": repr(state.outcome.exception() if state.outcome else None)[:200],
                "attempt": state.attempt_number,
            },
        ),
        reraise=True,
    )
    try:
        runner(consumer.commit, offsets=offsets)
        return True
    except REBALANCE_ERRORS as exc:
        log.warning(
            "commit dropped: the group is rebalancing; the records will be read again",
            extra={"reason": type(exc).__name__, "error": str(exc)[:200]},
        )
        return False
    except (KafkaError, OSError) as exc:
        if not _retriable(exc):
            raise BusError(f"Kafka refused the commit: {type(exc).__name__}: {exc}") from exc
        log.error(
            "commit dropped after retries; the records will be read again",
            extra={"reason": type(exc).__name__, "error": str(exc)[:200],
                   "attempts": COMMIT_ATTEMPTS},
        )  # fmt: skip
        return False


def close_quietly(client: Any, **kwargs: Any) -> None:
    """Close a Kafka client during shutdown; a broker that is away must not turn a clean stop
    into a crash (nothing uncommitted is lost: it is read again)."""
    try:
        client.close(**kwargs)
    except Exception as exc:
        log.warning("Kafka client did not close cleanly", extra={"error": repr(exc)[:200]})


#: What :func:`consumer_lag` returns while the broker cannot tell (never "caught up").
LAG_UNKNOWN = -1


def consumer_lag(consumer: KafkaConsumer) -> int:
    """Messages not yet consumed across the consumer's assigned partitions.

    ``LAG_UNKNOWN`` while the broker is unreachable: a restarting broker must neither crash
    the caller nor look like "nothing left to do" to ``--until-idle``.
    """
    assigned: set[TopicPartition] = consumer.assignment()
    if not assigned:
        return 0
    try:
        ends = consumer.end_offsets(list(assigned))
        total = 0
        for tp in assigned:
            position = consumer.position(tp)
            if position is None or tp not in ends:
                return LAG_UNKNOWN  # a partition being reset or re-assigned: cannot tell yet
            total += max(0, ends[tp] - position)
        return total
    except (KafkaError, OSError):
        return LAG_UNKNOWN


def fetched_lag(consumer: KafkaConsumer) -> int:
    """Like :func:`consumer_lag`, from the high watermarks the last fetches brought back.

    No request while every assigned partition has been fetched, so a loop can ask after each
    poll whether anything more is waiting: a trickle is handed on at once instead of waiting
    for a batch to fill, and a backlog (lag above 0) still batches.
    """
    total = 0
    try:
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                return consumer_lag(consumer)
            position = consumer.position(tp)
            if position is None:
                return LAG_UNKNOWN
            total += max(0, highwater - position)
    except (KafkaError, OSError):
        return LAG_UNKNOWN  # the broker is restarting: not drained, and no crash
    return total


@contextlib.contextmanager
def paused(consumer: KafkaConsumer) -> Iterator[None]:
    """Pause every assigned partition for the block; resume those still assigned afterwards.

    The one way newsstream waits without losing its group: the caller keeps polling inside
    the block (heartbeats, rebalances), no record of a paused partition comes back, and only
    a partition newly assigned meanwhile can return records (the caller keeps them).
    """
    partitions = consumer.assignment()
    consumer.pause(*partitions)
    try:
        yield
    finally:
        consumer.resume(*(tp for tp in partitions if tp in consumer.assignment()))


class Committer:
    """Commits a consumer's offsets and keeps the ones a rebalance refused until they can go.

    A commit refused by a rebalance is never retried blindly; but the member often keeps its
    partitions through the rebalance (a second join at start-up is common), and then nobody
    re-reads those records: their offsets would stay uncommitted for ever, and a drained
    topic would look undrained (``run --until-idle`` waits on committed offsets). So the
    refused offsets are kept and sent with the next commit - only for partitions this member
    still owns, and only where they are ahead of what the group has committed meanwhile (a
    partition that went to another member and came back must not move backwards).
    """

    def __init__(self, consumer: KafkaConsumer) -> None:
        self.consumer = consumer
        self.pending: dict[TopicPartition, Any] = {}

    def commit(self, offsets: dict[TopicPartition, Any]) -> bool:
        """Commit ``offsets`` plus any still-pending ones; True when nothing is left pending."""
        owned = self.consumer.assignment()
        carried = self._still_ahead({tp: m for tp, m in self.pending.items() if tp in owned})
        merged = dict(carried)
        for tp, meta in offsets.items():
            if tp not in merged or meta.offset > merged[tp].offset:
                merged[tp] = meta
        if not merged:
            self.pending.clear()
            return True
        if commit_offsets(self.consumer, merged):
            self.pending.clear()
            return True
        self.pending = merged
        return False

    def flush(self) -> bool:
        """Try the pending offsets once more (before a clean exit)."""
        return self.commit({}) if self.pending else True

    def _still_ahead(self, pending: dict[TopicPartition, Any]) -> dict[TopicPartition, Any]:
        if not pending:
            return {}
        try:
            committed = {tp: self.consumer.committed(tp) for tp in pending}
        except (KafkaError, OSError):
            return {}  # cannot tell now: keep them for the next try
        return {
            tp: meta for tp, meta in pending.items()
            if committed.get(tp) is None or meta.offset > committed[tp]
        }  # fmt: skip
