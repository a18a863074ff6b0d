"""A stand-in for the Kafka producer in *unit* tests of the poll loop (pure logic only).

Integration tests use the real local Kafka; this fake only records what would be sent and
acknowledges (or fails) the way kafka-python's futures do, through callbacks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from newsstream.messages import Article


class _Future:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error

    def add_callback(self, fn: Any) -> _Future:
        if self.error is None:
            threading.Thread(target=fn, args=(None,)).start()
        return self

    def add_errback(self, fn: Any) -> _Future:
        if self.error is not None:
            threading.Thread(target=fn, args=(self.error,)).start()
        return self


@dataclass
class RecordingProducer:
    """Records sends; set ``fail_with`` to make every send fail like a broker outage."""

    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    fail_with: BaseException | None = None

    def send(self, topic: str, key: bytes, value: bytes) -> _Future:
        if self.fail_with is None:
            self.sent.append((topic, key, value))
        return _Future(self.fail_with)

    @property
    def articles(self) -> list[Article]:
        return [Article.from_bytes(value) for _, _, value in self.sent]
