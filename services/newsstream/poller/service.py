"""The poll loop: feeds -> article pages -> cleaned, versioned ``Article`` messages in Kafka.

One asyncio loop does the I/O (httpx), extraction runs in worker threads, and the Kafka
producer's acknowledgements are bridged back into the loop. State is written only after an
acknowledgement; every bad input is counted by kind and logged, and never stops the loop.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from newsstream.errors import (
    ExtractionError,
    FeedError,
    FetchError,
    HTTPStatusError,
    NewsstreamError,
    NoFeedsError,
    PublishError,
)
from newsstream.messages import Article, article_id_for, canonicalize_url, content_hash_for
from newsstream.poller.article import ExtractedPage, extract_article
from newsstream.poller.feeds import FeedEntry, after_failure, after_success, parse_feed
from newsstream.poller.http import Fetcher
from newsstream.poller.publish import publish
from newsstream.poller.recovery import recover_if_empty
from newsstream.poller.state import FeedRecord, PollerState
from newsstream.poller.stats import (
    FAILING_FEEDS,
    FEEDS_POLLED,
    NOT_MODIFIED,
    PollStats,
    once_exit_code,
    summary,
)
from newsstream.settings import Settings
from newsstream.wiring import Clients

log = logging.getLogger(__name__)


def _extract(html: str, url: str) -> ExtractedPage:
    """:func:`extract_article`, with a crash in the HTML libraries reported as bad input."""
    try:
        return extract_article(html, url)
    except ExtractionError:
        raise
    except Exception as exc:
        raise ExtractionError(
            f"extraction crashed on {url}: {exc!r}", kind="extract_crash"
        ) from exc


def _canonical_for(page: ExtractedPage, final_url: str) -> str:
    """The page's canonical URL, trusted only on the host that served it."""
    same_host = urlsplit(page.canonical_url).hostname == urlsplit(final_url).hostname
    return canonicalize_url(page.canonical_url if same_host else final_url)


def _conditional_headers(record: FeedRecord) -> dict[str, str]:
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9"}
    if record.etag:
        headers["If-None-Match"] = record.etag
    if record.last_modified:
        headers["If-Modified-Since"] = record.last_modified
    return headers


class Poller:
    """Polls feeds and publishes article revisions; one instance per process."""

    def __init__(
        self,
        settings: Settings,
        *,
        fetcher: Fetcher,
        producer: Any,
        state: PollerState,
        rng: random.Random | None = None,
        send_timeout_s: float = 60.0,
    ) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.producer = producer
        self.state = state
        self.rng = rng or random.Random()
        self.send_timeout_s = send_timeout_s
        self._locks: dict[str, asyncio.Lock] = {}
        self._failing: set[str] = set()

    # --- feeds --------------------------------------------------------------------------

    async def poll_feed(self, feed_url: str, stats: PollStats) -> None:
        """Poll one feed and handle its entries; never raises for bad input.

        Only a Kafka failure propagates (the round reports it), after the feed's back-off
        has been saved.
        """
        record = self.state.get_feed(feed_url, self.settings.poll_interval_s)
        stats.feeds += 1
        try:
            result = await self.fetcher.fetch(feed_url, headers=_conditional_headers(record))
            if result.not_modified:
                self._not_modified(feed_url, record, stats)
                return
            feed = parse_feed(result.content, result.final_url, result.content_type)
            for problem in feed.problems:
                kind = problem.split(":", 1)[0].replace(" ", "_")
                if kind != "entry_without_link":  # counted once, as entry_no_link, below
                    stats.error(kind)
            published = await asyncio.gather(
                *(self._entry(e, feed_url, stats) for e in feed.entries)
            )
        except (FetchError, FeedError, PublishError) as exc:
            self._failed(feed_url, record, exc, stats)
            if isinstance(exc, PublishError):
                raise
            return
        # An entry that failed must be tried again: without validators the next poll gets the
        # whole feed (a 304 would hide the entry for as long as the feed does not change).
        validators = None if any(p is None for p in published) else result.headers
        self._succeeded(feed_url, record, changed=any(published), validators=validators)

    def _schedule(self) -> dict[str, Any]:
        s = self.settings
        return {"now": time.time(), "base_s": s.poll_interval_s, "max_s": s.poll_max_interval_s,
                "rng": self.rng}  # fmt: skip

    def _not_modified(self, feed_url: str, record: FeedRecord, stats: PollStats) -> None:
        stats.not_modified += 1
        NOT_MODIFIED.inc()
        FEEDS_POLLED.labels("not_modified").inc()
        sched = after_success(record.schedule, changed=False, **self._schedule())
        self.state.save_feed(feed_url, sched)
        self._mark(feed_url, failing=False)

    def _succeeded(
        self,
        feed_url: str,
        record: FeedRecord,
        *,
        changed: bool,
        validators: Mapping[str, str] | None,
    ) -> None:
        FEEDS_POLLED.labels("ok").inc()
        sched = after_success(record.schedule, changed=changed, **self._schedule())
        headers = validators or {}
        self.state.save_feed(
            feed_url, sched, etag=headers.get("etag"),
            last_modified=headers.get("last-modified"), validators=True,
        )  # fmt: skip
        self._mark(feed_url, failing=False)

    def _failed(
        self, feed_url: str, record: FeedRecord, exc: NewsstreamError, stats: PollStats
    ) -> None:
        kind = getattr(exc, "kind", "publish")
        stats.error(f"feed_{kind}")
        stats.feeds_failed += 1
        FEEDS_POLLED.labels("error").inc()
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        sched = after_failure(record.schedule, retry_after=retry_after, **self._schedule())
        self.state.save_feed(feed_url, sched)
        self._mark(feed_url, failing=sched.failing)
        log.warning(
            "feed poll failed",
            extra={"feed": feed_url, "kind": kind, "error": str(exc)[:300],
                   "failures": sched.failures,
                   "retry_in_s": round(sched.next_due - time.time())},
        )  # fmt: skip

    def _mark(self, feed_url: str, *, failing: bool) -> None:
        if failing and feed_url not in self._failing:
            log.error("feed keeps failing", extra={"feed": feed_url})
        (self._failing.add if failing else self._failing.discard)(feed_url)
        FAILING_FEEDS.set(len(self._failing))

    # --- entries ------------------------------------------------------------------------

    async def _entry(self, entry: FeedEntry, feed_url: str, stats: PollStats) -> bool | None:
        """Handle one entry: True if a revision was published, None if the entry failed.

        Only a Kafka failure propagates, so that the feed is retried with its validators unset.
        """
        try:
            return await self._handle_entry(entry, feed_url, stats)
        except PublishError:
            raise
        except Exception:  # a bug or an input we did not foresee: count it, keep polling
            stats.error("entry_internal")
            log.exception("entry failed", extra={"feed": feed_url, "link": entry.link})
            return None

    async def _handle_entry(self, entry: FeedEntry, feed_url: str, stats: PollStats) -> bool:
        if entry.link is None:
            stats.error("entry_no_link")
            return False
        key = canonicalize_url(entry.link)
        known = self.state.get_entry(key)
        if known and known.fingerprint == entry.fingerprint and known.source == "page":
            stats.count("skipped")
            return False
        page, final_url, source_error = await self._page(entry.link, stats)
        if page is None and not (entry.title or entry.summary):
            stats.error("entry_empty")
            return False
        canonical = _canonical_for(page, final_url) if page else key
        article_id = known.article_id if known else article_id_for(canonical)
        # Two entries of one poll can be the same article (same canonical URL): one at a time.
        async with self._locks.setdefault(article_id, asyncio.Lock()):
            return await self._publish_if_changed(
                entry, feed_url, key, article_id, canonical, page, source_error, stats
            )

    async def _page(
        self, link: str, stats: PollStats
    ) -> tuple[ExtractedPage | None, str, str | None]:
        """Fetch and extract the entry's page; on failure (None, link, reason)."""
        try:
            result = await self.fetcher.fetch(link, headers={"Accept": "text/html,*/*;q=0.8"})
            page = await asyncio.to_thread(_extract, result.text, result.final_url)
            return page, result.final_url, None
        except (FetchError, ExtractionError) as exc:
            stats.error(f"page_{exc.kind}")
            log.warning(
                "article page unusable, publishing the feed text",
                extra={"url": link, "kind": exc.kind, "error": str(exc)[:300]},
            )
            return None, link, f"{exc.kind}: {exc.message}"[:500]

    async def _publish_if_changed(
        self,
        entry: FeedEntry,
        feed_url: str,
        key: str,
        article_id: str,
        canonical: str,
        page: ExtractedPage | None,
        source_error: str | None,
        stats: PollStats,
    ) -> bool:
        source = "page" if page else "feed"
        title = page.title if page else entry.title
        body = page.body if page else (entry.summary or entry.title)
        content_hash = content_hash_for(title, body)
        previous = self.state.get_article(article_id)
        if previous and previous.content_hash == content_hash:
            self.state.record_entry(
                key, feed_url=feed_url, article_id=article_id, fingerprint=entry.fingerprint,
                source=source,
            )  # fmt: skip
            stats.count("unchanged")
            return False
        article = Article(
            article_id=article_id,
            revision=(previous.revision if previous else 0) + 1,
            url=entry.link or canonical,
            canonical_url=canonical,
            feed_url=feed_url,
            guid=entry.guid,
            title=title or body[:120],
            teaser=page.teaser if page else "",
            body=body,
            authors=page.authors if page and page.authors else list(entry.authors),
            published_at=(page.published_at if page else None) or entry.published,
            modified_at=(page.modified_at if page else None) or entry.updated,
            categories=page.categories if page and page.categories else list(entry.categories),
            language=(page.language if page else None) or "de",
            content_hash=content_hash,
            source=source,
            source_error=source_error,
        )
        await self._send(article)
        self.state.record_published(
            article_id=article_id, canonical_url=canonical, revision=article.revision,
            content_hash=content_hash, source=source, entry_key=key, feed_url=feed_url,
            fingerprint=entry.fingerprint,
        )  # fmt: skip
        stats.published.append(article)
        stats.count("updated" if previous else "new")
        log.info(
            "article published",
            extra={"article_id": article_id, "revision": article.revision, "source": source,
                   "url": article.url, "feed": feed_url},
        )  # fmt: skip
        return True

    async def _send(self, article: Article) -> None:
        await publish(self.producer, self.settings.topic_raw, article, self.send_timeout_s)

    # --- rounds -------------------------------------------------------------------------

    async def poll_once(self, feeds: Iterable[str]) -> PollStats:
        """Poll every feed once (concurrently) with all article fetches; return what happened."""
        stats = PollStats()
        feeds = list(feeds)
        results = await asyncio.gather(
            *(self.poll_feed(url, stats) for url in feeds), return_exceptions=True
        )
        self._locks.clear()  # the round is over: no entry holds or waits for a lock
        for url, outcome in zip(feeds, results, strict=True):
            if isinstance(outcome, Exception) and not isinstance(outcome, PublishError):
                stats.error("feed_internal")  # a bug, not bad input: logged in full, loop goes on
                stats.feeds_failed += 1
                log.error("feed poll crashed", exc_info=outcome, extra={"feed": url})
                self._back_off(url)
            elif isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome  # cancellation, KeyboardInterrupt
        return stats

    def _back_off(self, feed_url: str) -> None:
        """A feed whose poll crashed waits like a failing one (never re-polled every second)."""
        record = self.state.get_feed(feed_url, self.settings.poll_interval_s)
        sched = after_failure(record.schedule, **self._schedule())
        self.state.save_feed(feed_url, sched)
        self._mark(feed_url, failing=sched.failing)

    def due(self, feeds: Iterable[str], now: float) -> list[str]:
        base = self.settings.poll_interval_s
        return [f for f in feeds if self.state.get_feed(f, base).schedule.next_due <= now]


async def poll_once(
    settings: Settings, producer: Any, state: PollerState, feeds: Iterable[str] | None = None
) -> PollStats:
    """One poll of ``feeds`` (default: ``settings.feeds``) with a fresh HTTP client."""
    async with Fetcher(settings) as fetcher:
        poller = Poller(settings, fetcher=fetcher, producer=producer, state=state)
        return await poller.poll_once(list(feeds or settings.feeds))


async def _run(
    settings: Settings, feeds: list[str], once: bool, stop: threading.Event, producer: Any
) -> int:
    state = PollerState(settings.state_dir)
    try:
        recover_if_empty(settings, state)  # before anything is published (same thread: SQLite)
        async with Fetcher(settings) as fetcher:
            poller = Poller(settings, fetcher=fetcher, producer=producer, state=state)
            if once:
                stats = await poller.poll_once(feeds)
                log.info("poll finished", extra=summary(stats))
                return once_exit_code(stats)
            while not stop.is_set():
                due = poller.due(feeds, time.time())
                if due:
                    stats = await poller.poll_once(due)
                    log.info("poll finished", extra=summary(stats))
                await asyncio.to_thread(stop.wait, 1.0)
            return 0
    finally:
        state.close()


def run_poller(
    settings: Settings,
    *,
    feeds: list[str] | None = None,
    once: bool = False,
    stop_event: threading.Event | None = None,
    clients: Clients | None = None,
) -> int:
    """Run the poller until ``stop_event`` is set (or one round with ``once``); exit code."""
    from newsstream.obs import start_metrics_server
    from newsstream.reach import require_kafka
    from newsstream.topics import ensure_topics

    feeds = list(feeds or settings.feeds)
    if not feeds:
        raise NoFeedsError("no feed to poll: the feed list is empty")
    require_kafka(settings)
    start_metrics_server(settings.metrics_port_poller, settings.metrics_enabled)
    # httpx logs every request at INFO; our own log lines carry what matters.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    ensure_topics(settings)
    clients = clients or Clients(settings)
    try:
        stop = stop_event or threading.Event()
        return asyncio.run(_run(settings, feeds, once, stop, clients.producer))
    finally:
        clients.close()
