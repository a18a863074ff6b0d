"""``news.indexed``: the indexer says which article revisions it has made searchable.

After a batch's bulk writes and refresh succeeded, and before its offsets are committed, the
indexer produces one small record per article it wrote (key = article id, the revision and
when); it commits once Kafka has acknowledged all of them. The alerter consumes them: it
learns exactly which articles to match, when they are searchable, without polling
Elasticsearch. Committing only after the acknowledgement keeps it at-least-once: a crash in
between re-indexes (idempotently) and announces again, and the alerter's memory of what it
alerted makes the repeat silent.

Articles refused as older than the stored revision or rejected for good are not announced
(nothing of theirs became searchable); withdrawn articles neither (nothing to alert on).
Each record also names the revision's speakers and entities: the alerter searches only the
watches whose speaker and entities can be among them (Elasticsearch still decides).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata

from newsstream.bus import SEND_TIMEOUT_S
from newsstream.indexer.batch import Received
from newsstream.indexer.writer import WriteResult
from newsstream.messages import Indexed
from newsstream.settings import Settings


def announcements(latest: Mapping[str, Received], result: WriteResult) -> list[Indexed]:
    """One ``Indexed`` per article of the batch that is now searchable at its revision."""
    now = datetime.now(UTC)
    news: list[Indexed] = []
    for article_id, item in sorted(latest.items()):
        a = item.article
        if a is None or article_id in result.rejected or article_id in result.outdated:
            continue
        speakers = sorted({q.speaker for q in a.quotes if q.speaker})
        names = sorted({n for e in a.entities for n in (e.canonical, e.text) if n})
        news.append(Indexed(article_id=article_id, revision=a.revision, indexed_at=now,
                            speakers=speakers, entities=names))  # fmt: skip
    return news


def produce_announcements(
    producer: KafkaProducer, settings: Settings, news: Sequence[Indexed]
) -> list[FutureRecordMetadata]:
    """Hand every record to the producer; each future is done once Kafka has it (``acks=all``).

    The indexer does not wait here: it reads the next batch meanwhile and commits this one
    once all its futures are done (a synchronous wait was a sixth of its main thread's time).
    """
    return [
        producer.send(settings.topic_indexed, key=n.article_id.encode("utf-8"), value=n.to_bytes())
        for n in news
    ]


def send_announcements(
    producer: KafkaProducer, settings: Settings, news: Sequence[Indexed]
) -> None:
    """Produce every record and wait until Kafka has all of them (``acks=all``)."""
    for future in produce_announcements(producer, settings, news):
        future.get(timeout=SEND_TIMEOUT_S)
