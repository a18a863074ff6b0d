"""The local stack is the real thing: a Kafka broker with committed consumer groups, and an
Elasticsearch node whose German analyzer stems what the standard analyzer would miss."""

from __future__ import annotations

import uuid

import pytest
from elasticsearch import Elasticsearch

from newsstream.bus import make_consumer, make_producer
from newsstream.settings import Settings
from newsstream.stack import manager

pytestmark = pytest.mark.integration


def _drain(consumer, want: int, timeout_s: float = 20.0) -> list[bytes]:  # type: ignore[no-untyped-def]
    import time

    got: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            got.extend(r.value for r in records)
    return got


def test_stack_status_reports_both_services_healthy(stack: Settings) -> None:
    rows = {row.name: row for row in manager.status(stack)}
    assert rows["kafka"].healthy and rows["elasticsearch"].healthy
    assert rows["elasticsearch"].version.startswith("8.")


def test_kafka_committed_group_resumes_where_it_stopped(ns_settings: Settings) -> None:
    producer = make_producer(ns_settings)
    for i in range(10):
        producer.send(ns_settings.topic_raw, key=b"k%d" % (i % 3), value=b"m%d" % i).get(30)
    producer.close()

    group = f"g-{uuid.uuid4().hex[:8]}"
    first = make_consumer(ns_settings, group, [ns_settings.topic_raw], max_poll_records=4)
    seen = _drain(first, 4)
    first.commit()
    first.close()

    second = make_consumer(ns_settings, group, [ns_settings.topic_raw])
    rest = _drain(second, 10 - len(seen), timeout_s=15)
    second.close()
    assert len(seen) >= 4
    assert sorted(seen + rest) == sorted(b"m%d" % i for i in range(10))


def test_elasticsearch_german_analyzer_stems_inflected_forms(
    ns_settings: Settings, es: Elasticsearch
) -> None:
    index = f"{ns_settings.articles_alias}-stemtest"
    es.indices.create(
        index=index,
        mappings={
            "properties": {
                "body": {
                    "type": "text",
                    "analyzer": "german",
                    "fields": {"std": {"type": "text", "analyzer": "standard"}},
                }
            }
        },
        settings={"number_of_replicas": 0},
    )
    es.index(index=index, id="1", document={"body": "Die Verhandlungen über eine Waffenruhe"})
    es.indices.refresh(index=index)
    german = es.search(index=index, query={"match": {"body": "Verhandlung"}})
    standard = es.search(index=index, query={"match": {"body.std": "Verhandlung"}})
    assert german["hits"]["total"]["value"] == 1
    assert standard["hits"]["total"]["value"] == 0


def test_elasticsearch_answers_root_like_a_full_node(es: Elasticsearch) -> None:
    """GET / (module rest-root, missing from the integ-test-zip) comes from our plugin."""
    from newsstream.stack.artifacts import ELASTICSEARCH_VERSION

    info = es.info()
    assert info["version"]["number"] == ELASTICSEARCH_VERSION
    assert info["cluster_name"] == "newsstream"
    assert info["cluster_uuid"] and info["cluster_uuid"] != "_na_"
    assert info["tagline"] == "You Know, for Search"
    assert es.ping()
