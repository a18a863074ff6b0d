"""Which feeds to poll, and the feeds file on disk.

Precedence, highest first: ``--feed URL`` on the command line; ``NEWSSTREAM_FEEDS`` (the
comma-separated list of old, still honoured); the feeds file (``NEWSSTREAM_FEEDS_FILE``,
default ``<NEWSSTREAM_STATE_DIR>/feeds.yaml``) when it exists; newsstream's default file
(``default_feeds.yaml`` in this package). ``feeds add/remove/import-opml`` write the feeds
file, starting from the default one when there is none yet.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from newsstream.errors import FeedsFileError
from newsstream.outlets.config import FeedConfig, dump_feeds_yaml, feeds_from_urls, load_feeds_yaml
from newsstream.settings import Settings

DEFAULT_FEEDS_FILE = Path(__file__).with_name("default_feeds.yaml")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedSet:
    """The configured feeds (enabled or not) and where they came from."""

    feeds: list[FeedConfig]
    origin: str

    @property
    def active(self) -> list[FeedConfig]:
        return [f for f in self.feeds if f.enabled]


def feeds_path(settings: Settings) -> Path:
    """The feeds file newsstream reads and ``feeds add`` writes."""
    return settings.feeds_file or settings.state_dir / "feeds.yaml"


def read_feeds_file(path: Path) -> list[FeedConfig]:
    """The feeds of ``path``; :class:`FeedsFileError` (with lines) when it is not usable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FeedsFileError(
            f"no feeds file at {path}", fix="create it: `newsstream feeds add`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsFileError(f"cannot read {path}: {exc}") from exc
    return load_feeds_yaml(text, str(path))


def configured_feeds(settings: Settings) -> FeedSet:
    """The feeds to poll under ``settings`` (see the module docstring for the order)."""
    if "feeds" in settings.model_fields_set:
        return FeedSet(feeds_from_urls(list(settings.feeds)), "NEWSSTREAM_FEEDS")
    path = feeds_path(settings)
    if settings.feeds_file is not None or path.exists():
        return FeedSet(read_feeds_file(path), str(path))
    return FeedSet(read_feeds_file(DEFAULT_FEEDS_FILE), "newsstream's default feeds")


def editable_feeds(settings: Settings) -> tuple[Path, list[FeedConfig]]:
    """The feeds file to edit and its feeds (the defaults when it does not exist yet)."""
    path = feeds_path(settings)
    if path.exists():
        return path, read_feeds_file(path)
    return path, read_feeds_file(DEFAULT_FEEDS_FILE)


class FeedsFileWatcher:
    """Notices when the feeds file changed (``feeds add`` while the poller runs).

    ``changed()`` returns the new active feeds once per change, or None; a file that became
    invalid is logged and ignored (the poller keeps the feeds it has, never stops).
    """

    def __init__(self, settings: Settings) -> None:
        self.path = feeds_path(settings)
        self._stamp = self._mtime()

    def _mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return None

    def changed(self) -> list[FeedConfig] | None:
        stamp = self._mtime()
        if stamp is None or stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            return [f for f in read_feeds_file(self.path) if f.enabled]
        except FeedsFileError as exc:
            log.error("feeds file changed but is not valid; keeping the feeds polled so far",
                      extra={"path": str(self.path), "problems": exc.problems[:10]})  # fmt: skip
            return None


def write_feeds_file(path: Path, feeds: list[FeedConfig]) -> None:
    """Replace ``path`` atomically (a poller reading it never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".feeds-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(dump_feeds_yaml(feeds))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
