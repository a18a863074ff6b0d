"""The feeds file (``feeds.yaml``): one entry per feed, validated with line numbers (pure).

Why a file and not more environment variables: each outlet needs its own display name,
poll-interval floor, article hosts, language and sometimes user agent, and monitoring many
outlets means editing that list often (``newsstream feeds add/remove/import-opml``).
A mistake in it must name the line and the reason, never surface as a stack trace in the
poller, so parsing keeps YAML's node marks and reports every problem at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newsstream.errors import FeedsFileError
from newsstream.messages import canonicalize_url

#: Keys a feed entry may have (anything else is a typo worth an error, not a silent default).
FEED_KEYS = ("url", "outlet", "interval", "hosts", "language", "user_agent", "enabled")
TOP_KEYS = ("version", "feeds")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


def parse_duration(value: object) -> float:
    """Seconds from ``90``, ``"90s"``, ``"5m"``, ``"1h"``; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a duration, not true/false")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"not a duration: {value!r} (use 300, '5m' or '1h')")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 1:
        raise ValueError("an interval of at least 1 second")
    return seconds


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class FeedConfig(BaseModel):
    """One feed: where, whose, how often at most, which article hosts, language, user agent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    #: The outlet's display name ("BR24", "tagesschau"): a facet in search and Kibana.
    outlet: str = Field(min_length=1, max_length=200)
    #: Floor of the poll interval in seconds (None: ``NEWSSTREAM_POLL_INTERVAL_S``).
    interval: float | None = None
    #: Hosts this feed's articles may be fetched from, besides the feed's own host.
    #: ``*.example.de`` allows every subdomain of example.de.
    hosts: tuple[str, ...] = ()
    #: The language the outlet writes in (ISO 639-1); used when detection is unsure.
    language: str | None = None
    user_agent: str | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @field_validator("outlet")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("an outlet name must not be empty")
        return value.strip()

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return None if value is None else parse_duration(value)

    @field_validator("hosts", mode="before")
    @classmethod
    def _hosts(cls, value: object) -> object:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValueError("a list of host names")
        hosts = [str(h).strip().lower().rstrip(".") for h in items]
        bad = [h for h in hosts if not _HOST.match(h)]
        if bad:
            raise ValueError(f"not a host name: {bad[0]!r} (no scheme, no path)")
        return tuple(dict.fromkeys(hosts))

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().lower()
        if not re.fullmatch(r"[a-z]{2,3}", code):
            raise ValueError(f"an ISO 639-1 code such as 'de', not {value!r}")
        return code

    @property
    def host(self) -> str:
        return host_of(self.url)

    @property
    def key(self) -> str:
        """Identity of a feed for duplicates and state: its canonical URL."""
        return canonicalize_url(self.url)

    def article_hosts(self, extra: frozenset[str] = frozenset()) -> frozenset[str]:
        """Hosts this feed's article pages may come from (own host, ``hosts``, ``extra``)."""
        return frozenset({self.host, *self.hosts, *extra})

    def to_yaml_dict(self) -> dict[str, Any]:
        """The entry as written back to the file (defaults left out, order kept)."""
        out: dict[str, Any] = {"url": self.url, "outlet": self.outlet}
        if self.interval is not None:
            out["interval"] = int(self.interval) if self.interval.is_integer() else self.interval
        if self.hosts:
            out["hosts"] = list(self.hosts)
        if self.language:
            out["language"] = self.language
        if self.user_agent:
            out["user_agent"] = self.user_agent
        if not self.enabled:
            out["enabled"] = False
        return out


def outlet_for_url(url: str) -> str:
    """A display name for a feed given only by URL: its host without ``www.``/``rss.``."""
    host = host_of(url)
    for prefix in ("www.", "rss.", "feeds.", "newsfeed.", "nachrichtenfeeds."):
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host or url


def feeds_from_urls(urls: list[str], language: str | None = None) -> list[FeedConfig]:
    """``NEWSSTREAM_FEEDS`` / ``--feed`` URLs as feed entries (outlet named after the host)."""
    return [FeedConfig(url=u, outlet=outlet_for_url(u), language=language) for u in urls]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a feeds file: 1-based line (0 = unknown) and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def _key_nodes(node: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _entry_problems(index: int, raw: object, node: yaml.Node) -> tuple[FeedConfig | None, list]:
    keys = _key_nodes(node)
    if not isinstance(raw, dict):
        return None, [Problem(_line(node), f"feed {index + 1}: expected a mapping (url: ...)")]
    problems = [
        Problem(_line(keys[k][0]), f"unknown key {k!r} (known: {', '.join(FEED_KEYS)})")
        for k in raw
        if k not in FEED_KEYS
    ]
    if problems:
        return None, problems
    try:
        return FeedConfig.model_validate(raw), []
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            where = keys.get(field, (node, node))[1] if field in keys else node
            what = f"{field}: " if field else ""
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(Problem(_line(where), f"{what}{message}"))
        return None, problems


def parse_feeds_yaml(text: str) -> tuple[list[FeedConfig], list[Problem]]:
    """Feeds and problems of a feeds file's text; never raises for bad input."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        return [], [Problem(line, f"not valid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return [], [Problem(0, f"not valid YAML: {exc}")]
    if data is None:
        return [], [Problem(1, "the file is empty (expected 'feeds:' with a list)")]
    if not isinstance(data, dict) or root is None:
        return [], [Problem(_line(root), "expected a mapping with the key 'feeds'")]
    top = _key_nodes(root)
    problems = [
        Problem(_line(top[k][0]), f"unknown key {k!r} (known: {', '.join(TOP_KEYS)})")
        for k in data
        if k not in TOP_KEYS
    ]
    raw_feeds, node = data.get("feeds"), top.get("feeds", (root, root))[1]
    if not isinstance(raw_feeds, list) or not isinstance(node, yaml.SequenceNode):
        return [], [*problems, Problem(_line(node), "'feeds' must be a list of feeds")]
    feeds: list[FeedConfig] = []
    first_line: dict[str, int] = {}
    for index, (raw, item) in enumerate(zip(raw_feeds, node.value, strict=True)):
        feed, found = _entry_problems(index, raw, item)
        problems.extend(found)
        url = raw.get("url") if isinstance(raw, dict) else None
        if not isinstance(url, str) or not url.strip():
            continue
        # duplicates are found among invalid entries too: one run shows every problem
        key, line = canonicalize_url(url), _line(_key_nodes(item).get("url", (item, item))[1])
        if key in first_line:
            problems.append(
                Problem(line, f"duplicate feed {url.strip()} (first on line {first_line[key]})")
            )
            continue
        first_line[key] = line
        if feed is not None:
            feeds.append(feed)
    problems.sort(key=lambda p: p.line)
    return feeds, problems


def load_feeds_yaml(text: str, name: str = "feeds.yaml") -> list[FeedConfig]:
    """The feeds of a file, or :class:`FeedsFileError` listing every problem with its line."""
    feeds, problems = parse_feeds_yaml(text)
    if problems:
        detail = "; ".join(f"{name}:{p.line}: {p.reason}" if p.line else p.reason
                           for p in problems[:20])  # fmt: skip
        raise FeedsFileError(detail, problems=[str(p) for p in problems])
    return feeds


HEADER = """\
# newsstream feeds file: one entry per feed (docs/outlets.md).
#   url        the feed (RSS or Atom)                 required
#   outlet     display name, a facet in search/Kibana required
#   interval   poll at most this often: 300, 5m, 1h   default NEWSSTREAM_POLL_INTERVAL_S
#   hosts      other hosts its article pages live on  default: only the feed's host
#   language   ISO 639-1, used when detection is unsure
#   user_agent a User-Agent for this outlet only
#   enabled    false keeps the entry but does not poll it
"""


def dump_feeds_yaml(feeds: list[FeedConfig], header: str = HEADER) -> str:
    """The file text for ``feeds`` (what ``feeds add/remove/import-opml`` write)."""
    body = yaml.safe_dump(
        {"version": 1, "feeds": [f.to_yaml_dict() for f in feeds]},
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return header + body


def merge_feeds(current: list[FeedConfig], new: list[FeedConfig]) -> tuple[list, list]:
    """``current`` plus the feeds of ``new`` not yet there: (merged, added)."""
    keys = {f.key for f in current}
    added = []
    for feed in new:
        if feed.key not in keys:
            keys.add(feed.key)
            added.append(feed)
    return [*current, *added], added


def host_allowed(host: str, allowed: frozenset[str]) -> bool:
    """``host`` is in ``allowed`` exactly, or under one of its ``*.domain`` entries."""
    if host in allowed:
        return True
    return any(a.startswith("*.") and host.endswith(a[1:]) for a in allowed)
