"""The poller's book-keeping per feed: schedule, validators, health and the failing gauge.

Every outcome of a feed poll (changed, unchanged, 304, failed, crashed) ends here, so the
rules that decide when a feed is due again live in one place: newsstream's adaptive interval
(:mod:`newsstream.poller.feeds`), never shorter than the feed's configured ``interval`` nor
than what the feed itself asks for (``ttl``, ``sy:updatePeriod``), and never inside the
feed's ``skipHours`` (:mod:`newsstream.outlets.politeness`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from newsstream.errors import HTTPStatusError, NewsstreamError
from newsstream.outlets.config import FeedConfig
from newsstream.outlets.politeness import FeedHints, hours_from_text, hours_text, next_allowed
from newsstream.poller.feeds import FeedSchedule, after_failure, after_success, while_polling
from newsstream.poller.state import FeedRecord, PollerState
from newsstream.poller.stats import FAILING_FEEDS, FEEDS_POLLED, NOT_MODIFIED, PollStats
from newsstream.settings import Settings

log = logging.getLogger("newsstream.poller.service")


class FeedBook:
    """Writes each poll's outcome to the state; answers which feeds are due."""

    def __init__(self, settings: Settings, state: PollerState, rng: random.Random) -> None:
        self.settings = settings
        self.state = state
        self.rng = rng
        self._failing: set[str] = set()

    def base_s(self, feed: FeedConfig) -> float:
        """The feed's interval floor: configured, and what the feed asked for last time."""
        floor, _ = self.state.hints(feed.url)
        return max(feed.interval or self.settings.poll_interval_s, floor)

    def record(self, feed: FeedConfig) -> FeedRecord:
        return self.state.get_feed(feed.url, self.base_s(feed))

    def _schedule(self, feed: FeedConfig, now: float | None = None) -> dict[str, Any]:
        base = self.base_s(feed)
        return {"now": time.time() if now is None else now, "base_s": base,
                "max_s": max(self.settings.poll_max_interval_s, base), "rng": self.rng}  # fmt: skip

    def _save(self, feed: FeedConfig, sched: FeedSchedule, **validators: Any) -> FeedSchedule:
        _, skip = self.state.hints(feed.url)
        sched = replace(sched, next_due=next_allowed(sched.next_due, hours_from_text(skip)))
        self.state.save_feed(feed.url, sched, **validators)
        return sched

    def hints(self, feed: FeedConfig, hints: FeedHints) -> None:
        self.state.save_hints(feed.url, floor_s=hints.floor_s, skip_hours=hints_text(hints))

    def polling(self, feed: FeedConfig, record: FeedRecord, *, started: float) -> None:
        """A new document of the feed was read and its entries are being handled: the next
        poll may begin one base interval after this one began, before this one has finished
        (``started`` as in :meth:`not_modified`). Validators and the adapted interval wait for
        the outcome."""
        sched = while_polling(record.schedule, now=started, base_s=self.base_s(feed), rng=self.rng)
        self._save(feed, sched)

    def unchanged_meanwhile(
        self, feed: FeedConfig, record: FeedRecord, stats: PollStats, *, started: float
    ) -> None:
        """A 304 to the validators of the document a poll under way is handling: nothing new
        since it read the feed. Counted as a 304, but the interval is not stretched (the feed
        is busy, not quiet) and the stored validators stay as they are (that poll's outcome
        decides them)."""
        _count_not_modified(stats)
        self.polling(feed, record, started=started)

    def not_modified(
        self, feed: FeedConfig, record: FeedRecord, stats: PollStats, *, started: float
    ) -> None:
        """The feed answered 304. ``started``: when this poll began, so that the interval runs
        from poll to poll (a slow round does not push every later poll back)."""
        _count_not_modified(stats)
        sched = after_success(record.schedule, changed=False, **self._schedule(feed, started))
        self._save(feed, sched)
        self.state.record_outcome(feed.url, error=None)
        self._mark(feed.url, failing=False)

    def succeeded(
        self,
        feed: FeedConfig,
        record: FeedRecord,
        *,
        changed: bool,
        validators: Mapping[str, str] | None,
        started: float,
    ) -> None:
        """The feed was read; ``started`` as in :meth:`not_modified`."""
        FEEDS_POLLED.labels("ok").inc()
        sched = after_success(record.schedule, changed=changed, **self._schedule(feed, started))
        headers = validators or {}
        self._save(feed, sched, etag=headers.get("etag"),
                   last_modified=headers.get("last-modified"), validators=True)  # fmt: skip
        self.state.record_outcome(feed.url, error=None)
        self._mark(feed.url, failing=False)

    def failed(
        self, feed: FeedConfig, record: FeedRecord, exc: NewsstreamError, stats: PollStats
    ) -> None:
        kind = getattr(exc, "kind", "publish")
        stats.error(f"feed_{kind}")
        stats.feeds_failed += 1
        FEEDS_POLLED.labels("error").inc()
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        sched = after_failure(record.schedule, retry_after=retry_after, **self._schedule(feed))
        sched = self._save(feed, sched)
        self.state.record_outcome(feed.url, error=f"{kind}: {exc.message}")
        self._mark(feed.url, failing=sched.failing)
        log.warning(
            "feed poll failed",
            extra={"feed": feed.url, "kind": kind, "error": str(exc)[:300],
                   "failures": sched.failures,
                   "retry_in_s": round(sched.next_due - time.time())},
        )  # fmt: skip

    def back_off(self, feed: FeedConfig, error: str) -> None:
        """A feed whose poll crashed waits like a failing one (never re-polled every second)."""
        sched = self._save(feed, after_failure(self.record(feed).schedule, **self._schedule(feed)))
        self.state.record_outcome(feed.url, error=error)
        self._mark(feed.url, failing=sched.failing)

    def _mark(self, feed_url: str, *, failing: bool) -> None:
        if failing and feed_url not in self._failing:
            log.error("feed keeps failing", extra={"feed": feed_url})
        (self._failing.add if failing else self._failing.discard)(feed_url)
        FAILING_FEEDS.set(len(self._failing))

    def due(self, feeds: Iterable[FeedConfig], now: float) -> list[FeedConfig]:
        """The feeds to poll now; a feed never polled is due at once."""
        times = self.state.next_due_times()
        return [f for f in feeds if times.get(f.url, 0.0) <= now]

    def next_due(self, feeds: Iterable[FeedConfig]) -> float | None:
        """When the soonest feed is due (epoch seconds); None without feeds."""
        times = self.state.next_due_times()
        return min((times.get(f.url, 0.0) for f in feeds), default=None)


def _count_not_modified(stats: PollStats) -> None:
    stats.not_modified += 1
    NOT_MODIFIED.inc()
    FEEDS_POLLED.labels("not_modified").inc()


def hints_text(hints: FeedHints) -> str:
    return hours_text(hints.skip_hours)
