"""What a poll round did: Prometheus metrics, and the same facts for callers and tests.

Also the exit code of ``poll --once``: it fails when Kafka refused an article or when not one
feed could be read (``run --until-idle`` must report that, not hide it).
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from newsstream.messages import Article

log = logging.getLogger("newsstream.poller.service")

FEEDS_POLLED = Counter(
    "newsstream_poller_feeds_polled_total",
    "Feed polls by outcome (ok, not_modified, error)",
    ["outcome"],
)
NOT_MODIFIED = Counter("newsstream_poller_not_modified_total", "Feed polls answered 304")
ARTICLES = Counter(
    "newsstream_poller_articles_total",
    "Feed entries by outcome (new, updated, unchanged, skipped, in_flight)",
    ["outcome"],
)
ERRORS = Counter("newsstream_poller_errors_total", "Bad inputs and failures by kind", ["kind"])
PUBLISH_SECONDS = Histogram(
    "newsstream_poller_publish_seconds", "Time from send to Kafka acknowledgement"
)
FAILING_FEEDS = Gauge("newsstream_poller_failing_feeds", "Feeds that failed several polls in a row")


@dataclass
class PollStats:
    """What one :func:`poll_once` did (the same facts as the metrics, for callers and tests)."""

    feeds: int = 0
    #: Feeds whose poll failed (fetch, parse, publish or a bug) in this round.
    feeds_failed: int = 0
    not_modified: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    #: Entries an earlier poll of the feed was still handling (left to that poll).
    in_flight: int = 0
    #: Published revisions recognised as copies of an earlier article (syndication).
    copies: int = 0
    errors: Tally[str] = field(default_factory=Tally)
    published: list[Article] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        ARTICLES.labels(outcome).inc()

    def error(self, kind: str) -> None:
        self.errors[kind] += 1
        ERRORS.labels(kind).inc()


def once_exit_code(stats: PollStats) -> int:
    """``poll --once`` fails when Kafka refused an article or when not one feed could be read.

    Some feeds failing is normal monitoring life (counted, retried later); all of them failing
    means wrong URLs or no network, which ``run --until-idle`` must report, not hide.
    """
    if stats.errors.get("feed_publish"):
        log.error("Kafka did not acknowledge every article; the feeds will be retried")
        return 1
    if stats.feeds and stats.feeds_failed == stats.feeds:
        kinds = sorted(k for k in stats.errors if k.startswith("feed_"))
        log.error(
            "every feed failed",
            extra={"feeds": stats.feeds, "kinds": kinds, "fix": "check the URLs and network"},
        )
        return 1
    return 0


def summary(stats: PollStats) -> dict[str, Any]:
    return {
        "feeds": stats.feeds, "feeds_failed": stats.feeds_failed,
        "not_modified": stats.not_modified, "new": stats.new,
        "updated": stats.updated, "unchanged": stats.unchanged, "skipped": stats.skipped,
        "in_flight": stats.in_flight, "copies": stats.copies,
        "errors": dict(stats.errors),
    }  # fmt: skip
