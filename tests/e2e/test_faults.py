"""Fault injection on the real stack. Each test proves that the fault hit mid-stream, then
ends with exact counts in Elasticsearch: nothing lost (every article and quotation is there),
nothing indexed twice (each article id once, each with exactly its quotations), and the
enriched messages produced twice because of the fault are counted against what a retry can
explain. Child processes log to files that are attached to the report of a failing test."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter

import pytest
from elasticsearch import Elasticsearch
from tests.e2e.helpers import (
    child_log_text,
    count,
    dead_letters,
    produce_raw,
    raw_article,
    run_cli,
    serve,
    start_cli,
    topic_records,
    wait_for_records,
    wait_until,
)
from tests.support.corpus import make_corpus
from tests.support.feedserver import FeedServer

from newsstream.settings import Settings
from newsstream.stack import manager

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

N = 60
QUOTES = 2


def _load(settings: Settings, start: int = 0, stop: int = N) -> None:
    corpus = make_corpus(N, quotes=QUOTES)[start:stop]
    produce_raw(settings, [raw_article(v) for v in corpus])


def _exact(es: Elasticsearch, settings: Settings, articles: int = N) -> None:
    """Every article once, each with exactly its quotations - checks that can fail."""
    assert count(es, settings.articles_alias) == articles
    assert count(es, settings.quotes_alias) == QUOTES * articles
    assert count(es, settings.articles_alias, {"term": {"revision": 1}}) == articles
    buckets = es.search(
        index=settings.quotes_alias,
        size=0,
        aggs={"per_article": {"terms": {"field": "article_id", "size": 10 * articles}}},
    )["aggregations"]["per_article"]["buckets"]
    assert len(buckets) == articles, "quotations of some articles are missing"
    assert {b["doc_count"] for b in buckets} == {QUOTES}, "an article has extra or lost quotes"


def _produced_twice(settings: Settings) -> int:
    """Enriched messages beyond one per (article, revision): what the fault made us redo."""
    seen = Counter(
        (data["article_id"], data["revision"])
        for data in (json.loads(v) for v in topic_records(settings, settings.topic_enriched) if v)
    )
    return sum(n - 1 for n in seen.values())


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM (finish the batch, commit, exit), killed if it hangs; never left running."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -signal.SIGKILL


def test_faults_extractor_killed_mid_batch_loses_nothing(
    ns_settings: Settings, es: Elasticsearch
) -> None:
    settings = ns_settings.model_copy(update={"extract_batch_size": 4})
    _load(settings)
    worker = start_cli(settings, "extract")
    assert wait_for_records(settings, settings.topic_enriched, 4, timeout=120)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert len(topic_records(settings, settings.topic_enriched)) < N, (
        "killed too late to prove much"
    )

    again = run_cli(settings, "extract", "--until-idle")
    assert again.returncode == 0, again.stderr[-2000:]
    indexed = run_cli(settings, "index", "--until-idle")
    assert indexed.returncode == 0, indexed.stderr[-2000:]
    _exact(es, settings)
    # A SIGKILL can only make the batch in hand be produced again, never more.
    assert _produced_twice(settings) <= settings.extract_batch_size


def test_faults_poison_message_goes_to_dead_letter_once(
    ns_settings: Settings, es: Elasticsearch
) -> None:
    produce_raw(
        ns_settings,
        [raw_article(v) for v in make_corpus(20, quotes=2)],
        extra=[b"{not json at all"],
    )
    assert run_cli(ns_settings, "extract", "--until-idle").returncode == 0
    assert run_cli(ns_settings, "index", "--until-idle").returncode == 0
    letters = dead_letters(ns_settings)
    assert len(letters) == 1
    assert letters[0].stage == "extractor"
    assert letters[0].payload == b"{not json at all"
    _exact(es, ns_settings, articles=20)
    assert _produced_twice(ns_settings) == 0  # no fault but the poison: nothing redone


@pytest.mark.parametrize(
    ("service", "down_s"),
    [("elasticsearch", 20.0), ("kafka", 5.0)],
    ids=["elasticsearch-down-20s", "kafka-broker-restarted"],
)
def test_faults_service_outage_mid_stream(
    stack: Settings,
    ns_settings: Settings,
    es: Elasticsearch,
    service: manager.ServiceName,
    down_s: float,
) -> None:
    """A running extractor and indexer ride out the outage; afterwards every doc is there once.

    Half the articles go in before the fault, half during (Elasticsearch down) or after it
    (Kafka restarted): the fault always hits a pipeline with work in flight and to come.
    """
    half = N // 2
    _load(ns_settings, 0, half)
    extractor = start_cli(ns_settings, "extract")
    indexer = start_cli(ns_settings, "index")
    try:
        assert wait_until(lambda: count(es, ns_settings.articles_alias) >= 5, timeout=180)
        at_fault = count(es, ns_settings.articles_alias)
        assert manager.stop_service(stack, service)
        if service == "elasticsearch":
            _load(ns_settings, half, N)  # arrives while Elasticsearch is down
            assert wait_until(lambda: "retrying" in child_log_text("index"), timeout=60), (
                "the indexer never met the outage"
            )
        time.sleep(down_s)  # the length of the fault itself
        manager.start_service(stack, service)
        if service == "kafka":
            _load(ns_settings, half, N)  # arrives after the broker came back
        assert wait_until(lambda: count(es, ns_settings.articles_alias) >= N, timeout=300)
    finally:
        try:
            manager.start_service(stack, service)
        finally:
            codes = [_stop(extractor), _stop(indexer)]
    assert at_fault < N, "the fault came after all the work: proves nothing"
    assert codes == [0, 0]
    _exact(es, ns_settings)
    assert _produced_twice(ns_settings) <= ns_settings.extract_batch_size


def test_faults_poller_killed_between_fetch_and_publish(
    ns_settings: Settings, es: Elasticsearch, feed_server: FeedServer
) -> None:
    settings = ns_settings.model_copy(update={"feeds": [feed_server.feed_url], "allowed_hosts": []})
    feed_server.article_latency_s = 0.5
    serve(feed_server, make_corpus(20, quotes=2))
    poller = start_cli(settings, "poll", "--once")
    assert wait_until(lambda: sum(feed_server.requests.values()) >= 3, timeout=60, every=0.1)
    poller.send_signal(signal.SIGKILL)
    poller.wait(timeout=30)
    assert len(topic_records(settings, settings.topic_raw)) < 20, "killed too late"

    feed_server.article_latency_s = 0.0
    done = run_cli(settings, "run", "--until-idle", "--no-status", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    _exact(es, settings, articles=20)
    # Only an article acknowledged by Kafka in the instant before the kill, and not yet in the
    # poller's state, can go out twice: at most the fetches that were in flight.
    assert _produced_twice(settings) <= settings.fetch_per_host_concurrency
