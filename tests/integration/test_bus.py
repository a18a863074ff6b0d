"""The Kafka adapter's helpers against the real broker."""

from __future__ import annotations

import pytest

from newsstream.bus import make_producer
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
