"""One feed entry -> at most one new article revision in Kafka.

The page is fetched only from the feed's own article hosts, with the feed's user agent, and
only when the host's robots.txt allows it; otherwise (or when the page fails) the feed's own
text is published, marked ``body_from="feed"`` with the reason. Each published revision
carries the outlet, the detected language and its story (syndicated copies share one).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from newsstream.errors import ExtractionError, FetchError, RobotsDisallowedError
from newsstream.messages import Article, canonicalize_url, content_hash_for
from newsstream.outlets.config import FeedConfig
from newsstream.outlets.dedupe import Fingerprint, fingerprint
from newsstream.outlets.language import LanguageGuess, guess_language
from newsstream.poller.article import ExtractedPage, extract_article
from newsstream.poller.feeds import FeedEntry
from newsstream.poller.http import Fetcher
from newsstream.poller.publish import publish
from newsstream.poller.robots import RobotsCache
from newsstream.poller.state import PollerState
from newsstream.poller.stats import PollStats
from newsstream.poller.stories import StoryIndex
from newsstream.settings import Settings

log = logging.getLogger("newsstream.poller.service")


@dataclass(frozen=True)
class FeedContext:
    """What an entry needs of its feed: the configuration and what the feed document said."""

    feed: FeedConfig
    #: Hosts its pages may come from (None: every host the fetcher allows).
    hosts: frozenset[str] | None
    #: The channel's ``<language>``, if any.
    language: str | None = None

    @property
    def url(self) -> str:
        return self.feed.url


@dataclass(frozen=True)
class PageResult:
    page: ExtractedPage | None
    final_url: str
    error: str | None


T = TypeVar("T")

#: Where an entry's CPU work queues: (its date as a timestamp, its place in the round).
Priority = tuple[float, int]
#: Work that has no entry to speak for it goes after every entry of the round.
LAST: Priority = (float("inf"), 0)


@functools.cache
def _cpu_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="poller-cpu")


def entry_priority(entry: FeedEntry, place: int) -> Priority:
    when = entry.updated or entry.published
    return (when.timestamp() if when else float("inf"), place)


class CpuQueue:
    """The poller's CPU work (page extraction, language, fingerprint), one piece at a time
    on one thread, the longest-waiting entry first.

    That work holds the GIL, so more threads add no speed. With a pool, a round's articles
    were extracted all at once and became ready together at the round's end (~0.4 s for ten
    articles here): the article published first on the feed waited for every other one.
    Taking the waiting work by priority, not by arrival, also keeps a fetch that happened to
    finish early from jumping the queue, and lets an article's second step (its analysis)
    go before the later articles' extractions.
    """

    def __init__(self) -> None:
        self._busy = False
        self._waiting: list[tuple[Priority, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def run(self, priority: Priority, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        if self._busy:
            turn: asyncio.Future[None] = loop.create_future()
            heapq.heappush(self._waiting, (priority, next(self._order), turn))
            try:
                await turn  # handed over by _next: we are busy now
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._next()  # our turn came with the cancellation: pass it on
                raise
        self._busy = True
        try:
            return await loop.run_in_executor(_cpu_thread(), functools.partial(func, *args))
        finally:
            self._next()

    def _next(self) -> None:
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():  # a cancelled waiter's turn is done already: skip it
                turn.set_result(None)
                return
        self._busy = False


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


def canonical_for(page: ExtractedPage, final_url: str) -> str:
    """The page's canonical URL, trusted only on the host that served it."""
    same_host = urlsplit(page.canonical_url).hostname == urlsplit(final_url).hostname
    return canonicalize_url(page.canonical_url if same_host else final_url)


def _analyse(
    title: str, body: str, declared: str | None
) -> tuple[LanguageGuess, Fingerprint | None]:
    """Language and fingerprint of a new revision (CPU work, run on the CPU thread)."""
    return guess_language(title, body, declared), fingerprint(body)


#: Our own text (no third-party article): enough words for a fingerprint.
_WARM_UP_TEXT = " ".join(
    f"Die Gemeinde Beispielstadt meldet am Tag {n} neue Zahlen zum Haushalt und zur Schule."
    for n in range(1, 6)
)
_WARM_UP_PAGE = (
    "<html lang='de'><head><title>Aufwärmen</title></head><body><article><h1>Aufwärmen</h1>"
    f"<p>{_WARM_UP_TEXT}</p><p>{_WARM_UP_TEXT}</p></article></body></html>"
)


def warm_up() -> None:
    """Do once at start what the first article would otherwise pay for: the language model
    (~1 s, loaded by ``_analyse``), the page extractor's imports, the MinHash permutations."""
    with contextlib.suppress(ExtractionError):
        _extract(_WARM_UP_PAGE, "https://newsstream.invalid/warm-up")
    _analyse("Aufwärmen", _WARM_UP_TEXT, "de")


class EntryPublisher:
    """Fetches an entry's page (politely), builds the revision, publishes it, records it."""

    def __init__(
        self,
        settings: Settings,
        *,
        fetcher: Fetcher,
        producer: Any,
        state: PollerState,
        send_timeout_s: float,
    ) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.producer = producer
        self.state = state
        self.robots = RobotsCache(fetcher)
        self.stories = StoryIndex(state.db)
        self.send_timeout_s = send_timeout_s
        self.cpu = CpuQueue()

    def user_agent(self, feed: FeedConfig) -> str:
        return feed.user_agent or self.settings.user_agent

    async def page(
        self, link: str, ctx: FeedContext, stats: PollStats, priority: Priority = LAST
    ) -> PageResult:
        """Fetch and extract the entry's page; on any failure (None, link, reason)."""
        agent = self.user_agent(ctx.feed)
        try:
            if not await self.robots.allows(
                link, agent, allowed_hosts=ctx.hosts, count=stats.error
            ):
                raise RobotsDisallowedError(
                    f"robots.txt disallows {link}", kind="robots_disallowed"
                )
            result = await self.fetcher.fetch(
                link,
                headers={"Accept": "text/html,*/*;q=0.8", "User-Agent": agent},
                allowed_hosts=ctx.hosts,
            )
            page = await self.cpu.run(priority, _extract, result.text, result.final_url)
            return PageResult(page, result.final_url, None)
        except (FetchError, ExtractionError) as exc:
            stats.error(f"page_{exc.kind}")
            log.warning(
                "article page unusable, publishing the feed text",
                extra={"url": link, "kind": exc.kind, "error": str(exc)[:300]},
            )
            return PageResult(None, link, f"{exc.kind}: {exc.message}"[:500])

    def _article(
        self,
        entry: FeedEntry,
        ctx: FeedContext,
        page: ExtractedPage | None,
        base: dict[str, Any],
    ) -> Article:
        return Article(
            url=entry.link or base["canonical_url"],
            feed_url=ctx.url,
            guid=entry.guid,
            teaser=page.teaser if page else "",
            authors=page.authors if page and page.authors else list(entry.authors),
            published_at=(page.published_at if page else None) or entry.published,
            modified_at=(page.modified_at if page else None) or entry.updated,
            categories=page.categories if page and page.categories else list(entry.categories),
            outlet=ctx.feed.outlet,
            **base,
        )

    async def publish_if_changed(
        self,
        entry: FeedEntry,
        ctx: FeedContext,
        key: str,
        article_id: str,
        canonical: str,
        fetched: PageResult,
        stats: PollStats,
        priority: Priority = LAST,
    ) -> bool:
        page = fetched.page
        body_from = "page" if page else "feed"
        title = page.title if page else entry.title
        body = page.body if page else (entry.summary or entry.title)
        content_hash = content_hash_for(title, body)
        previous = self.state.get_article(article_id)
        if previous and previous.content_hash == content_hash:
            self.state.record_entry(
                key, feed_url=ctx.url, article_id=article_id, fingerprint=entry.fingerprint,
                source=body_from,
            )  # fmt: skip
            stats.count("unchanged")
            return False
        declared = (page.language if page else None) or ctx.feed.language or ctx.language
        guess, fp = await self.cpu.run(priority, _analyse, title or "", body, declared)
        story = self._story(article_id, fp, stats)
        article = self._article(entry, ctx, page, {
            "article_id": article_id, "revision": (previous.revision if previous else 0) + 1,
            "canonical_url": canonical, "title": title or body[:120], "body": body,
            "language": guess.language, "content_hash": content_hash,
            "body_from": body_from, "body_error": fetched.error,
            "story_id": story.story_id, "duplicate_of": story.duplicate_of,
        })  # fmt: skip
        await publish(self.producer, self.settings.topic_raw, article, self.send_timeout_s)
        self.state.record_published(
            article_id=article_id, canonical_url=canonical, revision=article.revision,
            content_hash=content_hash, source=body_from, entry_key=key, feed_url=ctx.url,
            fingerprint=entry.fingerprint,
        )  # fmt: skip
        stats.published.append(article)
        stats.count("updated" if previous else "new")
        log.info(
            "article published",
            extra={"article_id": article_id, "revision": article.revision,
                   "body_from": body_from, "url": article.url, "feed": ctx.url,
                   "outlet": ctx.feed.outlet, "language": article.language,
                   "duplicate_of": story.duplicate_of},
        )  # fmt: skip
        return True

    def _story(self, article_id: str, fp: Fingerprint | None, stats: PollStats) -> Any:
        story = self.stories.assign(article_id, fp)
        if story.duplicate_of is not None:
            stats.copies += 1
        return story
