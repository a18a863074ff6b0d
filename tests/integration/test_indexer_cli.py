"""``newsstream index`` as a process: SIGTERM finishes and commits the batch, then exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer
from kafka.structs import TopicPartition
from tests.support.samples import enriched_from_gold

from newsstream.bus import make_producer
from newsstream.settings import Settings

pytestmark = pytest.mark.integration

ARTICLES = 12


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSTREAM_")}
    env.update(
        {
            "NEWSSTREAM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "NEWSSTREAM_ES_URL": settings.es_url,
            "NEWSSTREAM_TOPIC_ENRICHED": settings.topic_enriched,
            "NEWSSTREAM_TOPIC_DEAD_LETTER": settings.topic_dead_letter,
            "NEWSSTREAM_INDEXER_GROUP": settings.indexer_group,
            "NEWSSTREAM_ARTICLES_ALIAS": settings.articles_alias,
            "NEWSSTREAM_QUOTES_ALIAS": settings.quotes_alias,
            "NEWSSTREAM_STATE_DIR": str(settings.state_dir),
            "NEWSSTREAM_METRICS_ENABLED": "false",
            "NEWSSTREAM_LOG_FORMAT": "console",
        }
    )
    return env


def _committed(settings: Settings) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.indexer_group,
        enable_auto_commit=False,
    )
    try:
        parts = [
            TopicPartition(settings.topic_enriched, p)
            for p in consumer.partitions_for_topic(settings.topic_enriched) or set()
        ]
        ends = consumer.end_offsets(parts)
        return {tp: consumer.committed(tp) or 0 for tp in parts}, ends
    finally:
        consumer.close()


def test_indexer_cli_sigterm_commits_and_exits_0(
    ns_settings: Settings,
    es: Elasticsearch,
    tmp_path: Path,
    gold: dict[str, object],
    gold_text: str,
) -> None:
    producer = make_producer(ns_settings)
    for n in range(ARTICLES):
        article = enriched_from_gold(gold_text, gold, url=f"https://www.br.de/nachrichten/s-{n},S")
        producer.send(
            ns_settings.topic_enriched, key=article.article_id.encode(), value=article.to_bytes()
        )
    producer.flush(timeout=30)
    producer.close()

    process = subprocess.Popen(
        [sys.executable, "-m", "newsstream", "index"],
        cwd=tmp_path,  # no stray .env
        env=_env(ns_settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if es.indices.exists_alias(name=ns_settings.articles_alias):
                es.indices.refresh(index=ns_settings.articles_alias)
                if es.count(index=ns_settings.articles_alias)["count"] == ARTICLES:
                    break
            time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr.decode()[-2000:]
    committed, ends = _committed(ns_settings)
    assert committed == ends
