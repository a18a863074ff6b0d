"""The indexer against the real local Kafka and Elasticsearch (no mocks).

Each test gets its own topics, consumer group and aliases from the ``ns_settings`` fixture.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer
from tests.support.samples import enriched_from_gold
from tests.support.shared import seed_gold, seed_text

from newsstream.bus import make_producer
from newsstream.indexer.service import IndexerStats, run_indexer, run_indexer_with_stats
from newsstream.messages import DeadLetter, EnrichedArticle
from newsstream.search import search
from newsstream.settings import Settings

pytestmark = pytest.mark.integration


def gold_article(**update: Any) -> EnrichedArticle:
    body, gold = seed_text(), seed_gold()
    article = enriched_from_gold(body, gold)
    return article.model_copy(update=update) if update else article


@pytest.fixture
def settings(ns_settings: Settings) -> Settings:
    return ns_settings.model_copy(update={"idle_seconds": 2.0, "index_bulk_max_wait_s": 0.2})


def publish(settings: Settings, *values: EnrichedArticle | bytes) -> None:
    producer = make_producer(settings)
    try:
        for value in values:
            if isinstance(value, EnrichedArticle):
                producer.send(
                    settings.topic_enriched,
                    key=value.article_id.encode(),
                    value=value.to_bytes(),
                )
            else:
                producer.send(settings.topic_enriched, key=b"junk", value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()


def index_until_idle(settings: Settings) -> IndexerStats:
    stats = run_indexer_with_stats(settings, until_idle=True)
    return stats


def quote_docs(es: Elasticsearch, settings: Settings, article_id: str) -> list[dict[str, Any]]:
    es.indices.refresh(index=settings.quotes_alias)
    response = es.search(
        index=settings.quotes_alias,
        query={"term": {"article_id": article_id}},
        size=100,
        sort=[{"position": "asc"}],
    )
    return [hit["_source"] for hit in response["hits"]["hits"]]


def dead_letters(settings: Settings) -> list[DeadLetter]:
    consumer = KafkaConsumer(
        settings.topic_dead_letter,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    try:
        return [DeadLetter.model_validate_json(record.value) for record in consumer]
    finally:
        consumer.close()


def test_indexer_gold_article_searchable(settings: Settings, es: Elasticsearch) -> None:
    article = gold_article()
    publish(settings, article)
    assert run_indexer(settings, until_idle=True) == 0
    es.indices.refresh(index=[settings.articles_alias, settings.quotes_alias])

    found = search(es, settings, "Mangott")
    assert found.total == 1
    assert found.hits[0]["article_id"] == article.article_id
    assert found.hits[0]["highlight"]

    quotes = search(es, settings, "", quotes=True, speaker="Gerhard Mangott")
    assert quotes.total == 6
    assert {hit["speaker"] for hit in quotes.hits} == {"Gerhard Mangott"}
    assert search(es, settings, "", quotes=True, speaker="mangott").total == 6
    assert search(es, settings, "Frieden", quotes=True, speaker="Mangott").total == 1
    assert search(es, settings, "Mangott", entity="Nato").total == 1
    assert search(es, settings, "Mangott", entity="Bielefeld").total == 0


def test_indexer_german_stemming_finds_inflected_form(
    settings: Settings, es: Elasticsearch
) -> None:
    article = gold_article()
    assert "Waffenruhen" not in article.body and "Waffenruhe" in article.body
    publish(settings, article)
    index_until_idle(settings)
    es.indices.refresh(index=settings.articles_alias)
    assert search(es, settings, "Waffenruhen").total == 1
    exact = es.count(index=settings.articles_alias, query={"match": {"body.exact": "Waffenruhen"}})
    assert exact["count"] == 0  # only stemming can have found it


def test_indexer_older_revision_does_not_overwrite(settings: Settings, es: Elasticsearch) -> None:
    newer = gold_article(revision=2, title="Neuer Titel")
    older = gold_article(revision=1, title="Alter Titel")
    publish(settings, newer)
    index_until_idle(settings)
    publish(settings, older)
    stats = index_until_idle(settings)
    assert stats.docs_stale == 9  # article + 8 quotes refused as older: success, not error
    stored = es.get(index=settings.articles_alias, id=newer.article_id)
    assert stored["_source"]["title"] == "Neuer Titel"
    assert stored["_version"] == 2
    assert {q["revision"] for q in quote_docs(es, settings, newer.article_id)} == {2}


def test_indexer_newer_revision_removes_stale_quotes(settings: Settings, es: Elasticsearch) -> None:
    first = gold_article()
    publish(settings, first)
    index_until_idle(settings)
    assert len(quote_docs(es, settings, first.article_id)) == 8

    second = gold_article(revision=2, quotes=first.quotes[:3])
    publish(settings, second)
    stats = index_until_idle(settings)
    docs = quote_docs(es, settings, first.article_id)
    assert [(d["position"], d["revision"]) for d in docs] == [(0, 2), (1, 2), (2, 2)]
    assert stats.stale_quotes_deleted == 5


def test_indexer_same_revision_reextracted_with_fewer_quotes(
    settings: Settings, es: Elasticsearch
) -> None:
    """``newsstream reprocess`` republishes a revision with a new model: it replaces it."""
    first = gold_article()
    publish(settings, first)
    index_until_idle(settings)
    publish(settings, gold_article(quotes=first.quotes[:4], title="Neu extrahiert"))
    index_until_idle(settings)
    assert [d["position"] for d in quote_docs(es, settings, first.article_id)] == [0, 1, 2, 3]
    stored = es.get(index=settings.articles_alias, id=first.article_id)["_source"]
    assert stored["title"] == "Neu extrahiert" and stored["quote_count"] == 4


def test_indexer_outdated_revision_leaves_no_quotes(settings: Settings, es: Elasticsearch) -> None:
    """An old revision arriving late must not add quote docs at positions the new one lacks."""
    old = gold_article()
    publish(settings, gold_article(revision=2, quotes=old.quotes[:3]))
    index_until_idle(settings)
    publish(settings, old)
    index_until_idle(settings)
    docs = quote_docs(es, settings, old.article_id)
    assert [(d["position"], d["revision"]) for d in docs] == [(0, 2), (1, 2), (2, 2)]


def test_indexer_revisions_in_one_batch(settings: Settings, es: Elasticsearch) -> None:
    first = gold_article()
    publish(settings, first, gold_article(revision=2, quotes=first.quotes[:2]))
    index_until_idle(settings)
    docs = quote_docs(es, settings, first.article_id)
    assert [(d["position"], d["revision"]) for d in docs] == [(0, 2), (1, 2)]


def test_indexer_invalid_message_dead_lettered_and_committed(
    settings: Settings, es: Elasticsearch
) -> None:
    publish(settings, b"{not json", gold_article())
    stats = index_until_idle(settings)
    assert stats.dead_letters == 1
    (letter,) = dead_letters(settings)
    assert letter.stage == "indexer" and letter.payload == b"{not json"
    assert letter.source_topic == settings.topic_enriched
    es.indices.refresh(index=settings.articles_alias)
    assert es.count(index=settings.articles_alias)["count"] == 1
    again = index_until_idle(settings)  # offsets were committed: nothing is read twice
    assert again.messages == 0


def test_indexer_rejected_document_dead_lettered(settings: Settings, es: Elasticsearch) -> None:
    """A mapping conflict (here: ``feed`` mapped as a number) is permanent: DLQ, then commit."""
    es.indices.create(
        index=f"{settings.articles_alias}-v1",
        mappings={"properties": {"feed": {"type": "long"}}},
        aliases={settings.articles_alias: {"is_write_index": True}},
    )
    article = gold_article()
    publish(settings, article)
    stats = index_until_idle(settings)
    assert stats.dead_letters == 1
    (letter,) = dead_letters(settings)
    assert letter.stage == "indexer"
    assert "feed" in letter.error
    assert EnrichedArticle.from_bytes(letter.payload).article_id == article.article_id
    assert index_until_idle(settings).messages == 0


def test_indexer_under_load_refreshes_once_for_many_batches_and_announces_all(
    settings: Settings, es: Elasticsearch
) -> None:
    """Before: every batch forced its own refresh (a third of the indexer's throughput). Now
    a refresh covers every batch written before it; still, every article ends up searchable,
    announced on news.indexed and committed."""
    from newsstream.messages import Indexed
    from newsstream.topics import LagReader, read_to_end

    base = gold_article()
    articles = [base.model_copy(update={"article_id": f"load-{i:04d}"}) for i in range(300)]
    publish(settings, *articles)
    tuned = settings.model_copy(
        update={"index_bulk_max_docs": 45, "index_refresh_every_s": 3600.0}  # 5 articles/batch
    )
    stats = run_indexer_with_stats(tuned, until_idle=True)
    assert stats.batches >= 30 and stats.refreshes <= 3, stats
    # the batches a refresh settled are committed together, not one commit each
    assert stats.commits <= stats.batches // 3, stats
    # the backlog grew the heap; once written, its freed memory went back to the OS, once
    from newsstream.heap import supported

    assert stats.heap_trims == (1 if supported() else 0), stats
    es.indices.refresh(index=settings.articles_alias)
    assert es.count(index=settings.articles_alias)["count"] == len(articles)
    announced = {
        Indexed.from_bytes(value).article_id
        for _, value in read_to_end(settings, settings.topic_indexed, timeout_s=30)
        if value is not None
    }
    assert announced == {a.article_id for a in articles}
    reader = LagReader(settings)
    try:
        assert reader.lag(settings.indexer_group, settings.topic_enriched) == 0
    finally:
        reader.close()


def test_the_last_batch_is_committed_as_soon_as_its_announcements_are_acked(
    settings: Settings,
) -> None:
    """Before: after announcing the last batch of a burst the loop went into a 0.5 s poll and
    committed only when it came back (half a second on every burst's clock, a fifth of the
    benchmark's indexer time). Now it looks again every 10 ms until Kafka has acked."""
    base = gold_article()
    publish(settings, *(base.model_copy(update={"article_id": f"a-{i}"}) for i in range(10)))
    stats = index_until_idle(settings)
    assert stats.last_announced_at is not None and stats.last_commit_at is not None
    assert stats.last_commit_at - stats.last_announced_at < 0.2, stats


def test_the_last_batch_of_a_backlog_is_refreshed_at_once_not_after_the_min_interval(
    settings: Settings, es: Elasticsearch
) -> None:
    """Before: the last batch of a backlog waited until ``index_refresh_min_interval_s`` after
    the refresh before it (the guard for a steady trickle of small batches), and the whole
    burst waited unannounced and uncommitted with it. Now the batch that ends a backlog is
    refreshed with it: the burst is committed long before the 6 s interval is over (and the
    7 s of quiet after which ``--until-idle`` would refresh anyway)."""
    base = gold_article()
    articles = [base.model_copy(update={"article_id": f"burst-{i:03d}"}) for i in range(100)]
    publish(settings, *articles)
    tuned = settings.model_copy(
        update={
            "index_bulk_max_docs": 45,
            "index_refresh_min_interval_s": 6.0,
            "idle_seconds": 7.0,
        }
    )
    stats = run_indexer_with_stats(tuned, until_idle=True)
    assert stats.first_message_at is not None and stats.last_commit_at is not None
    assert stats.batches >= 10, stats  # a backlog: many batches, not one
    assert stats.last_commit_at - stats.first_message_at < 4.0, stats
    assert es.count(index=settings.articles_alias)["count"] == len(articles)  # no refresh forced


@pytest.mark.parametrize("writers", [1, 2, 3])
def test_batches_queued_for_the_writer_are_applied_in_order(
    settings: Settings, es: Elasticsearch, writers: int
) -> None:
    """Each writer thread has the next batch queued behind the one it writes, and batches of
    other articles are written on the other writers at the same time; each article's batches
    must still reach Elasticsearch in order. One article per batch: revisions with fewer
    quotations, withdrawals and a re-publication follow each other batch after batch, so a
    batch applied before the one ahead of it would leave an old quotation, or a withdrawn
    article, behind."""
    base = gold_article()
    assert len(base.quotes) >= 6

    def rev(article_id: str, revision: int, quotes: int) -> EnrichedArticle:
        return base.model_copy(
            update={"article_id": article_id, "revision": revision,
                    "quotes": base.quotes[:quotes]}
        )  # fmt: skip

    producer = make_producer(settings)
    try:
        stream: list[tuple[str, EnrichedArticle | None]] = [
            ("x", rev("x", 1, 6)), ("y", rev("y", 1, 6)), ("x", rev("x", 2, 2)),
            ("y", None), ("x", None), ("x", rev("x", 3, 4)), ("z", rev("z", 1, 5)),
            ("z", rev("z", 2, 1)), ("y", rev("y", 2, 3)), ("y", None),
        ]  # fmt: skip
        for key, article in stream:
            value = article.to_bytes() if article is not None else None
            producer.send(settings.topic_enriched, key=key.encode(), value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()
    # one record per batch
    tuned = settings.model_copy(update={"index_bulk_max_docs": 1, "index_writers": writers})
    stats = run_indexer_with_stats(tuned, until_idle=True)
    assert stats.batches == len(stream), stats
    es.indices.refresh(index=[settings.articles_alias, settings.quotes_alias])
    hits = es.search(index=settings.articles_alias, size=10)["hits"]["hits"]
    stored = {hit["_id"]: hit["_source"]["revision"] for hit in hits}
    assert stored == {"x": 3, "z": 2}
    assert [q["position"] for q in quote_docs(es, settings, "x")] == [0, 1, 2, 3]
    assert {q["revision"] for q in quote_docs(es, settings, "x")} == {3}
    assert [q["position"] for q in quote_docs(es, settings, "z")] == [0]
    assert quote_docs(es, settings, "y") == []


def test_every_announced_article_is_searchable_when_announced(
    settings: Settings, es: Elasticsearch
) -> None:
    """``news.indexed`` promises the alerter that an article is searchable now. With two
    batches handed to the writer, a refreshed batch and the unrefreshed one after it can be
    collected together: only the first may be announced then. Articles come in pairs, 20 ms
    apart, the pairs 0.7 s apart: the first of a pair is refreshed with its batch, the second
    (within the 0.5 s min interval) is not. A watcher reads each announcement as it comes and
    looks the article up at once, never forcing a refresh."""
    import threading
    import time

    from elasticsearch import ApiError

    from newsstream.messages import Indexed

    articles = [gold_article(article_id=f"pair-{i:03d}") for i in range(24)]
    consumer = KafkaConsumer(
        settings.topic_indexed,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
    )
    seen: list[str] = []
    missing: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() or (consumer.assignment() and _behind(consumer)):
            for records in consumer.poll(timeout_ms=100).values():
                for record in records:
                    article_id = Indexed.from_bytes(record.value).article_id
                    seen.append(article_id)
                    try:
                        query = {"ids": {"values": [article_id]}}
                        found = es.count(index=settings.articles_alias, query=query)["count"]
                    except ApiError:
                        found = 0
                    if not found:
                        missing.append(article_id)

    producer = make_producer(settings)

    def stream() -> None:
        for i, article in enumerate(articles):
            producer.send(settings.topic_enriched, key=article.article_id.encode(),
                          value=article.to_bytes())  # fmt: skip
            producer.flush(timeout=30)
            time.sleep(0.02 if i % 2 == 0 else 0.7)

    threads = [threading.Thread(target=f, daemon=True) for f in (watch, stream)]
    for thread in threads:
        thread.start()
    try:
        run_indexer_with_stats(settings, until_idle=True)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
        consumer.close()
        producer.close()
    assert sorted(set(seen)) == sorted(a.article_id for a in articles)
    assert missing == [], f"{len(missing)} announced before they were searchable: {missing[:5]}"


def _behind(consumer: KafkaConsumer) -> bool:
    """Records are left that this consumer has not read yet."""
    ends = consumer.end_offsets(list(consumer.assignment()))
    return any(consumer.position(tp) < end for tp, end in ends.items())


def test_a_steady_stream_is_refreshed_at_most_once_per_min_interval(
    settings: Settings, es: Elasticsearch
) -> None:
    """Before: every batch written in a lull was refreshed at once, so a steady stream of
    small batches (10 articles/s) had Elasticsearch refreshing ~6 times a second per index,
    its largest CPU cost. Now refreshes are ``index_refresh_min_interval_s`` apart at least,
    and still every article becomes searchable and is announced."""
    import threading
    import time

    from newsstream.messages import Indexed
    from newsstream.topics import read_to_end

    articles = [gold_article(article_id=f"steady-{i:03d}") for i in range(40)]
    tuned = settings.model_copy(update={"index_refresh_min_interval_s": 1.0})
    producer = make_producer(settings)

    def stream() -> None:
        for article in articles:  # 10 a second, each on its own
            producer.send(settings.topic_enriched, key=article.article_id.encode(),
                          value=article.to_bytes())  # fmt: skip
            producer.flush(timeout=30)
            time.sleep(0.1)

    feeder = threading.Thread(target=stream, daemon=True)
    started = time.monotonic()
    feeder.start()
    try:
        stats = run_indexer_with_stats(tuned, until_idle=True)
    finally:
        feeder.join(timeout=60)
        producer.close()
    took = time.monotonic() - started
    assert stats.refreshes <= took / 1.0 + 1, (stats, took)
    assert stats.batches > stats.refreshes, stats  # batches still went out as they came
    assert es.count(index=settings.articles_alias)["count"] == len(articles)  # no refresh forced
    announced = {
        Indexed.from_bytes(value).article_id
        for _, value in read_to_end(settings, settings.topic_indexed, timeout_s=30)
        if value is not None
    }
    assert announced == {a.article_id for a in articles}


def test_indexer_trickle_is_written_at_once_not_after_the_batch_window(
    settings: Settings, es: Elasticsearch
) -> None:
    """Before: a lone record waited for more (the next poll, up to ``index_bulk_max_wait_s``)
    before its batch was written. Now a batch goes as soon as Kafka holds nothing more, so a
    trickle of articles is searchable well inside a 30 s batch window."""
    import threading
    import time

    tuned = settings.model_copy(update={"index_bulk_max_wait_s": 30.0, "idle_seconds": 60.0})
    stop = threading.Event()
    worker = threading.Thread(target=lambda: run_indexer(tuned, stop_event=stop), daemon=True)
    worker.start()
    try:
        for name in ("trickle-1", "trickle-2"):  # the first also waits out the group join
            publish(settings, gold_article(article_id=name))
            sent = time.monotonic()
            while time.monotonic() - sent < 120 and not _searchable(es, settings, name):
                time.sleep(0.1)
            took = time.monotonic() - sent
        assert took < 10.0, f"the second article took {took:.1f}s (batch window 30 s)"
    finally:
        stop.set()
        worker.join(timeout=60)


def _searchable(es: Elasticsearch, settings: Settings, article_id: str) -> bool:
    """Found by a search now (no refresh forced: the indexer's own refresh must have run)."""
    from elasticsearch import ApiError

    try:
        query = {"ids": {"values": [article_id]}}
        return bool(es.count(index=settings.articles_alias, query=query)["count"])
    except ApiError as exc:
        # 404: the indexer has not created its indices yet; 503: just created, shards not yet
        # allocated (seen once in a fresh clone's run)
        if exc.meta.status in (404, 503):
            return False
        raise
