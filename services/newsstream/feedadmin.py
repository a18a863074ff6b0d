"""What ``newsstream feeds ...`` does, as plain functions (the CLI only parses and prints).

``list`` joins the configured feeds with the poller's own record of them (its SQLite state:
last success, last error, failures in a row, next poll), so "is this outlet healthy?" has
one answer, the poller's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from newsstream.errors import FeedsFileError
from newsstream.outlets.config import FeedConfig, merge_feeds, parse_feeds_yaml
from newsstream.outlets.files import (
    configured_feeds,
    editable_feeds,
    feeds_path,
    write_feeds_file,
)
from newsstream.outlets.opml import parse_opml
from newsstream.settings import Settings


@dataclass(frozen=True)
class FeedRow:
    """One line of ``feeds list``: configuration and health (times are Unix seconds)."""

    url: str
    outlet: str
    enabled: bool
    interval_s: float
    language: str | None
    hosts: list[str]
    last_success: float | None
    last_error: str | None
    last_error_at: float | None
    failures: int
    next_poll: float | None
    #: What the feed itself asks for (``ttl``/``sy:updatePeriod``), 0 when nothing.
    feed_floor_s: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def list_feeds(settings: Settings) -> tuple[str, list[FeedRow]]:
    """(where the feeds come from, one row per configured feed with its health)."""
    from newsstream.poller.state import PollerState

    feed_set = configured_feeds(settings)
    state = PollerState(settings.state_dir)
    try:
        health = state.feed_health()
    finally:
        state.close()
    rows = []
    for feed in feed_set.feeds:
        h = health.get(feed.url)
        rows.append(
            FeedRow(
                url=feed.url,
                outlet=feed.outlet,
                enabled=feed.enabled,
                interval_s=max(feed.interval or settings.poll_interval_s, h.floor_s if h else 0),
                language=feed.language,
                hosts=sorted(feed.article_hosts()),
                last_success=h.last_success if h else None,
                last_error=h.last_error if h else None,
                last_error_at=h.last_error_at if h else None,
                failures=h.failures if h else 0,
                next_poll=h.next_due if h and feed.enabled else None,
                feed_floor_s=h.floor_s if h else 0.0,
            )
        )
    return feed_set.origin, rows


def add_feed(settings: Settings, feed: FeedConfig) -> Path:
    """Append ``feed`` to the feeds file; a URL already there is an error (exit 2)."""
    path, feeds = editable_feeds(settings)
    merged, added = merge_feeds(feeds, [feed])
    if not added:
        raise FeedsFileError(f"{feed.url} is already in {path}", fix="remove it first to change it")
    write_feeds_file(path, merged)
    return path


def remove_feed(settings: Settings, url: str) -> tuple[Path, FeedConfig]:
    """Remove the feed with ``url`` (compared canonically) from the feeds file."""
    path, feeds = editable_feeds(settings)
    probe = FeedConfig(url=url, outlet="-")
    kept = [f for f in feeds if f.key != probe.key]
    removed = [f for f in feeds if f.key == probe.key]
    if not removed:
        raise FeedsFileError(
            f"{url} is not in {path}", fix="`newsstream feeds list` shows the configured feeds"
        )
    write_feeds_file(path, kept)
    return path, removed[0]


def import_opml(
    settings: Settings, source: Path, *, language: str | None = None
) -> tuple[Path, list[FeedConfig], int]:
    """Add every feed of an OPML file not yet configured: (file, added, already there)."""
    try:
        content = source.read_bytes()
    except OSError as exc:
        from newsstream.errors import OpmlError

        raise OpmlError(f"cannot read {source}: {exc.strerror or exc}") from exc
    new = parse_opml(content, language=language)
    path, feeds = editable_feeds(settings)
    merged, added = merge_feeds(feeds, new)
    if added:
        write_feeds_file(path, merged)
    return path, added, len(new) - len(added)


def validate_file(settings: Settings, file: Path | None = None) -> tuple[Path, list[FeedConfig]]:
    """Check a feeds file (default: the configured one); FeedsFileError lists every problem."""
    path = file or feeds_path(settings)
    if file is None and settings.feeds_file is None and not path.exists():
        from newsstream.outlets.files import DEFAULT_FEEDS_FILE

        path = DEFAULT_FEEDS_FILE  # no file of one's own yet: the defaults are what runs
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FeedsFileError(f"no feeds file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsFileError(f"cannot read {path}: {exc}") from exc
    feeds, problems = parse_feeds_yaml(text)
    if problems:
        lines = [f"{path}:{p.line}: {p.reason}" if p.line else f"{path}: {p.reason}"
                 for p in problems]  # fmt: skip
        raise FeedsFileError(f"{len(problems)} problem(s) in {path}", problems=lines)
    return path, feeds
