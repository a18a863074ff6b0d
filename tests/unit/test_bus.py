"""Commit and size rules of the Kafka adapter (pure logic; the broker side is integration)."""

from __future__ import annotations

from typing import Any

import pytest
from kafka.errors import (
    CommitFailedError,
    KafkaTimeoutError,
    RebalanceInProgressError,
    TopicAuthorizationFailedError,
)

import newsstream.bus as bus
from newsstream.bus import MAX_MESSAGE_BYTES, commit_offsets
from newsstream.errors import BusError
from newsstream.messages import DEAD_LETTER_PAYLOAD_BYTES, DeadLetter
from newsstream.topics import COMPACTED, DEAD_LETTER


class Consumer:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def commit(self, offsets: Any) -> None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bus.time, "sleep", lambda s: None)


@pytest.mark.parametrize("error", [RebalanceInProgressError(), CommitFailedError()])
def test_commit_refused_by_a_rebalance_is_dropped_at_once_never_retried(error: Exception) -> None:
    consumer = Consumer(error, error, error)
    assert commit_offsets(consumer, {"tp": 1}) is False  # type: ignore[arg-type]
    assert consumer.calls == 1


def test_commit_retries_a_retriable_failure_then_succeeds() -> None:
    consumer = Consumer(KafkaTimeoutError(), KafkaTimeoutError())
    assert commit_offsets(consumer, {"tp": 1}) is True  # type: ignore[arg-type]
    assert consumer.calls == 3


def test_commit_gives_up_after_its_attempts_without_raising() -> None:
    consumer = Consumer(*[KafkaTimeoutError() for _ in range(10)])
    assert commit_offsets(consumer, {"tp": 1}) is False  # type: ignore[arg-type]
    assert consumer.calls == bus.COMMIT_ATTEMPTS


def test_commit_raises_a_non_retriable_failure() -> None:
    with pytest.raises(BusError):
        commit_offsets(Consumer(TopicAuthorizationFailedError()), {"tp": 1})  # type: ignore[arg-type]


def test_topics_and_producer_share_one_message_size_limit() -> None:
    assert COMPACTED["max.message.bytes"] == DEAD_LETTER["max.message.bytes"]
    assert int(COMPACTED["max.message.bytes"]) == MAX_MESSAGE_BYTES
    from newsstream.settings import Settings
    from newsstream.stack.kafka_broker import server_properties
    from newsstream.stack.topology import Topology

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    single = Topology()
    props = server_properties(settings, single, single.kafka_nodes(settings)[0])
    assert f"message.max.bytes={MAX_MESSAGE_BYTES}" in props


def test_dead_letter_of_a_huge_message_stays_small_and_says_so() -> None:
    payload = b"x" * (MAX_MESSAGE_BYTES + 10)
    letter = DeadLetter.wrap(stage="extractor", error=ValueError("big"), payload=payload)
    assert letter.payload_truncated and letter.payload_size == len(payload)
    assert len(letter.payload) == DEAD_LETTER_PAYLOAD_BYTES
    assert len(letter.to_bytes()) < MAX_MESSAGE_BYTES // 2
    small = DeadLetter.wrap(stage="indexer", error=ValueError("x"), payload=b"abc")
    assert not small.payload_truncated and small.payload == b"abc"


class OwningConsumer:
    """A consumer that owns some partitions, refuses commits on demand, remembers commits."""

    def __init__(self, owned: set[str], refuse: int = 0) -> None:
        self.owned = owned
        self.refuse = refuse
        self.committed_offsets: dict[str, int] = {}

    def assignment(self) -> set[str]:
        return self.owned

    def committed(self, tp: str) -> int | None:
        return self.committed_offsets.get(tp)

    def commit(self, offsets: dict[str, Any]) -> None:
        if self.refuse:
            self.refuse -= 1
            raise RebalanceInProgressError()
        for tp, meta in offsets.items():
            self.committed_offsets[tp] = meta.offset


class Meta:
    def __init__(self, offset: int) -> None:
        self.offset = offset


def test_committer_sends_offsets_a_rebalance_refused_with_the_next_commit() -> None:
    from newsstream.bus import Committer

    consumer = OwningConsumer({"p0", "p1"}, refuse=1)
    committer = Committer(consumer)  # type: ignore[arg-type]
    assert committer.commit({"p0": Meta(10), "p1": Meta(5)}) is False  # type: ignore[dict-item]
    assert committer.commit({"p1": Meta(8)}) is True  # type: ignore[dict-item]
    assert consumer.committed_offsets == {"p0": 10, "p1": 8}  # p0 was not forgotten


def test_committer_drops_pending_offsets_of_partitions_it_lost_or_that_moved_on() -> None:
    from newsstream.bus import Committer

    consumer = OwningConsumer({"p0", "p1"}, refuse=1)
    committer = Committer(consumer)  # type: ignore[arg-type]
    committer.commit({"p0": Meta(10), "p1": Meta(5)})  # type: ignore[dict-item]
    consumer.owned = {"p1"}  # p0 went to another member
    consumer.committed_offsets["p1"] = 7  # ... and p1 was committed further meanwhile
    assert committer.flush() is True
    assert consumer.committed_offsets == {"p1": 7}  # nothing moved backwards or elsewhere
