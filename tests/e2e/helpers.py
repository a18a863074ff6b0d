"""Driving the real pipeline from end-to-end tests: subprocesses, Kafka and Elasticsearch."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from elasticsearch import Elasticsearch
from kafka.structs import TopicPartition
from tests.support.corpus import Variant
from tests.support.feedserver import FeedServer

from newsstream.bus import make_consumer, make_producer
from newsstream.messages import Article, DeadLetter, article_id_for, content_hash_for
from newsstream.roles import settings_env
from newsstream.settings import Settings

#: Every e2e process gets these on top of the test's settings.
E2E_OVERRIDES: dict[str, object] = {
    "metrics_enabled": False,
    "idle_seconds": 3.0,
    "extract_batch_wait_ms": 200,
    "index_bulk_max_wait_s": 0.5,
    "log_format": "console",
    "log_level": "WARNING",
}


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "newsstream", *args]


#: Log files of the child processes of the running test (``tests/e2e/conftest.py`` sets the
#: directory per test and attaches every file's tail to the report when the test fails).
CHILD_LOGS: dict[str, Path] = {}


def _log_file(args: Sequence[str]) -> Path | None:
    base = CHILD_LOGS.get("dir")
    if base is None:
        return None
    base.mkdir(parents=True, exist_ok=True)
    # Arguments can hold URLs and names: only characters every file system takes.
    stem = re.sub(r"[^\w.-]+", "_", "-".join(a.lstrip("-") for a in args))[:60] or "newsstream"
    n = len(list(base.glob(f"{stem}*.log")))
    return base / f"{stem}{'-' + str(n) if n else ''}.log"


def run_cli(
    settings: Settings, *args: str, timeout: float = 300.0
) -> subprocess.CompletedProcess[str]:
    """Run one ``newsstream`` command with exactly ``settings``; fails the test on a timeout.

    Its stderr is also kept in the test's child-log directory (shown if the test fails).
    """
    done = subprocess.run(
        cli_command(*args),
        env=settings_env(settings, **E2E_OVERRIDES),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    path = _log_file(args)
    if path is not None:
        path.write_text(f"$ newsstream {' '.join(args)}  -> exit {done.returncode}\n{done.stderr}")
    return done


def start_cli(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
    """Start a ``newsstream`` command in the background; its output goes to a kept log file."""
    path = _log_file(args)
    out = path.open("ab") if path is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            cli_command(*args),
            env=settings_env(settings, **E2E_OVERRIDES),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        if path is not None and not isinstance(out, int):
            out.close()


def child_log_text(name_part: str) -> str:
    """The concatenated logs of this test's children whose file name contains ``name_part``."""
    base = CHILD_LOGS.get("dir")
    if base is None:
        return ""
    return "".join(p.read_text(errors="replace") for p in sorted(base.glob(f"*{name_part}*.log")))


def serve(server: FeedServer, variants: Sequence[Variant]) -> None:
    for v in variants:
        server.add_article(v.slug, v.title, v.paragraphs, teaser=v.teaser)


def raw_article(v: Variant, *, base_url: str = "https://www.br.de/nachrichten") -> Article:
    url = f"{base_url}/{v.slug}"
    body = "\n\n".join(v.paragraphs)
    return Article(
        article_id=article_id_for(url),
        revision=1,
        url=url,
        canonical_url=url,
        feed_url=f"{base_url}/rss",
        guid=v.slug,
        title=v.title,
        teaser=v.teaser,
        body=body,
        content_hash=content_hash_for(v.title, body),
    )


def produce_raw(
    settings: Settings, articles: Sequence[Article], *, extra: Sequence[bytes] = ()
) -> None:
    producer = make_producer(settings)
    futures = [
        producer.send(settings.topic_raw, key=a.article_id.encode(), value=a.to_bytes())
        for a in articles
    ]
    futures += [producer.send(settings.topic_raw, key=b"poison", value=raw) for raw in extra]
    for future in futures:
        future.get(timeout=60)
    producer.close()


def count(es: Elasticsearch, index: str, query: dict[str, object] | None = None) -> int:
    es.indices.refresh(index=index)
    body = {"query": query} if query else {}
    return int(es.count(index=index, **body)["count"])


def wait_until(check: Callable[[], bool], *, timeout: float, every: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except Exception:  # noqa: S110 (the service under test may be restarting)
            pass
        time.sleep(every)
    return False


def topic_records(settings: Settings, topic: str, *, timeout: float = 10.0) -> list[bytes]:
    """Every value currently in ``topic`` (read without a group, from the beginning)."""
    consumer = make_consumer(settings, group_id=None)  # type: ignore[arg-type]
    partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in partitions]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps)
    values: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
        for records in consumer.poll(timeout_ms=500).values():
            values.extend(r.value for r in records)
    consumer.close()
    return values


def wait_for_records(settings: Settings, topic: str, at_least: int, *, timeout: float) -> bool:
    """Until ``topic`` holds ``at_least`` records, asking for its end offsets every 10 ms on
    one connection: a fault test must catch a fast producer mid-stream. (Reading the whole
    topic once a second saw an extractor do all 60 short articles between two looks, and the
    test killed it too late to prove anything.)"""
    consumer = make_consumer(settings, group_id=None)  # type: ignore[arg-type]
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            if tps and sum(consumer.end_offsets(tps).values()) >= at_least:
                return True
            time.sleep(0.01)
        return False
    finally:
        consumer.close()


def dead_letters(settings: Settings) -> list[DeadLetter]:
    return [
        DeadLetter.model_validate_json(v)
        for v in topic_records(settings, settings.topic_dead_letter)
    ]


def search_json(settings: Settings, *args: str) -> dict[str, object]:
    done = run_cli(settings, "search", *args, "--json", timeout=60)
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data
