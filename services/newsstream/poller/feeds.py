"""Feeds: parsing (feedparser over bytes we fetched ourselves) and the polling schedule.

Both halves are pure. Parsing turns RSS 2.0 / RSS 1.0 / Atom bytes into :class:`FeedEntry`
values with absolute links; scheduling decides when a feed is due again, the way Media
Cloud's feed fetcher does: a base interval with jitter, exponential backoff while a feed
fails, ``Retry-After`` honoured, and a longer interval for feeds that rarely change.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from newsstream.errors import FeedError
from newsstream.outlets.politeness import FeedHints, feed_hints

#: A feed counts as failing (metrics gauge, warning log) after this many failures in a row.
FAILING_AFTER = 3
#: Unchanged polls stretch the interval by this factor, up to the maximum.
ADAPTIVE_FACTOR = 1.5
JITTER = 0.1
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
#: Caps on entry text: a feed is a list of teasers, never a book per entry.
MAX_TITLE_CHARS = 1_000
MAX_SUMMARY_CHARS = 100_000
MAX_PROLOG_BYTES = 64 * 1024
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(\[[^\]]*\])?\s*>", re.IGNORECASE)
#: ``&#xD800;`` ... ``&#xDFFF;`` and their decimal forms 55296 ... 57343.
_SURROGATE_REF = re.compile(
    rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}"
    rb"|0*(?:5529[6-9]|55[3-9][0-9]{2}|56[0-9]{3}|57[0-2][0-9]{2}|573[0-3][0-9]|5734[0-3]));"
)


@dataclass(frozen=True)
class FeedEntry:
    """One feed item, links made absolute, text stripped of markup."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        """What the feed says about the article; the GUID is left out on purpose.

        Feeds that rotate GUIDs on every build would otherwise look changed on every poll.
        """
        when = self.updated or self.published
        stamp = when.isoformat() if when else ""
        raw = "\x1f".join((self.link or "", self.title, self.summary, stamp))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def oldest_first(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """The order to handle a feed's entries in: the longest-waiting article first.

    Dated entries go oldest first; undated ones follow in reverse feed order (feeds list
    their newest item first). A round's articles become ready one by one (the poller's CPU
    thread takes them in this order), so the article published earliest is not the one kept
    waiting for all the others.
    """
    newest_last = list(reversed(entries))  # ties (dates to the second) keep this order
    dated = [e for e in newest_last if (e.updated or e.published) is not None]
    undated = [e for e in newest_last if (e.updated or e.published) is None]
    dated.sort(key=lambda e: e.updated or e.published or datetime.min.replace(tzinfo=UTC))
    return dated + undated


@dataclass
class ParsedFeed:
    title: str
    entries: list[FeedEntry]
    version: str
    #: Problems that did not stop parsing (feedparser "bozo", entries without link, duplicates).
    problems: list[str] = field(default_factory=list)
    #: The feed's own scheduling hints (``ttl``, ``sy:updatePeriod``, ``skipHours``).
    hints: FeedHints = field(default_factory=FeedHints)
    #: The channel's declared language (``<language>de-de</language>`` -> ``de``), if any.
    language: str | None = None


def _text(value: str | None) -> str:
    if not value:
        return ""
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", value))).strip()


def _when(entry: Any, key: str) -> datetime | None:
    """The entry's date, or None when the feed's date cannot be a real one (year 10000)."""
    parsed = entry.get(f"{key}_parsed")
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (ValueError, OverflowError, OSError, TypeError):
        return None


def _absolute(link: str | None, base: str) -> str | None:
    """An absolute http(s) URL with a host, or None (an entry without a usable link)."""
    if not link or not link.strip():
        return None
    try:
        absolute = urljoin(base, link.strip())
        parts = urlsplit(absolute)
        _ = parts.port  # raises on a malformed port or IPv6 literal
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def _entry(raw: Any, base: str) -> FeedEntry:
    link = _absolute(raw.get("link"), base)
    guid = raw.get("id") or None
    if link is None and guid and raw.get("guidislink", False):
        link = _absolute(guid, base)
    summary = raw.get("summary") or ""
    if not summary and raw.get("content"):
        summary = raw["content"][0].get("value", "")
    authors = tuple(a.get("name", "") for a in raw.get("authors", []) if a.get("name"))
    return FeedEntry(
        guid=guid,
        link=link,
        title=_text(raw.get("title"))[:MAX_TITLE_CHARS],
        summary=_text(summary)[:MAX_SUMMARY_CHARS],
        published=_when(raw, "published"),
        updated=_when(raw, "updated"),
        authors=authors,
        categories=tuple(t.get("term", "") for t in raw.get("tags", []) if t.get("term")),
    )


def _looks_like_html(content: bytes, content_type: str | None) -> bool:
    head = content[:512].lstrip().lower()
    return (content_type or "").lower().startswith("text/html") or head.startswith(
        (b"<!doctype html", b"<html")
    )


def defuse(content: bytes) -> bytes:
    """Feed bytes made safe for feedparser, or :class:`FeedError` for a hostile document.

    * An internal ``<!ENTITY`` declaration is refused: feedparser's loose parser expands
      entities without limit (a 16 KB "billion laughs" feed became 20 million characters).
      Real feeds never declare entities; a ``DOCTYPE`` without them is dropped harmlessly.
    * Character references to UTF-16 surrogates (``&#xD800;``) are replaced by U+FFFD: they
      name no character and made feedparser raise ``UnicodeEncodeError`` for the whole feed.
    """
    head = content[:MAX_PROLOG_BYTES]
    if _ENTITY_DECL.search(head) or _ENTITY_DECL.search(content):
        raise FeedError("feed declares XML entities (refused: entity expansion)", kind="entities")
    content = _DOCTYPE.sub(b"", content, count=1)
    return _SURROGATE_REF.sub(b"&#xFFFD;", content)


def parse_feed(content: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse feed bytes; raise :class:`FeedError` when they hold no usable feed."""
    content = defuse(content)
    # Without a content type feedparser flags every document as bozo; XML is the neutral guess.
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    try:
        parsed = feedparser.parse(content, response_headers=headers, sanitize_html=False)
    except Exception as exc:  # a parser crash on hostile bytes is a bad feed, not our bug
        raise FeedError(f"{url}: feed parser failed: {exc!r}"[:300], kind="parser_crash") from exc
    problems: list[str] = []
    if parsed.get("bozo"):
        problems.append(f"bozo: {parsed.get('bozo_exception')!s:.200}")
    if not parsed.get("version"):
        if _looks_like_html(content, content_type):
            raise FeedError(f"{url} served HTML, not a feed", kind="not_a_feed")
        if not parsed.entries:
            raise FeedError(f"{url} is not a parseable feed: {problems}", kind="malformed_feed")
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    guids: set[str] = set()
    for raw in parsed.entries:
        try:
            entry = _entry(raw, url)
        except Exception as exc:  # one entry we cannot read never blocks the feed
            problems.append(f"entry invalid: {exc!r}"[:200])
            continue
        if entry.guid and entry.guid in guids and entry.link not in seen:
            # Same GUID, different link: a CMS bug. Articles are keyed by URL, so keep both.
            problems.append(f"duplicate guid: {entry.guid}")
        if entry.guid:
            guids.add(entry.guid)
        if entry.link is None:
            problems.append(f"entry without link: {entry.title[:80]!r}")
            entries.append(entry)
            continue
        if entry.link in seen:
            problems.append(f"duplicate entry: {entry.link}")
            continue
        seen.add(entry.link)
        entries.append(entry)
    declared = str(parsed.feed.get("language") or "").strip().lower()
    return ParsedFeed(
        title=_text(parsed.feed.get("title")),
        entries=entries,
        version=str(parsed.get("version") or ""),
        problems=problems,
        hints=feed_hints(content, parsed.feed),
        language=re.split(r"[-_]", declared)[0][:3] or None if declared else None,
    )


# --- schedule -------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedSchedule:
    """When a feed is due, and the history that decides it."""

    interval_s: float
    next_due: float = 0.0
    failures: int = 0
    unchanged: int = 0

    @property
    def failing(self) -> bool:
        return self.failures >= FAILING_AFTER


def _jitter(seconds: float, rng: random.Random) -> float:
    return seconds * (1.0 + rng.uniform(-JITTER, JITTER))


def after_success(
    sched: FeedSchedule,
    *,
    changed: bool,
    now: float,
    base_s: float,
    max_s: float,
    rng: random.Random,
) -> FeedSchedule:
    """A poll worked: back to the base interval if it changed, stretch it if not (adaptive)."""
    interval = base_s if changed else min(max_s, max(base_s, sched.interval_s) * ADAPTIVE_FACTOR)
    return replace(
        sched,
        interval_s=interval,
        next_due=now + _jitter(interval, rng),
        failures=0,
        unchanged=0 if changed else sched.unchanged + 1,
    )


def while_polling(
    sched: FeedSchedule, *, now: float, base_s: float, rng: random.Random
) -> FeedSchedule:
    """A poll has read a new document of the feed and is still handling its entries: the
    feed is busy, so it is due again one base interval after this poll began, however long
    the entries take and however far a quiet spell had stretched the interval (the interval
    itself is adapted when the poll ends)."""
    return replace(sched, next_due=now + _jitter(base_s, rng))


def after_failure(
    sched: FeedSchedule,
    *,
    now: float,
    base_s: float,
    max_s: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> FeedSchedule:
    """A poll failed: exponential backoff, never sooner than the server's ``Retry-After``."""
    failures = sched.failures + 1
    delay = min(max_s, base_s * 2 ** min(failures, 16))
    delay = _jitter(delay, rng)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 24 * 3600.0))
    return replace(sched, next_due=now + delay, failures=failures)
