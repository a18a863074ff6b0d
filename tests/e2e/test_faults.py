"""Fault injection on the real stack. Each test ends with exact counts in Elasticsearch:
nothing lost (every article and quotation is there) and nothing duplicated (no more)."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from elasticsearch import Elasticsearch
from tests.e2e.helpers import (
    count,
    dead_letters,
    produce_raw,
    raw_article,
    run_cli,
    serve,
    start_cli,
    topic_records,
    wait_until,
)
from tests.support.corpus import make_corpus
from tests.support.feedserver import FeedServer

from newsstream.settings import Settings
from newsstream.stack import manager

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

N = 60


def _load(settings: Settings) -> None:
    produce_raw(settings, [raw_article(v) for v in make_corpus(N, quotes=2)])


def _exact(es: Elasticsearch, settings: Settings, articles: int = N) -> None:
    assert count(es, settings.articles_alias) == articles
    assert count(es, settings.quotes_alias) == 2 * articles
    assert count(es, settings.articles_alias, {"term": {"revision": 1}}) == articles


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
    assert wait_until(
        lambda: len(topic_records(settings, settings.topic_enriched)) >= 4, timeout=120
    )
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
    """A running extractor and indexer ride out the outage; afterwards every doc is there once."""
    _load(ns_settings)
    extractor = start_cli(ns_settings, "extract")
    indexer = start_cli(ns_settings, "index")
    try:
        assert wait_until(lambda: count(es, ns_settings.articles_alias) >= 5, timeout=180)
        assert manager.stop_service(stack, service)
        time.sleep(down_s)
        manager.start_service(stack, service)
        assert wait_until(lambda: count(es, ns_settings.articles_alias) >= N, timeout=300)
    finally:
        try:
            manager.start_service(stack, service)
        finally:
            codes = [_stop(extractor), _stop(indexer)]
    assert codes == [0, 0]
    _exact(es, ns_settings)


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
