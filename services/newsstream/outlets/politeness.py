"""What a feed says about how often to read it (pure): ``ttl``, ``sy:updatePeriod`` and
``sy:updateFrequency``, ``skipHours``.

These are floors, never ceilings: a feed that asks for 30 minutes is not polled every minute,
but a feed that says nothing keeps newsstream's own (adaptive) schedule. A feed may say
absurd things (``ttl`` of a year, every hour skipped): floors are capped at
:data:`MAX_FLOOR_S` and a ``skipHours`` that skips the whole day is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

#: No feed hint makes newsstream wait more than a day.
MAX_FLOOR_S = 24 * 3600.0
_PERIODS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 7 * 86400.0,
            "monthly": 30 * 86400.0, "yearly": 365 * 86400.0}  # fmt: skip
_SKIP_HOURS = re.compile(rb"<skipHours\b[^>]*>(.*?)</skipHours\s*>", re.IGNORECASE | re.DOTALL)
_HOUR = re.compile(rb"<hour\b[^>]*>\s*(\d{1,2})\s*</hour\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class FeedHints:
    """The feed's own scheduling hints, as found (None / empty: the feed said nothing)."""

    ttl_s: float | None = None
    update_period_s: float | None = None
    skip_hours: frozenset[int] = frozenset()

    @property
    def floor_s(self) -> float:
        """The shortest interval the feed asks for (0 when it asks for none), capped."""
        floor = max(self.ttl_s or 0.0, self.update_period_s or 0.0)
        return min(floor, MAX_FLOOR_S)


def _positive_number(value: object) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 and number == number else None


def skip_hours_of(content: bytes) -> frozenset[int]:
    """Hours (0-23, GMT as RSS 2.0 says) listed in ``<skipHours>``; all 24 means none."""
    block = _SKIP_HOURS.search(content[: 256 * 1024])
    if block is None:
        return frozenset()
    hours = frozenset(int(h) for h in _HOUR.findall(block.group(1)) if int(h) < 24)
    return frozenset() if len(hours) >= 24 else hours


def feed_hints(content: bytes, channel: Mapping[str, object]) -> FeedHints:
    """Hints from the raw feed bytes and feedparser's channel dict (``parsed.feed``)."""
    ttl = _positive_number(channel.get("ttl"))
    period = _PERIODS.get(str(channel.get("sy_updateperiod") or "").strip().lower())
    frequency = _positive_number(channel.get("sy_updatefrequency")) or 1.0
    return FeedHints(
        ttl_s=ttl * 60.0 if ttl else None,
        update_period_s=period / frequency if period else None,
        skip_hours=skip_hours_of(content),
    )


def next_allowed(when: float, skip_hours: frozenset[int]) -> float:
    """``when``, or the start of the next hour (GMT) that ``skip_hours`` does not skip."""
    if not skip_hours or len(skip_hours) >= 24:
        return when
    moment = datetime.fromtimestamp(when, tz=UTC)
    for step in range(25):
        hour = (moment.hour + step) % 24
        if hour not in skip_hours:
            if step == 0:
                return when
            start = moment.replace(minute=0, second=0, microsecond=0).timestamp()
            return start + step * 3600.0
    return when


def hours_text(hours: frozenset[int]) -> str:
    """Skip hours as stored in the poller's state (``"1,2,3"``)."""
    return ",".join(str(h) for h in sorted(hours))


def hours_from_text(text: str | None) -> frozenset[int]:
    if not text:
        return frozenset()
    return frozenset(int(h) for h in text.split(",") if h.strip().isdigit() and int(h) < 24)
