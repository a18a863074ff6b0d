"""The extractor worker against the real local Kafka (no mocks).

N raw in -> N enriched out with offsets committed; a worker killed with SIGKILL mid-way and
restarted loses nothing; a poison message lands exactly once in the dead-letter topic.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from kafka import KafkaConsumer, TopicPartition
from tests.support.shared import seed_text

from newsstream.bus import bootstrap_servers, make_producer
from newsstream.extractor.service import run_extractor
from newsstream.messages import Article, DeadLetter, EnrichedArticle
from newsstream.roles import settings_env
from newsstream.settings import Settings
from newsstream.text.clean import clean_text

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gold_body() -> str:
    return clean_text(seed_text()).body


@pytest.fixture
def settings(ns_settings: Settings) -> Settings:
    return ns_settings.model_copy(
        update={"idle_seconds": 3.0, "extract_batch_size": 8, "extract_batch_wait_ms": 200}
    )


def make_articles(body: str, n: int) -> list[Article]:
    return [
        Article(
            article_id=f"art-{i:04d}",
            revision=1,
            url=f"https://www.br.de/nachrichten/a{i}",
            canonical_url=f"https://www.br.de/nachrichten/a{i}",
            title=f"Artikel {i}",
            body=f"{body}\n\nMeldung Nummer {i}.",
            content_hash=f"h{i}",
        )
        for i in range(n)
    ]


def publish(settings: Settings, items: list[Article | tuple[bytes, bytes]]) -> None:
    producer = make_producer(settings)
    try:
        for item in items:
            if isinstance(item, Article):
                producer.send(
                    settings.topic_raw, key=item.article_id.encode(), value=item.to_bytes()
                )
            else:
                producer.send(settings.topic_raw, key=item[0], value=item[1])
        producer.flush(timeout=30)
    finally:
        producer.close()


def read_all(settings: Settings, topic: str, expect: int, timeout: float = 60.0) -> list[bytes]:
    """Every message of ``topic`` (no group), waiting until ``expect`` arrived or timeout."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers(settings), enable_auto_commit=False
    )
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        values: list[bytes] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
            if len(values) >= expect:
                # drain a little longer to catch unexpected extras
                for records in consumer.poll(timeout_ms=1000).values():
                    values.extend(r.value for r in records)
                break
        return values
    finally:
        consumer.close()


def committed_total(settings: Settings) -> int:
    """Sum of the group's committed offsets over the raw topic's partitions."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers(settings),
        group_id=settings.extractor_group,
        enable_auto_commit=False,
    )
    try:
        parts = consumer.partitions_for_topic(settings.topic_raw) or set()
        return sum(consumer.committed(TopicPartition(settings.topic_raw, p)) or 0 for p in parts)
    finally:
        consumer.close()


def test_extractor_n_in_n_out_and_offsets_committed(settings: Settings, gold_body: str) -> None:
    articles = make_articles(gold_body, 20)
    publish(settings, list(articles))
    assert run_extractor(settings, until_idle=True) == 0
    out = [EnrichedArticle.from_bytes(v) for v in read_all(settings, settings.topic_enriched, 20)]
    assert sorted(a.article_id for a in out) == sorted(a.article_id for a in articles)
    for enriched in out:
        assert len(enriched.quotes) == 8
        assert {q.speaker for q in enriched.quotes} == {"Ralph Thiele", "Gerhard Mangott"}
        assert enriched.nlp.model
    assert committed_total(settings) == 20
    assert read_all(settings, settings.topic_dead_letter, 0, timeout=2) == []


def test_extractor_poison_message_goes_to_dead_letter_once(
    settings: Settings, gold_body: str
) -> None:
    good = make_articles(gold_body, 4)
    bad_json = b'{"article_id": "broken", "revision": 1, "body": '
    publish(settings, [good[0], good[1], (b"broken", bad_json), good[2], good[3]])
    assert run_extractor(settings, until_idle=True) == 0
    letters = [
        DeadLetter.model_validate_json(v)
        for v in read_all(settings, settings.topic_dead_letter, 1, timeout=20)
    ]
    assert len(letters) == 1
    assert (letters[0].stage, letters[0].payload, letters[0].key) == (
        "extractor",
        bad_json,
        "broken",
    )
    out = read_all(settings, settings.topic_enriched, 4)
    assert len(out) == 4
    assert committed_total(settings) == 5


def test_extractor_schema_error_goes_to_dead_letter(settings: Settings, gold_body: str) -> None:
    wrong = b'{"article_id": "no-body", "revision": 0}'
    publish(settings, [(b"no-body", wrong), make_articles(gold_body, 1)[0]])
    assert run_extractor(settings, until_idle=True) == 0
    letters = read_all(settings, settings.topic_dead_letter, 1, timeout=20)
    assert len(letters) == 1
    letter = DeadLetter.model_validate_json(letters[0])
    assert letter.error_type == "ValidationError" and letter.payload == wrong
    assert len(read_all(settings, settings.topic_enriched, 1)) == 1


def test_extractor_stop_event_ends_the_loop(settings: Settings, gold_body: str) -> None:
    publish(settings, list(make_articles(gold_body, 3)))
    stop = threading.Event()
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(run_extractor(settings, stop_event=stop))
    )
    worker.start()
    out = read_all(settings, settings.topic_enriched, 3)
    stop.set()
    worker.join(timeout=60)
    assert result == [0] and len(out) == 3


def test_extractor_trickle_is_enriched_at_once_not_after_the_batch_window(
    settings: Settings, gold_body: str
) -> None:
    """Before: a lone record waited out ``extract_batch_wait_ms`` for a batch to fill. Now the
    records in hand go as soon as Kafka holds nothing more: well inside a 30 s window."""
    tuned = settings.model_copy(
        update={"extract_batch_size": 32, "extract_batch_wait_ms": 30_000, "idle_seconds": 60.0}
    )
    stop = threading.Event()
    worker = threading.Thread(target=lambda: run_extractor(tuned, stop_event=stop), daemon=True)
    worker.start()
    try:
        first, second = make_articles(gold_body, 2)
        publish(settings, [first])  # waits out the model load and the group join
        read_all(settings, settings.topic_enriched, 1, timeout=180)
        publish(settings, [second])
        sent = time.monotonic()
        out = read_all(settings, settings.topic_enriched, 2, timeout=30)
        took = time.monotonic() - sent
        assert len(out) == 2 and took < 10.0, f"{len(out)} enriched; the second took {took:.1f}s"
    finally:
        stop.set()
        worker.join(timeout=60)


def _worker_env(settings: Settings) -> dict[str, str]:
    """The worker subprocesses read exactly ``settings``, with small batches and a short idle."""
    return settings_env(
        settings,
        extract_batch_size=4,
        extract_batch_wait_ms=100,
        idle_seconds=3,
        metrics_enabled=False,
        log_format="console",
    )


@pytest.fixture
def worker_log(tmp_path: Path) -> Iterator[tuple[Path, IO[str]]]:
    """Where the worker subprocesses write their logs (shown when a test fails)."""
    path = tmp_path / "worker.log"
    with path.open("w", encoding="utf-8") as handle:
        yield path, handle


@pytest.fixture
def worker_cmd() -> Iterator[list[str]]:
    yield [sys.executable, "-m", "newsstream", "extract"]


def _wait_for_output(
    settings: Settings, at_least: int, log: Path | None = None, timeout: float = 180.0
) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = len(read_all(settings, settings.topic_enriched, at_least, timeout=1))
        if got >= at_least:
            return got
        time.sleep(0.2)
    tail = log.read_text("utf-8", "replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"worker produced fewer than {at_least} messages in {timeout}s\n{tail}")


def test_extractor_killed_midway_and_restarted_loses_nothing(
    settings: Settings,
    gold_body: str,
    worker_cmd: list[str],
    tmp_path: Path,
    worker_log: tuple[Path, IO[str]],
) -> None:
    log, log_file = worker_log
    n = 120
    articles = make_articles(gold_body, n)
    publish(settings, list(articles))
    env = _worker_env(settings)
    proc = subprocess.Popen(worker_cmd, env=env, cwd=tmp_path, stderr=log_file)
    try:
        seen_before_kill = _wait_for_output(settings, 4, log)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    again = subprocess.run(
        [*worker_cmd, "--until-idle"],
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
        stderr=log_file,
    )
    assert again.returncode == 0
    out = read_all(settings, settings.topic_enriched, n)
    ids = {EnrichedArticle.from_bytes(v).article_id for v in out}
    assert ids == {a.article_id for a in articles}, f"{seen_before_kill} before the kill"
    assert committed_total(settings) == n


def test_extractor_sigterm_finishes_batch_and_exits_zero(
    settings: Settings,
    gold_body: str,
    worker_cmd: list[str],
    tmp_path: Path,
    worker_log: tuple[Path, IO[str]],
) -> None:
    log, log_file = worker_log
    publish(settings, list(make_articles(gold_body, 40)))
    proc = subprocess.Popen(worker_cmd, env=_worker_env(settings), cwd=tmp_path, stderr=log_file)
    try:
        _wait_for_output(settings, 4, log)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    produced = len(read_all(settings, settings.topic_enriched, 40, timeout=3))
    # The batch in hand was finished, produced AND committed before the exit: what was
    # produced is exactly what was committed (one worker, no redelivery), and it is not nothing.
    committed = committed_total(settings)
    assert committed >= 4, "stopped before anything was committed: proves nothing"
    assert committed == produced


def test_extractor_two_workers_rebalance_lose_nothing(
    settings: Settings,
    gold_body: str,
    worker_cmd: list[str],
    tmp_path: Path,
    worker_log: tuple[Path, IO[str]],
) -> None:
    log, log_file = worker_log
    n = 80
    articles = make_articles(gold_body, n)
    publish(settings, list(articles))
    env = _worker_env(settings)
    first = subprocess.Popen([*worker_cmd, "--until-idle"], env=env, cwd=tmp_path, stderr=log_file)
    try:
        _wait_for_output(settings, 4, log)
        # a second worker joins mid-stream: the group rebalances while the first is busy
        second = subprocess.run(
            [*worker_cmd, "--until-idle"],
            env=env,
            cwd=tmp_path,
            timeout=600,
            check=False,
            stderr=log_file,
        )
        assert second.returncode == 0
        assert first.wait(timeout=600) == 0
    finally:
        if first.poll() is None:
            first.kill()
    out = read_all(settings, settings.topic_enriched, n)
    assert {EnrichedArticle.from_bytes(v).article_id for v in out} == {
        a.article_id for a in articles
    }
    assert committed_total(settings) == n


def test_extractor_over_long_article_is_chunked_not_truncated(
    settings: Settings, gold_body: str
) -> None:
    long_settings = settings.model_copy(update={"max_body_chars": 2000})
    article = make_articles(gold_body, 1)[0]
    publish(long_settings, [article])
    assert run_extractor(long_settings, until_idle=True) == 0
    [value] = read_all(long_settings, long_settings.topic_enriched, 1)
    enriched = EnrichedArticle.from_bytes(value)
    assert enriched.nlp.chunks > 1
    assert enriched.body == article.body
    assert len(enriched.quotes) == 8
    for quote in enriched.quotes:
        assert enriched.body[quote.start : quote.end] == quote.quote


def test_extractor_article_that_makes_processing_raise_is_isolated(
    settings: Settings, gold_body: str
) -> None:
    # no chunking and a body over spaCy's max_length: nlp() raises for this article only
    raising = settings.model_copy(update={"max_body_chars": 10**8})
    good = make_articles(gold_body, 3)
    poison = good[0].model_copy(update={"article_id": "too-long", "body": "Wort " * 220_000})
    publish(raising, [good[0], poison, good[1], good[2]])
    assert run_extractor(raising, until_idle=True) == 0
    letters = [
        DeadLetter.model_validate_json(v)
        for v in read_all(raising, raising.topic_dead_letter, 1, timeout=20)
    ]
    assert [(d.key, d.stage) for d in letters] == [("too-long", "extractor")]
    # The letter keeps 1 MiB of the 1.1 MB original and names the rest (size, hash, offset):
    # a letter may never be refused for its own size.
    original = poison.to_bytes()
    assert letters[0].payload_truncated and letters[0].payload_size == len(original)
    assert letters[0].payload_sha256 == hashlib.sha256(original).hexdigest()
    assert original.startswith(letters[0].payload)
    out = read_all(raising, raising.topic_enriched, 3)
    assert sorted(EnrichedArticle.from_bytes(v).article_id for v in out) == sorted(
        a.article_id for a in good[:3]
    )
    assert committed_total(raising) == 4
