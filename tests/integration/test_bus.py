"""The Kafka adapter's helpers against the real broker."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kafka import ConsumerRebalanceListener

from newsstream.bus import make_consumer, make_producer, subscribe
from newsstream.settings import Settings
from newsstream.topics import GroupShape, LagReader, read_to_end

pytestmark = pytest.mark.integration


def test_lag_of_a_topic_without_metadata_is_unknown_never_zero(ns_settings: Settings) -> None:
    """Before: a topic whose metadata was missing read as lag 0, and `run --until-idle`
    stopped the extractors before they had read anything."""
    reader = LagReader(ns_settings)
    try:
        assert (
            reader.lag(ns_settings.extractor_group, "no-such-topic-" + ns_settings.topic_raw)
            is None
        )
    finally:
        reader.close()


def test_lag_counts_what_the_group_has_not_committed(ns_settings: Settings) -> None:
    producer = make_producer(ns_settings)
    for i in range(7):
        producer.send(ns_settings.topic_raw, key=b"k%d" % i, value=b"v%d" % i).get(30)
    producer.close()
    reader = LagReader(ns_settings)
    try:
        assert reader.offsets(ns_settings.extractor_group, ns_settings.topic_raw) == (0, 7)
        assert reader.lag(ns_settings.extractor_group, ns_settings.topic_raw) == 7
    finally:
        reader.close()


def test_read_to_end_returns_every_record_once_with_tombstones(ns_settings: Settings) -> None:
    producer = make_producer(ns_settings)
    for i in range(5):
        producer.send(ns_settings.topic_raw, key=b"k%d" % i, value=b"v%d" % i).get(30)
    producer.send(ns_settings.topic_raw, key=b"k1", value=None).get(30)
    producer.close()
    records = list(read_to_end(ns_settings, ns_settings.topic_raw, timeout_s=30))
    assert sorted(records, key=lambda r: (r[0], r[1] or b"")) == sorted(
        [(b"k%d" % i, b"v%d" % i) for i in range(5)] + [(b"k1", None)],
        key=lambda r: (r[0], r[1] or b""),
    )


def test_group_shape_reports_partitions_and_members(ns_settings: Settings) -> None:
    shape = GroupShape(ns_settings, ns_settings.extractor_group, ns_settings.topic_raw)
    try:
        assert shape() == (3, 0)  # the test topics have 3 partitions; nobody joined yet
    finally:
        shape.close()


class _Rebalances(ConsumerRebalanceListener):
    def __init__(self) -> None:
        self.assigned: list[set[int]] = []
        self.revoked: list[set[int]] = []

    def on_partitions_revoked(self, revoked: Any) -> None:
        if revoked:
            self.revoked.append({tp.partition for tp in revoked})

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.assigned.append({tp.partition for tp in assigned})


def test_a_fresh_member_joins_its_group_once(ns_settings: Settings) -> None:
    """Before: every new worker was assigned its partitions, had them revoked at once and
    joined a second time (kafka-python joined with metadata from before the subscription);
    once in CI that second join hung for two minutes."""
    listener = _Rebalances()
    consumer = make_consumer(ns_settings, ns_settings.extractor_group)
    try:
        subscribe(consumer, [ns_settings.topic_raw], listener=listener)
        deadline = time.monotonic() + 30
        while not listener.assigned and time.monotonic() < deadline:
            consumer.poll(timeout_ms=100)
        settle = time.monotonic() + 5  # the second join, when it came, came within a second
        while time.monotonic() < settle:
            consumer.poll(timeout_ms=100)
        assigned, revoked = list(listener.assigned), list(listener.revoked)
    finally:
        consumer.close()  # (revokes everything: not part of the story)
    assert assigned == [{0, 1, 2}]
    assert revoked == []
