"""Topics and consumer groups, seen from the side of an administrator.

Creating newsstream's topics (compacted article topics, the dead-letter topic, one message
size limit), measuring what a group has not committed, describing a group for the
watchdog, deleting the groups of one-off runs, and reading a compacted topic to its end to
rebuild state. The data path's producer and consumers live in :mod:`newsstream.bus`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import TopicPartition

from newsstream.bus import MAX_MESSAGE_BYTES, bootstrap_servers, close_quietly
from newsstream.errors import BusError, ConfigError
from newsstream.settings import Settings

log = logging.getLogger(__name__)

#: Compacted article topics keep the latest revision per article for ever (Kafka is the
#: system of record); the dead-letter topic keeps everything for 30 days.
COMPACTED = {
    "cleanup.policy": "compact",
    "min.compaction.lag.ms": "60000",
    "max.message.bytes": str(MAX_MESSAGE_BYTES),
}
#: Alerts are compacted too (the latest value per watch and article is the alerter's memory
#: of the pair), but only after a week: a newer alert of a pair must never replace an older
#: one that the notifier has not delivered yet.
ALERTS = {**COMPACTED, "min.compaction.lag.ms": str(7 * 24 * 3600 * 1000)}
DEAD_LETTER = {
    "cleanup.policy": "delete",
    "retention.ms": str(30 * 24 * 3600 * 1000),
    "max.message.bytes": str(MAX_MESSAGE_BYTES),
}


def admin_client(settings: Settings, **overrides: Any) -> KafkaAdminClient:
    """An admin client for ``settings.kafka_bootstrap`` (the one place one is built)."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(settings),
        "client_id": "newsstream-admin",
        "request_timeout_ms": 10_000,
    }
    config.update(overrides)
    return KafkaAdminClient(**config)


def broker_answers(settings: Settings, *, timeout_ms: int = 3000) -> bool:
    """True when a broker at the bootstrap address answers a metadata request."""
    try:
        admin = admin_client(settings, request_timeout_ms=timeout_ms, client_id="newsstream-health")
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        close_quietly(admin)


def metadata_quorum_leader(settings: Settings) -> int | None:
    """The node id leading the KRaft metadata quorum (the active controller), or None."""
    try:
        admin = admin_client(settings, request_timeout_ms=3000)
    except (KafkaError, OSError, ValueError):
        return None
    try:
        quorum = admin.describe_metadata_quorum()
        leader = quorum["topics"][0]["partitions"][0]["leader_id"]
        return int(leader) if leader is not None and leader >= 0 else None
    except (KafkaError, OSError, KeyError, IndexError, TypeError):
        return None
    finally:
        close_quietly(admin)


def broker_count(settings: Settings) -> int | None:
    """How many brokers the cluster has (None when it does not answer)."""
    try:
        admin = admin_client(settings, request_timeout_ms=5000)
    except (KafkaError, OSError, ValueError):
        return None
    try:
        return len(admin.describe_cluster().get("brokers", []))
    except (KafkaError, OSError):
        return None
    finally:
        close_quietly(admin)


def ensure_topics(settings: Settings, *, partitions: int | None = None) -> None:
    """Create the raw, enriched, indexed, alerts and dead-letter topics if missing (idempotent)."""
    n = partitions or settings.topic_partitions
    create_topics(
        settings,
        {
            settings.topic_raw: (n, COMPACTED),
            settings.topic_enriched: (n, COMPACTED),
            settings.topic_indexed: (n, COMPACTED),
            settings.topic_alerts: (n, ALERTS),
            settings.topic_dead_letter: (1, DEAD_LETTER),
        },
    )


def replication_for(brokers: int) -> tuple[int, int]:
    """(replication factor, min.insync.replicas) for a cluster of ``brokers`` brokers.

    Three copies with two in sync when there are three brokers or more (one broker may die
    and writes with ``acks=all`` go on); otherwise whatever the brokers allow.
    """
    factor = min(3, max(1, brokers))
    return factor, (2 if factor >= 3 else 1)


def replicas_for(data_nodes: int) -> int:
    """Index replicas: one copy elsewhere as soon as there is an elsewhere."""
    return 1 if data_nodes >= 2 else 0


def replication(settings: Settings) -> tuple[int, int]:
    """(replication factor, min.insync.replicas) for new topics: the settings if given, else
    what the cluster allows (3 and 2 from three brokers on, 1 and 1 on a single broker)."""
    brokers = broker_count(settings) or 1
    auto_factor, auto_isr = replication_for(brokers)
    factor = settings.topic_replication_factor or auto_factor
    min_isr = settings.topic_min_insync_replicas or (auto_isr if factor == auto_factor else 1)
    if factor > brokers:
        raise ConfigError(
            f"NEWSSTREAM_TOPIC_REPLICATION_FACTOR={factor} but the cluster has {brokers} broker(s)"
        )
    return factor, min(min_isr, factor)


def create_topics(settings: Settings, topics: dict[str, tuple[int, dict[str, str]]]) -> None:
    """Create missing topics, replicated as the cluster allows; check the existing ones.

    An existing topic with fewer replicas than the cluster now calls for (created on one
    broker, say) is refused with the reason: on a cluster it would lose data with a broker.
    """
    factor, min_isr = replication(settings)
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        new = [
            NewTopic(name, num_partitions=parts, replication_factor=factor,
                     topic_configs={**configs, "min.insync.replicas": str(min_isr)})
            for name, (parts, configs) in topics.items()
            if name not in existing
        ]  # fmt: skip
        if new:
            # Another process may win the race: that is the state we wanted anyway.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(new)
            log.info("topics created", extra={"topics": [t.name for t in new],
                                               "replication_factor": factor,
                                               "min_insync_replicas": min_isr})  # fmt: skip
        _check_replication(admin, [n for n in topics if n in existing], factor)
    finally:
        admin.close()


def _check_replication(admin: KafkaAdminClient, names: list[str], factor: int) -> None:
    if not names:
        return
    low: list[str] = []
    for topic in admin.describe_topics(names):
        partitions = topic.get("partitions", [])
        replicas = min((len(p.get("replica_nodes", [])) for p in partitions), default=factor)
        in_sync = min((len(p.get("isr_nodes", [])) for p in partitions), default=factor)
        if replicas < factor:
            low.append(
                f"{topic.get('name')} has {replicas} replica(s), the cluster calls for {factor}"
            )
        elif in_sync < replicas:
            extra = {"topic": topic.get("name"), "in_sync": in_sync, "replicas": replicas}
            log.warning("topic under-replicated now (a broker is down or catching up)", extra=extra)
    if low:
        raise ConfigError(
            "existing topics are under-replicated for this cluster: " + "; ".join(low),
            fix="re-create them (they are rebuilt by replaying: `newsstream reprocess`/`reindex`)"
            " or raise their replication with kafka-reassign-partitions; or set "
            "NEWSSTREAM_TOPIC_REPLICATION_FACTOR to what they have",
        )


class LagReader:
    """Committed-offset lag of consumer groups, with its clients kept open between reads.

    "Lag" here is what a group has not *committed*: the measure of "drained" that
    ``--until-idle`` and the progress of ``reprocess``/``reindex`` need.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._admin: KafkaAdminClient | None = None
        self._consumer: KafkaConsumer | None = None

    def _clients(self) -> tuple[KafkaAdminClient, KafkaConsumer]:
        if self._admin is None or self._consumer is None:
            servers = bootstrap_servers(self.settings)
            self._admin = admin_client(self.settings, request_timeout_ms=5000)
            self._consumer = KafkaConsumer(
                bootstrap_servers=servers, request_timeout_ms=5000, enable_auto_commit=False
            )
        return self._admin, self._consumer

    def offsets(self, group: str, topic: str) -> tuple[int, int] | None:
        """``(committed, total)`` messages of ``topic`` for ``group``; None if Kafka cannot tell.

        A partition the group never committed counts from its first retained offset (compaction
        and retention move it past 0). Unknown partitions are "cannot tell", never "drained".
        """
        try:
            admin, consumer = self._clients()
            committed = admin.list_group_offsets(group).get(group, {})
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                return None
            tps = [TopicPartition(topic, p) for p in partitions]
            starts = consumer.beginning_offsets(tps)
            ends = consumer.end_offsets(tps)
        except (KafkaError, OSError):
            self.close()
            return None
        done = total = 0
        for tp in tps:
            first, end = starts.get(tp, 0), ends.get(tp, 0)
            meta = committed.get(tp)
            position = meta.offset if meta is not None and meta.offset >= 0 else first
            total += max(0, end - first)
            done += max(0, min(end, position) - first)
        return done, total

    def lag(self, group: str, topic: str) -> int | None:
        """Messages in ``topic`` that ``group`` has not committed yet (None if Kafka is away)."""
        got = self.offsets(group, topic)
        return None if got is None else got[1] - got[0]

    def close(self) -> None:
        for client in (self._admin, self._consumer):
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()
        self._admin = self._consumer = None


class GroupShape:
    """``(partitions of topic, members of group)`` for the watchdog's "unassigned" verdict,
    from the broker (describe groups); None when the broker cannot tell."""

    def __init__(self, settings: Settings, group: str, topic: str) -> None:
        self.settings, self.group, self.topic = settings, group, topic
        self._admin: KafkaAdminClient | None = None

    def __call__(self) -> tuple[int, int] | None:
        try:
            if self._admin is None:
                self._admin = admin_client(self.settings, request_timeout_ms=5000)
            described = self._admin.describe_groups([self.group]).get(self.group, {})
            topics = self._admin.describe_topics([self.topic])
        except (KafkaError, OSError):
            self.close()
            return None
        partitions = sum(
            len(t.get("partitions", [])) for t in topics if t.get("name") == self.topic
        )
        return partitions, len(described.get("members", []))

    def close(self) -> None:
        if self._admin is not None:
            close_quietly(self._admin)
        self._admin = None


def read_to_end(
    settings: Settings, topic: str, *, timeout_s: float = 300.0
) -> Iterator[tuple[bytes | None, bytes | None]]:
    """Every ``(key, value)`` of ``topic`` from its first retained offset to the end it had
    when called, without a consumer group (nothing is committed, nobody is rebalanced).

    For rebuilding state from a compacted topic, Kafka being the system of record.
    """
    for record in records_to_end(settings, topic, timeout_s=timeout_s):
        yield record.key, record.value


def records_to_end(settings: Settings, topic: str, *, timeout_s: float = 300.0) -> Iterator[Any]:
    """``read_to_end``'s records whole (offset, timestamp, headers as well)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers(settings),
        group_id=None,
        enable_auto_commit=False,
        client_id="newsstream-reader",
        fetch_max_bytes=16 * 1024 * 1024,
        max_partition_fetch_bytes=MAX_MESSAGE_BYTES,
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout_s
        pending = {tp for tp in tps if ends.get(tp, 0) > 0}
        while pending:
            if time.monotonic() > deadline:
                raise BusError(f"reading {topic} to its end took longer than {timeout_s:.0f}s")
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
            pending = {tp for tp in pending if (consumer.position(tp) or 0) < ends[tp]}
    finally:
        close_quietly(consumer)


def delete_groups(settings: Settings, groups: Iterable[str]) -> None:
    """Remove consumer groups that served one run (``reprocess``/``reindex``); best effort."""
    names = list(groups)
    if not names:
        return
    admin = admin_client(settings)
    try:
        results = dict(admin.delete_groups(names))
        failed = {g: r for g, r in results.items() if r != "OK"}
        if failed:
            log.warning("could not delete consumer groups", extra={"groups": failed})
        else:
            log.info("temporary consumer groups deleted", extra={"groups": names})
    except (KafkaError, OSError) as exc:
        log.warning("could not delete consumer groups", extra={"groups": names, "error": str(exc)})
    finally:
        admin.close()
