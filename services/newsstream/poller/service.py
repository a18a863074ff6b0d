"""The poll loop: feeds -> article pages -> cleaned, versioned ``Article`` messages in Kafka.

One asyncio loop does the I/O (httpx), extraction runs on one CPU thread (longest-waiting
entry first, :class:`~newsstream.poller.entries.CpuQueue`), and the Kafka
producer's acknowledgements are bridged back into the loop. A feed is polled again when it is
due even while the pages of its last poll are still being fetched and cleaned: the entries
that poll is handling are left to it (see :meth:`Poller.begin`). State is written only after an
acknowledgement; every bad input is counted by kind and logged, and never stops the loop.
Each feed is polled under its own configuration (:class:`FeedConfig`: outlet, interval
floor, article hosts, language, user agent); the entry side is :mod:`.entries`, the
schedule side :mod:`.book`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from newsstream.errors import FeedError, FetchError, NoFeedsError, PublishError
from newsstream.messages import article_id_for, canonicalize_url
from newsstream.outlets.config import FeedConfig, feeds_from_urls
from newsstream.poller.book import FeedBook
from newsstream.poller.entries import (
    EntryPublisher,
    FeedContext,
    Priority,
    canonical_for,
    entry_priority,
    warm_up,
)
from newsstream.poller.feeds import FeedEntry, oldest_first, parse_feed
from newsstream.poller.http import Fetcher
from newsstream.poller.recovery import recover_if_empty
from newsstream.poller.state import EntryRecord, PollerState
from newsstream.poller.stats import FAILING_FEEDS, PollStats, once_exit_code, summary
from newsstream.settings import Settings
from newsstream.wiring import Clients

log = logging.getLogger(__name__)

#: The run loop sleeps between rounds until the next feed is due, within these bounds.
IDLE_MIN_S = 0.05
IDLE_MAX_S = 1.0
#: Polls of one feed under way at once: the one handling its pages, and the next.
MAX_POLLS_PER_FEED = 2

__all__ = ["FAILING_FEEDS", "PollStats", "Poller", "poll_once", "run_poller"]

FeedLike = str | FeedConfig


def _conditional_headers(
    etag: str | None, last_modified: str | None, user_agent: str
) -> dict[str, str]:
    headers = {
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9",
        "User-Agent": user_agent,
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def fetcher_hosts(feeds: Iterable[FeedConfig], settings: Settings) -> frozenset[str]:
    """Every host any configured feed or its articles may be fetched from."""
    extra = frozenset(settings.allowed_hosts)
    return frozenset().union(*(f.article_hosts(extra) for f in feeds))


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
        self.book = FeedBook(settings, state, rng or random.Random())
        self.entries = EntryPublisher(
            settings, fetcher=fetcher, producer=producer, state=state,
            send_timeout_s=send_timeout_s,
        )  # fmt: skip
        self._configs: dict[str, FeedConfig] = {}
        #: Feeds given as bare URLs: their pages may come from every allowed host (as before
        #: the feeds file), not only from the feed's own hosts.
        self._bare: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        #: Every poll of a feed gets a number, and each feed counts its polls under way.
        self._numbers = itertools.count(1)
        #: Feed -> (poll, etag, last-modified) of the newest document a poll under way is
        #: handling. A poll meanwhile asks with these, so an unchanged feed answers 304 instead
        #: of being parsed again (a 400-entry feed took 0.14-0.27 s to parse, four times in one
        #: burst); a poll that ends when it no longer holds this slot leaves the outcome
        #: (validators, interval) to the later poll, which read a newer document.
        self._handled: dict[str, tuple[int, str | None, str | None]] = {}
        self._running: Counter[str] = Counter()
        #: Feeds whose document is being fetched: not due again until it has been read.
        self._reading: set[str] = set()
        #: (feed, entry key) -> the poll handling it; a later poll of the feed leaves the entry
        #: to it. Two feeds listing one article are kept apart by the article's lock instead.
        self._handling: dict[tuple[str, str], int] = {}
        #: Set when a poll has read its feed or has ended: the loop looks again at what is due
        #: (a feed held back by its polls under way may go now).
        self.wake = asyncio.Event()

    # --- feeds --------------------------------------------------------------------------

    def configure(self, feeds: Iterable[FeedLike]) -> list[FeedConfig]:
        """Register ``feeds`` (configurations, or bare URLs) and return their configurations."""
        out = []
        for feed in feeds:
            if isinstance(feed, str):
                known = self._configs.get(feed)
                if known is None:
                    known = feeds_from_urls([feed])[0]
                    self._bare.add(feed)
                feed = known
            self._configs[feed.url] = feed
            out.append(feed)
        return out

    def _context(self, feed: FeedConfig, language: str | None = None) -> FeedContext:
        hosts = None
        if feed.url not in self._bare:
            hosts = feed.article_hosts(frozenset(self.settings.allowed_hosts))
        return FeedContext(feed, hosts, language)

    async def poll_feed(self, feed_url: str, stats: PollStats) -> None:
        """Poll one feed and handle its entries; never raises for bad input.

        Only a Kafka failure propagates (the round reports it), after the feed's back-off
        has been saved.
        """
        feed = self.configure([feed_url])[0]
        poll = next(self._numbers)
        self._running[feed.url] += 1
        self._reading.add(feed.url)
        try:
            await self._poll_feed(feed, poll, stats)
        finally:
            self._reading.discard(feed.url)
            self._running[feed.url] -= 1
            if self._handled.get(feed.url, (None,))[0] == poll:
                del self._handled[feed.url]
            self.wake.set()

    async def _poll_feed(self, feed: FeedConfig, poll: int, stats: PollStats) -> None:
        feed_url = feed.url
        record = self.book.record(feed)
        started = time.time()
        stats.feeds += 1
        handled = self._handled.get(feed_url)
        etag, modified = (record.etag, record.last_modified) if handled is None else handled[1:]
        try:
            agent = self.entries.user_agent(feed)
            headers = _conditional_headers(etag, modified, agent)
            result = await self.fetcher.fetch(feed_url, headers=headers)
            if result.not_modified:
                if handled is None:
                    self.book.not_modified(feed, record, stats, started=started)
                else:  # nothing since the poll under way read the feed: not a quiet feed
                    self.book.unchanged_meanwhile(feed, record, stats, started=started)
                return
            self._handled[feed_url] = (
                poll, result.headers.get("etag"), result.headers.get("last-modified")
            )  # fmt: skip
            parsed = parse_feed(result.content, result.final_url, result.content_type)
            self.book.hints(feed, parsed.hints)
            for problem in parsed.problems:
                kind = problem.split(":", 1)[0].replace(" ", "_")
                if kind != "entry_without_link":  # counted once, as entry_no_link, below
                    stats.error(kind)
            ctx = self._context(feed, parsed.language)
            entries = oldest_first(parsed.entries)
            self.book.polling(feed, record, started=started)
            self._reading.discard(feed_url)
            self.wake.set()
            published = await asyncio.gather(
                *(self._entry(e, ctx, stats, entry_priority(e, i), poll)
                  for i, e in enumerate(entries))
            )  # fmt: skip
        except (FetchError, FeedError, PublishError) as exc:
            self.book.failed(feed, record, exc, stats)
            if isinstance(exc, PublishError):
                raise
            return
        if self._handled.get(feed_url, (None,))[0] != poll:
            return  # a later poll of the feed has read a newer document: its outcome counts
        # An entry that failed, or that an earlier poll was still handling, must be looked at
        # again: without validators the next poll gets the whole feed (a 304 would hide the
        # entry for as long as the feed does not change).
        validators = None if any(p is None for p in published) else result.headers
        self.book.succeeded(
            feed, record, changed=any(published), validators=validators, started=started
        )

    # --- entries ------------------------------------------------------------------------

    async def _entry(
        self, entry: FeedEntry, ctx: FeedContext, stats: PollStats, priority: Priority, poll: int
    ) -> bool | None:
        """Handle one entry: True if a revision was published, None if the entry failed or an
        earlier poll is still handling it (this poll cannot vouch for it either way).

        Only a Kafka failure propagates, so that the feed is retried with its validators unset.
        """
        try:
            return await self._handle_entry(entry, ctx, stats, priority, poll)
        except PublishError:
            raise
        except Exception:  # a bug or an input we did not foresee: count it, keep polling
            stats.error("entry_internal")
            log.exception("entry failed", extra={"feed": ctx.url, "link": entry.link})
            return None

    async def _handle_entry(
        self, entry: FeedEntry, ctx: FeedContext, stats: PollStats, priority: Priority, poll: int
    ) -> bool | None:
        if entry.link is None:
            stats.error("entry_no_link")
            return False
        key = canonicalize_url(entry.link)
        known = self.state.get_entry(key)
        if known and known.fingerprint == entry.fingerprint and known.source == "page":
            stats.count("skipped")
            return False
        slot = (ctx.url, key)
        if self._handling.setdefault(slot, poll) != poll:
            stats.count("in_flight")
            return None
        try:
            return await self._fetch_and_publish(
                entry, entry.link, ctx, stats, priority, key, known
            )
        finally:
            if self._handling.get(slot) == poll:
                del self._handling[slot]

    async def _fetch_and_publish(
        self,
        entry: FeedEntry,
        link: str,
        ctx: FeedContext,
        stats: PollStats,
        priority: Priority,
        key: str,
        known: EntryRecord | None,
    ) -> bool:
        fetched = await self.entries.page(link, ctx, stats, priority)
        if fetched.page is None and not (entry.title or entry.summary):
            stats.error("entry_empty")
            return False
        canonical = canonical_for(fetched.page, fetched.final_url) if fetched.page else key
        article_id = known.article_id if known else article_id_for(canonical)
        # Two entries of one poll can be the same article (same canonical URL): one at a time.
        async with self._locks.setdefault(article_id, asyncio.Lock()):
            return await self.entries.publish_if_changed(
                entry, ctx, key, article_id, canonical, fetched, stats, priority
            )

    # --- rounds -------------------------------------------------------------------------

    async def poll_once(self, feeds: Iterable[FeedLike]) -> PollStats:
        """Poll every feed once (concurrently) with all article fetches; return what happened."""
        stats = PollStats()
        configs = self.configure(feeds)
        results = await asyncio.gather(
            *(self.poll_feed(f.url, stats) for f in configs), return_exceptions=True
        )
        if not any(self._running.values()):
            self._locks.clear()  # no poll under way: no entry holds or waits for a lock
        for feed, outcome in zip(configs, results, strict=True):
            if isinstance(outcome, Exception) and not isinstance(outcome, PublishError):
                stats.error("feed_internal")  # a bug, not bad input: logged in full, loop goes on
                stats.feeds_failed += 1
                log.error("feed poll crashed", exc_info=outcome, extra={"feed": feed.url})
                self.book.back_off(feed, f"internal: {outcome!r}"[:300])
            elif isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome  # cancellation, KeyboardInterrupt
        return stats

    def begin(self, feeds: Iterable[FeedLike]) -> asyncio.Task[PollStats]:
        """Poll ``feeds`` in the background (the loop's way; ``poll_once`` waits).

        The loop polls a feed again when it is due, though this poll's pages may still be
        fetched and cleaned: before, the next poll waited for the slowest page of the last one,
        and an article published meanwhile waited with it (a round took up to 1.6 s under
        load, with a 1 s interval). The feeds count as being read at once, so that the loop
        does not begin them twice before this task has run.
        """
        configs = self.configure(feeds)
        self._reading.update(f.url for f in configs)
        return asyncio.create_task(self.poll_once(configs))

    def _may_begin(self, feed: FeedConfig) -> bool:
        return feed.url not in self._reading and self._running[feed.url] < MAX_POLLS_PER_FEED

    def due(self, feeds: Iterable[FeedLike], now: float) -> list[FeedConfig]:
        """The feeds to poll now: due, not being read, and not polled twice already."""
        return [f for f in self.book.due(self.configure(feeds), now) if self._may_begin(f)]

    def idle_for(self, feeds: Iterable[FeedLike], now: float) -> float:
        """How long the loop may sleep: until the soonest feed is due, at most a second (the
        feeds file and the stop signal are checked that often), at least a moment. A feed that
        must wait for one of its polls to end is not counted: that end wakes the loop
        (:attr:`wake`).

        A fixed one-second sleep after each round stretched a one-second interval to nearly two
        and added up to a second to every article's time to searchable."""
        soonest = self.book.next_due([f for f in self.configure(feeds) if self._may_begin(f)])
        return IDLE_MAX_S if soonest is None else min(IDLE_MAX_S, max(IDLE_MIN_S, soonest - now))


def _resolve(settings: Settings, feeds: Iterable[FeedLike] | None) -> list[FeedLike]:
    if feeds is not None:
        return list(feeds)
    if "feeds" in settings.model_fields_set:  # NEWSSTREAM_FEEDS: bare URLs, as before the file
        return list(settings.feeds)
    from newsstream.outlets.files import configured_feeds

    return list(configured_feeds(settings).active)


def _configs(feeds: list[FeedLike]) -> list[FeedConfig]:
    return [f for f in feeds if isinstance(f, FeedConfig)]


async def poll_once(
    settings: Settings,
    producer: Any,
    state: PollerState,
    feeds: Iterable[FeedLike] | None = None,
) -> PollStats:
    """One poll of ``feeds`` (default: the configured feeds) with a fresh HTTP client."""
    chosen = _resolve(settings, feeds)
    async with Fetcher(settings, allowed_hosts=fetcher_hosts(_configs(chosen), settings)) as f:
        poller = Poller(settings, fetcher=f, producer=producer, state=state)
        return await poller.poll_once(chosen)


async def _run(
    settings: Settings,
    feeds: list[FeedLike],
    once: bool,
    stop: threading.Event,
    producer: Any,
    watch: bool = False,
) -> int:
    """The poll loop; ``watch``: the feeds came from the feeds file, follow its changes."""
    from newsstream.outlets.files import FeedsFileWatcher

    state = PollerState(settings.state_dir)
    watcher = FeedsFileWatcher(settings) if watch else None
    try:
        recover_if_empty(settings, state)  # before anything is published (same thread: SQLite)
        hosts = fetcher_hosts(_configs(feeds), settings)
        async with Fetcher(settings, allowed_hosts=hosts) as fetcher:
            poller = Poller(settings, fetcher=fetcher, producer=producer, state=state)
            if once:
                stats = await poller.poll_once(feeds)
                log.info("poll finished", extra=summary(stats))
                return once_exit_code(stats)
            rounds: set[asyncio.Task[PollStats]] = set()
            try:
                while not stop.is_set():
                    _reap(rounds)
                    reloaded = watcher.changed() if watcher is not None else None
                    if reloaded is not None:
                        feeds = list(reloaded)
                        fetcher.allowed_hosts |= fetcher_hosts(reloaded, settings)
                        log.info("feeds file reloaded", extra={"feeds": len(feeds)})
                    poller.wake.clear()
                    due = poller.due(feeds, time.time())
                    if due:
                        rounds.add(_logged(poller.begin(due)))
                    await _nap(stop, poller.idle_for(feeds, time.time()), poller.wake)
            finally:
                # Stopping: the polls under way finish, so that what they published is saved.
                await asyncio.gather(*rounds, return_exceptions=True)
            _reap(rounds)
            return 0
    finally:
        state.close()


#: How often a nap looks at the stop signal (a threading.Event, set from another thread).
STOP_CHECK_S = 0.1


async def _nap(stop: threading.Event, seconds: float, woken: asyncio.Event) -> None:
    """Sleep ``seconds``, or until ``stop`` is set or a poll makes progress (``woken``)."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and not woken.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(), min(left, STOP_CHECK_S))


def _logged(task: asyncio.Task[PollStats]) -> asyncio.Task[PollStats]:
    """``task``, logging its round's summary and duration when it ends."""
    began = time.perf_counter()

    def done(t: asyncio.Task[PollStats]) -> None:
        if not t.cancelled() and t.exception() is None:
            took = round(time.perf_counter() - began, 3)
            log.info("poll finished", extra={**summary(t.result()), "seconds": took})

    task.add_done_callback(done)
    return task


def _reap(rounds: set[asyncio.Task[PollStats]]) -> None:
    """Forget the rounds that ended; re-raise what one of them could not handle (a bug in the
    loop itself, or cancellation), as the loop did when it awaited each round."""
    for task in [t for t in rounds if t.done()]:
        rounds.discard(task)
        task.result()


def run_poller(
    settings: Settings,
    *,
    feeds: Sequence[FeedLike] | None = None,
    once: bool = False,
    stop_event: threading.Event | None = None,
    clients: Clients | None = None,
) -> int:
    """Run the poller until ``stop_event`` is set (or one round with ``once``); exit code.

    ``feeds`` default to the configured ones (``newsstream.outlets.files``): the feeds file,
    or ``NEWSSTREAM_FEEDS`` when that is set.
    """
    from newsstream.obs import start_metrics_server
    from newsstream.reach import require_kafka
    from newsstream.topics import ensure_topics

    chosen = _resolve(settings, feeds)
    if not chosen:
        raise NoFeedsError("no feed to poll: the feed list is empty (or every feed disabled)")
    require_kafka(settings)
    start_metrics_server(settings.metrics_port_poller, settings.metrics_enabled)
    # httpx logs every request at INFO; our own log lines carry what matters.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    ensure_topics(settings)
    clients = clients or Clients(settings)
    warm_up()  # before the first burst of articles, whose first one would wait for it
    try:
        stop = stop_event or threading.Event()
        watch = feeds is None and "feeds" not in settings.model_fields_set
        return asyncio.run(_run(settings, chosen, once, stop, clients.producer, watch))
    finally:
        clients.close()
