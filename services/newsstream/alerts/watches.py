"""Watches as data: names, notify targets, the webhook address rules and the stored query (pure).

A watch is stored (``news-watches``) together with the Elasticsearch query that
``newsstream search`` would run for the same criteria: the speaker and entity clauses are
:func:`newsstream.search.speaker_filter` / :func:`~newsstream.search.entity_filter`
themselves, so a live alert, ``watch test`` and ``newsstream search --speaker/--entity`` can
only disagree if the index does. Every criterion given must hold (AND).

Matching happens on article documents; a watch with a speaker also looks up the speaker's
quotation documents of the matched articles, which are what its alerts report.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, Field

from newsstream.errors import BlockedWebhookError, WatchInvalidError
from newsstream.poller.guard import embedded_ipv4
from newsstream.search import entity_filter, speaker_filter

#: Fields ``--query`` searches: the article's title, teaser and body (the body holds the
#: quotations: each one is a span of it).
QUERY_FIELDS = ["title", "teaser", "body"]
#: A name is a handle on the command line and in alert payloads: short, no spaces.
NAME_RE = re.compile(r"^[\w][\w.\-]{0,63}$")
EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
TARGET_KINDS = ("webhook", "console", "email")


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise WatchInvalidError(
            f"watch name {name!r} refused: 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_address(ip: str, *, deny_private: bool) -> None:
    """Refuse link-local (cloud metadata services live there), multicast, unspecified and
    reserved addresses always; private and loopback ones only with ``deny_private``.

    An IPv6 address that carries an IPv4 one (``::ffff:169.254.169.254``) is judged by both.
    """
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    inner = embedded_ipv4(addr) if isinstance(addr, ipaddress.IPv6Address) else None
    for candidate in (addr, inner):
        if candidate is None:
            continue
        if (
            candidate.is_link_local
            or candidate.is_multicast
            or candidate.is_unspecified
            or (candidate.is_reserved and not candidate.is_loopback)
        ):
            raise BlockedWebhookError(f"webhook address {addr} is link-local or reserved")
        if deny_private and not candidate.is_global:
            raise BlockedWebhookError(
                f"webhook address {addr} is private or loopback (NEWSSTREAM_ALERT_DENY_PRIVATE)"
            )


def check_webhook_url(url: str, *, deny_private: bool = False) -> tuple[str, int]:
    """``(host, port)`` of an http(s) webhook URL; an IP literal is checked here, a host name
    at every delivery (after resolving it)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedWebhookError(f"malformed webhook URL {url!r}") from exc
    if parts.scheme not in ("http", "https"):
        raise BlockedWebhookError(
            f"webhook scheme {parts.scheme or '(none)'!r} refused: only http and https"
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BlockedWebhookError(f"webhook URL without a host: {url!r}")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass  # a name: resolved and checked when delivering
    else:
        check_address(host, deny_private=deny_private)
    return host, port or (443 if parts.scheme == "https" else 80)


def parse_target(text: str, *, deny_private: bool = False) -> str:
    """``webhook:URL``, ``console`` or ``email:ADDRESS``, checked; returns it normalised."""
    kind, sep, value = text.strip().partition(":")
    kind = kind.lower()
    if kind == "console" and not value:
        return "console"
    if kind == "webhook" and sep:
        check_webhook_url(value.strip(), deny_private=deny_private)
        return f"webhook:{value.strip()}"
    if kind == "email" and EMAIL_RE.match(value.strip()):
        return f"email:{value.strip()}"
    raise WatchInvalidError(
        f"notify target {text!r} refused: use webhook:URL, console or email:ADDRESS"
    )


def articles_query(
    *, speaker: str | None, entities: list[str], query: str | None, outlet: str | None
) -> dict[str, Any]:
    """The watch's query on article documents: every given criterion must hold."""
    filters: list[dict[str, Any]] = []
    if speaker:
        filters.append(speaker_filter(speaker, quotes=False))
    filters.extend(entity_filter(name, quotes=False) for name in entities)
    if query:
        filters.append(
            {
                "query_string": {
                    "query": query,
                    "fields": QUERY_FIELDS,
                    "default_operator": "AND",
                    "quote_field_suffix": ".exact",
                }
            }
        )
    if outlet:
        # A term on a field the index lacks matches nothing, which is right until articles
        # carry their outlet.
        filters.append({"term": {"outlet": {"value": outlet.strip(), "case_insensitive": True}}})
    if not filters:
        raise WatchInvalidError("a watch needs --speaker, --entity, --query or --outlet")
    return {"bool": {"filter": filters}}


def quotes_query(speaker: str | None) -> dict[str, Any] | None:
    """The speaker's quotation documents (what a speaker watch reports), or None."""
    return speaker_filter(speaker, quotes=True) if speaker else None


def watch_id_for(name: str, created_at: datetime) -> str:
    """A watch removed and added again under the same name is a new watch (it alerts again)."""
    return hashlib.sha256(f"{name}\n{created_at.isoformat()}".encode()).hexdigest()[:16]


class Watch(BaseModel):
    """A stored watch: criteria, targets, the HMAC secret and the query as run."""

    name: str
    watch_id: str
    speaker: str | None = None
    entities: list[str] = Field(default_factory=list)
    query: str | None = None
    outlet: str | None = None
    notify: list[str] = Field(default_factory=list)
    #: Key of the ``X-Newsstream-Signature`` HMAC of this watch's webhook bodies.
    secret: str = ""
    created_at: AwareDatetime
    articles_query: dict[str, Any]
    quotes_query: dict[str, Any] | None = None

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def public(self) -> dict[str, Any]:
        """What ``watch list --json`` prints (the secret included: receivers need it)."""
        return self.model_dump(mode="json", exclude={"articles_query", "quotes_query"})


def new_watch(
    name: str,
    *,
    speaker: str | None = None,
    entities: list[str] | None = None,
    query: str | None = None,
    outlet: str | None = None,
    notify: list[str] | None = None,
    secret: str,
    created_at: datetime,
    deny_private: bool = False,
) -> Watch:
    """A checked watch (name, targets, at least one criterion) with its queries built."""
    check_name(name)
    names = [" ".join(e.split()) for e in entities or [] if e.strip()]
    targets = [parse_target(t, deny_private=deny_private) for t in notify or []]
    speaker = " ".join(speaker.split()) if speaker and speaker.strip() else None
    query = query.strip() if query and query.strip() else None
    outlet = outlet.strip() if outlet and outlet.strip() else None
    return Watch(
        name=name,
        watch_id=watch_id_for(name, created_at),
        speaker=speaker,
        entities=names,
        query=query,
        outlet=outlet,
        notify=list(dict.fromkeys(targets)),
        secret=secret,
        created_at=created_at,
        articles_query=articles_query(speaker=speaker, entities=names, query=query, outlet=outlet),
        quotes_query=quotes_query(speaker),
    )
