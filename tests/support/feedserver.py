"""A real HTTP server on 127.0.0.1 serving feeds and article pages, for tests and benchmarks.

It serves the current set of articles as RSS 2.0 (``/feed.rss``), RSS 1.0 (``/feed.rdf``) and
Atom (``/feed.atom``) with ETag / Last-Modified and 304 answers, and each article as a
BR24-like page (``/nachrichten/<slug>``). Tests add bad inputs per path: latency, status
codes, redirects, gzip bombs, huge pages, raw bodies (malformed XML, HTML instead of a feed).
It counts requests per path and the maximum number of concurrent requests per Host header,
so a test can check the client's politeness from the server's side.

    server = FeedServer().start()
    server.add_article("a1", "Titel", ["Absatz eins.", "Absatz zwei."], quotes=[("Anna M.", "Ja.")])
    ... poll server.feed_url ...
    server.update_article("a1", body="Neuer Text.")
    server.stop()
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import html
import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.pages import PageSpec, http_date, render_article_page

FEED_PATHS = {"rss": "/feed.rss", "rdf": "/feed.rdf", "atom": "/feed.atom"}
_CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "rdf": "application/rdf+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}


@dataclass
class ServedArticle:
    slug: str
    spec: PageSpec
    guid: str
    modified: datetime
    #: "absolute", "relative" or "none": how the feed entry links to the page.
    link_style: str = "absolute"
    revision: int = 1


@dataclass
class Route:
    """A canned answer for one path (overrides the generated feeds and pages)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _quote_paragraphs(quotes: Sequence[tuple[str, str]]) -> list[str]:
    return [f'"{quote}", sagt {speaker}.' for speaker, quote in quotes]


def gzip_bomb(decompressed_bytes: int) -> bytes:
    """``decompressed_bytes`` of zeros, gzip-compressed (about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(decompressed_bytes // len(chunk))]
    parts.append(compressor.flush())
    return b"".join(parts)


class FeedServer:
    """Threaded HTTP server with an article store; see the module docstring."""

    def __init__(
        self, *, article_latency_s: float = 0.0, feed_title: str = "BR24 Testfeed"
    ) -> None:
        self.article_latency_s = article_latency_s
        self.feed_title = feed_title
        self.rotate_guids = False
        self.duplicate_entries = False
        #: Show only the newest this many entries (a real feed is a window, not an archive).
        self.feed_window: int | None = None
        self.articles: dict[str, ServedArticle] = {}
        self.routes: dict[str, Route] = {}
        self.latency: dict[str, float] = {}
        self.requests: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.max_concurrent: Counter[str] = Counter()
        #: When the feed was served in full (a 200, wall clock): a benchmark tells from it when
        #: the poller first read the feed after a burst was published.
        self.feed_reads: list[float] = []
        self._active: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._clock = datetime(2024, 5, 29, 12, 0, tzinfo=UTC)
        self._renders = 0
        self._feed_cache: dict[str, tuple[Any, bytes]] = {}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() would wait for ever on a server never started
            self._httpd.shutdown()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def feed_url(self) -> str:
        return self.base_url + FEED_PATHS["rss"]

    def feed_url_for(self, kind: str) -> str:
        return self.base_url + FEED_PATHS[kind]

    def url_for(self, slug: str) -> str:
        return f"{self.base_url}/nachrichten/{slug}"

    # --- content ------------------------------------------------------------------------

    def _tick(self) -> datetime:
        self._clock += timedelta(minutes=1)
        return self._clock

    def add_article(
        self,
        slug: str,
        title: str,
        body: str | Sequence[str],
        quotes: Sequence[tuple[str, str]] = (),
        *,
        teaser: str | None = None,
        authors: Sequence[str] = ("Anna Berichterstatterin",),
        charset: str = "utf-8",
        link_style: str = "absolute",
        spec: PageSpec | None = None,
    ) -> ServedArticle:
        """Add an article; ``body`` is paragraphs (a list, or one string split on blank lines)."""
        paragraphs = body.split("\n\n") if isinstance(body, str) else list(body)
        now = self._tick()
        if spec is None:
            spec = PageSpec(
                title=title,
                teaser=teaser if teaser is not None else f"Worum es in {title} geht, kurz gesagt.",
                paragraphs=paragraphs + _quote_paragraphs(quotes),
                authors=list(authors),
                published=now,
                charset=charset,
            )
        spec.url = self.url_for(slug)
        with self._lock:
            article = ServedArticle(slug, spec, guid=f"urn:test:{slug}", modified=now)
            article.link_style = link_style
            self.articles[slug] = article
        return article

    def update_article(
        self,
        slug: str,
        *,
        title: str | None = None,
        body: str | Sequence[str] | None = None,
        quotes: Sequence[tuple[str, str]] | None = None,
        teaser: str | None = None,
    ) -> ServedArticle:
        """Change an article; its modification time (page, feed entry) moves forward."""
        with self._lock:
            article = self.articles[slug]
            spec = article.spec
            if title is not None:
                spec.title = title
            if teaser is not None:
                spec.teaser = teaser
            if body is not None:
                paragraphs = body.split("\n\n") if isinstance(body, str) else list(body)
                spec.paragraphs = paragraphs + _quote_paragraphs(quotes or ())
            article.modified = self._tick()
            spec.modified = article.modified
            article.revision += 1
        return article

    def remove_article(self, slug: str) -> None:
        with self._lock:
            self.articles.pop(slug, None)

    def add_route(
        self,
        path: str,
        *,
        status: int = 200,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve a canned answer at ``path``; returns its absolute URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(status, data, dict(headers or {}))
        return self.base_url + path

    def add_redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.add_route(path, status=status, headers={"Location": location})

    def add_gzip_bomb(self, path: str, decompressed_bytes: int = 100 * 1024 * 1024) -> str:
        return self.add_route(
            path,
            body=gzip_bomb(decompressed_bytes),
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        )

    def add_huge_page(self, path: str, size: int = 20 * 1024 * 1024) -> str:
        body = b"<html><body>" + b"<p>Viel Text.</p>" * (size // 17) + b"</body></html>"
        headers = {"Content-Type": "text/html", "Content-Encoding": "identity"}
        return self.add_route(path, body=body, headers=headers)

    def set_latency(self, path_prefix: str, seconds: float) -> None:
        self.latency[path_prefix] = seconds

    # --- rendering ----------------------------------------------------------------------

    def _entries(self) -> list[ServedArticle]:
        with self._lock:
            items = sorted(self.articles.values(), key=lambda a: a.modified, reverse=True)
        if self.feed_window is not None:
            items = items[: self.feed_window]
        return items + items[:1] if self.duplicate_entries else items

    def _link(self, article: ServedArticle) -> str | None:
        if article.link_style == "none":
            return None
        if article.link_style == "relative":
            return f"/nachrichten/{article.slug}"
        return self.url_for(article.slug)

    def _guid(self, article: ServedArticle) -> str:
        return f"{article.guid}:{self._renders}" if self.rotate_guids else article.guid

    def render_feed(self, kind: str) -> bytes:
        """The feed document now (cached while nothing changed, like a real CMS would)."""
        # Under the lock: a publisher thread adding articles meanwhile made this iteration fail
        # ("dictionary changed size during iteration"), and the feed request with it (a 500
        # that sent the poller into back-off and spoiled a latency benchmark).
        with self._lock:
            revisions = tuple((a.slug, a.revision, a.link_style) for a in self.articles.values())
        state = (kind, self.duplicate_entries, revisions)
        if not self.rotate_guids and self._feed_cache.get(kind, (None, b""))[0] == state:
            return self._feed_cache[kind][1]
        self._renders += 1
        entries = self._entries()
        body = {"rss": self._rss, "rdf": self._rdf, "atom": self._atom}[kind](entries).encode()
        self._feed_cache[kind] = (state, body)
        return body

    def _rss(self, entries: list[ServedArticle]) -> str:
        items = []
        for a in entries:
            link = self._link(a)
            items.append(
                "<item>"
                f"<title>{html.escape(a.spec.title)}</title>"
                + (f"<link>{html.escape(link)}</link>" if link else "")
                + f'<guid isPermaLink="false">{self._guid(a)}</guid>'
                f"<description>{html.escape(a.spec.teaser)}</description>"
                f"<pubDate>{http_date(a.modified)}</pubDate>"
                f"<category>{html.escape(a.spec.section)}</category>"
                "</item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{html.escape(self.feed_title)}</title><link>{self.base_url}/</link>"
            "<description>Testfeed</description><language>de</language>"
            + "".join(items)
            + "</channel></rss>"
        )

    def _rdf(self, entries: list[ServedArticle]) -> str:
        items = "".join(
            f'<item rdf:about="{html.escape(self._link(a) or self._guid(a))}">'
            f"<title>{html.escape(a.spec.title)}</title>"
            + (f"<link>{html.escape(link)}</link>" if (link := self._link(a)) else "")
            + f"<description>{html.escape(a.spec.teaser)}</description>"
            f"<dc:date>{a.modified.isoformat()}</dc:date></item>"
            for a in entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="{self.base_url}/"><title>{html.escape(self.feed_title)}</title>'
            f"<link>{self.base_url}/</link><description>Testfeed</description></channel>"
            + items
            + "</rdf:RDF>"
        )

    def _atom(self, entries: list[ServedArticle]) -> str:
        items = "".join(
            f"<entry><title>{html.escape(a.spec.title)}</title>"
            + (
                f'<link rel="alternate" href="{html.escape(link)}"/>'
                if (link := self._link(a))
                else ""
            )
            + f"<id>{self._guid(a)}</id><updated>{a.modified.isoformat()}</updated>"
            f"<summary>{html.escape(a.spec.teaser)}</summary>"
            f"<author><name>{html.escape(', '.join(a.spec.authors))}</name></author></entry>"
            for a in entries
        )
        updated = entries[0].modified.isoformat() if entries else self._clock.isoformat()
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{html.escape(self.feed_title)}</title><id>{self.base_url}/</id>"
            f'<link href="{self.base_url}/"/><updated>{updated}</updated>' + items + "</feed>"
        )

    # --- serving ------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters as plain data (also served as JSON at ``/_stats`` for other processes)."""
        with self._lock:
            return {
                "requests": dict(self.requests),
                "not_modified": dict(self.not_modified),
                "max_concurrent": dict(self.max_concurrent),
            }

    def _answer(self, path: str, request_headers: Any) -> tuple[int, dict[str, str], bytes]:
        if path in ("/_stats", "/_stats/reset"):
            body = json.dumps(self.stats()).encode()
            if path.endswith("reset"):
                with self._lock:
                    self.max_concurrent.clear()
            return 200, {"Content-Type": "application/json"}, body
        route = self.routes.get(path)
        if route is not None:
            return route.status, dict(route.headers), route.body
        for kind, feed_path in FEED_PATHS.items():
            if path == feed_path:
                return self._feed_answer(kind, request_headers)
        if path.startswith("/nachrichten/"):
            article = self.articles.get(path.removeprefix("/nachrichten/"))
            if article is not None:
                page = render_article_page(article.spec)
                content_type = f"text/html; charset={article.spec.charset}"
                return (
                    200,
                    {"Content-Type": content_type},
                    page.encode(article.spec.charset, "xmlcharrefreplace"),
                )
        return 404, {"Content-Type": "text/html"}, b"<html><body><h1>404</h1></body></html>"

    def _feed_answer(self, kind: str, request_headers: Any) -> tuple[int, dict[str, str], bytes]:
        body = self.render_feed(kind)
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        with self._lock:
            modified = max((a.modified for a in self.articles.values()), default=self._clock)
        headers = {
            "Content-Type": _CONTENT_TYPES[kind],
            "ETag": etag,
            "Last-Modified": http_date(modified),
        }
        if request_headers.get("If-None-Match") == etag:
            return 304, headers, b""
        since = request_headers.get("If-Modified-Since")
        if since and request_headers.get("If-None-Match") is None:
            try:
                if parsedate_to_datetime(since) >= modified.replace(microsecond=0):
                    return 304, headers, b""
            except (TypeError, ValueError):
                pass
        with self._lock:
            self.feed_reads.append(time.time())
        return 200, headers, body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: tests read counters, not logs

            def do_GET(self) -> None:
                host = self.headers.get("Host", "?")
                path = self.path.split("?", 1)[0]
                if path.startswith("/_stats"):
                    status, headers, body = server._answer(path, self.headers)
                    self._send(status, headers, body)
                    return
                with server._lock:
                    server.requests[path] += 1
                    server._active[host] += 1
                    server.max_concurrent[host] = max(
                        server.max_concurrent[host], server._active[host]
                    )
                try:
                    delay = server.latency.get(path, 0.0) or next(
                        (s for p, s in server.latency.items() if path.startswith(p)), 0.0
                    )
                    if not delay and path.startswith("/nachrichten/"):
                        delay = server.article_latency_s
                    if delay:
                        time.sleep(delay)
                    status, headers, body = server._answer(path, self.headers)
                    if status == 304:
                        with server._lock:
                            server.not_modified[path] += 1
                    self._send(status, headers, body)
                finally:
                    with server._lock:
                        server._active[host] -= 1

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
                if accepts_gzip and len(body) > 1024 and "Content-Encoding" not in headers:
                    body = gzip.compress(body, 5)
                    headers = {**headers, "Content-Encoding": "gzip"}
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    # the client may give up early (size cap): that is the point of some tests
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)

        return Handler
