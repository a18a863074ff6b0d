"""robots.txt decisions (pure): what an answer for ``/robots.txt`` means for article pages.

newsstream reads each feed because the outlet publishes it for readers like us; the article
pages behind it are another matter, and a site that says ``Disallow`` for them is honoured
(the feed's own text is published instead). The rules follow RFC 9309 as Google and Scrapy
apply it, with Scrapy's maintained parser (``protego``):

* 2xx: the rules; only the first :data:`MAX_ROBOTS_BYTES` are read (the RFC's minimum is
  500 KiB; a 5 MB file is cut there, and what was read still counts);
* an HTML page instead of rules (a CMS's "not found" page served with 200): no rules;
* 4xx (404, 410, even 401/403): "unavailable", everything allowed;
* 5xx or unreachable: "unreachable", everything **disallowed** for a short while.
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

MAX_ROBOTS_BYTES = 512 * 1024
#: How long a robots.txt is trusted (RFC 9309: should not be used for more than 24 hours).
ROBOTS_TTL_S = 24 * 3600.0
#: An unreachable robots.txt is asked again this soon.
UNREACHABLE_TTL_S = 15 * 60.0


@dataclass(frozen=True)
class RobotsPolicy:
    """The rules of one host; ``note`` says why when the rules are not the file's own."""

    parser: Protego | None
    allow_all: bool = False
    disallow_all: bool = False
    #: "", "unavailable", "unreachable", "html", "invalid", "truncated".
    note: str = ""
    ttl_s: float = ROBOTS_TTL_S

    def can_fetch(self, url: str, user_agent: str) -> bool:
        if self.disallow_all:
            return False
        if self.allow_all or self.parser is None:
            return True
        try:
            return bool(self.parser.can_fetch(url, user_agent))
        except Exception:  # a rule protego cannot apply must not stop the poller
            return True


ALLOW_ALL = RobotsPolicy(None, allow_all=True, note="unavailable")
UNREACHABLE = RobotsPolicy(None, disallow_all=True, note="unreachable", ttl_s=UNREACHABLE_TTL_S)


def _looks_like_html(content: bytes, content_type: str | None) -> bool:
    head = content[:1024].lstrip().lower()
    return (content_type or "").lower().startswith("text/html") or head.startswith(
        (b"<!doctype", b"<html", b"<head", b"<body")
    )


def policy_for(
    status: int | None,
    content: bytes = b"",
    content_type: str | None = None,
    *,
    truncated: bool = False,
) -> RobotsPolicy:
    """The policy for an answer to ``/robots.txt`` (``status`` None: no answer at all)."""
    if status is None or status >= 500:
        return UNREACHABLE
    if status >= 400:
        return ALLOW_ALL
    if status >= 300:  # redirects were followed already; a leftover one is "unavailable"
        return ALLOW_ALL
    if _looks_like_html(content, content_type):
        return RobotsPolicy(None, allow_all=True, note="html")
    content = content[:MAX_ROBOTS_BYTES]
    if truncated and b"\n" in content:
        content = content[: content.rindex(b"\n")]  # a cut line is no rule
    text = content.decode("utf-8", "replace").lstrip("\ufeff")
    try:
        parser = Protego.parse(text)
    except Exception:
        return RobotsPolicy(None, allow_all=True, note="invalid")
    return RobotsPolicy(parser, note="truncated" if truncated else "")


def robots_url(page_url: str) -> str:
    """``https://host[:port]/robots.txt`` for a page URL."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(page_url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
