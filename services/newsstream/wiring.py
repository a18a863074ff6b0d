"""The one place where newsstream's clients are built from the settings object.

Roles (poller, extractor, indexer, replays, setup, ``newsstream run``) receive a
:class:`Clients` and ask it for what they need; none of them calls a client library's
constructor. Delivery guarantees (``acks=all``, idempotence, no auto-commit), credentials, CA
certificates and time-outs are therefore set once, in :mod:`newsstream.bus`,
:mod:`newsstream.topics` and :mod:`newsstream.store`, and tests can hand a role clients of
their own. The producer and the Elasticsearch client are shared per process; consumers are
made per use (a consumer belongs to one group).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from time import process_time
from typing import TYPE_CHECKING, Any

from newsstream.settings import Settings

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch
    from kafka import KafkaConsumer, KafkaProducer

    from newsstream.topics import GroupShape, LagReader
    from newsstream.watchdog import Watchdog


class Clients:
    """Lazily built clients for one process; ``close()`` closes what was built."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._closables: list[Any] = []

    @cached_property
    def producer(self) -> KafkaProducer:
        """The process's idempotent ``acks=all`` producer."""
        from newsstream.bus import make_producer

        producer = make_producer(self.settings)
        self._closables.append(producer)
        return producer

    @cached_property
    def es(self) -> Elasticsearch:
        from newsstream.store import make_es

        return make_es(self.settings)

    def consumer(
        self, group: str | None, topics: Iterable[str] | None = None, **overrides: Any
    ) -> KafkaConsumer:
        """A new consumer in ``group`` (never auto-committing); the caller closes it."""
        from newsstream.bus import make_consumer

        return make_consumer(self.settings, group, topics, **overrides)  # type: ignore[arg-type]

    def lag_reader(self) -> LagReader:
        from newsstream.topics import LagReader

        reader = LagReader(self.settings)
        self._closables.append(reader)
        return reader

    def group_shape(self, group: str, topic: str) -> GroupShape:
        from newsstream.topics import GroupShape

        shape = GroupShape(self.settings, group, topic)
        self._closables.append(shape)
        return shape

    def watchdog(
        self, consumer: KafkaConsumer, role: str, group: str, topic: str, *, idle_cpu: bool = False
    ) -> Watchdog:
        """The watchdog of a role's consumer (stalled, unassigned, spinning -> exit 75);
        ``idle_cpu`` also stops a process that burns a core while it has nothing to do."""
        from newsstream.bus import JOIN_GRACE_S, consumer_lag
        from newsstream.watchdog import Watchdog

        return Watchdog(
            consumer,
            role,
            stall_s=self.settings.stall_seconds,
            join_grace_s=2 * JOIN_GRACE_S,
            lag=lambda: consumer_lag(consumer),
            group_shape=self.group_shape(group, topic),
            cpu=process_time if idle_cpu else None,
        )

    def close(self) -> None:
        """Close every client this object built (a broker that is away loses nothing)."""
        from newsstream.bus import close_quietly

        for client in reversed(self._closables):
            if client is self.__dict__.get("producer"):
                close_quietly(client, timeout=30)  # sends in flight get 30 s, then we go
            else:
                close_quietly(client)
        self._closables.clear()
        if "es" in self.__dict__:
            close_quietly(self.__dict__.pop("es"))
