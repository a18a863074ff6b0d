"""robots.txt per host, fetched through the guarded fetcher and cached (the I/O half).

The decisions are pure (:mod:`newsstream.outlets.robots`); this module asks each host once
per :data:`~newsstream.outlets.robots.ROBOTS_TTL_S` (15 minutes after a failure), one request
at a time per host however many article pages wait for the answer. Every answer that is not
plain rules is counted (``robots_html``, ``robots_truncated``, ``robots_unreachable``, ...),
never raised: a broken robots.txt costs at most the article pages, never the poll.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from newsstream.errors import BlockedURLError, FetchError, HTTPStatusError
from newsstream.outlets.robots import (
    ALLOW_ALL,
    MAX_ROBOTS_BYTES,
    UNREACHABLE,
    RobotsPolicy,
    policy_for,
    robots_url,
)
from newsstream.poller.http import Fetcher

log = logging.getLogger(__name__)


class RobotsCache:
    """``await cache.allows(url, user_agent)``: may this article page be fetched?"""

    def __init__(self, fetcher: Fetcher, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.fetcher = fetcher
        self.clock = clock
        self._policies: dict[str, tuple[float, RobotsPolicy]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allows(
        self,
        url: str,
        user_agent: str,
        *,
        allowed_hosts: frozenset[str] | None = None,
        count: Callable[[str], None] = lambda kind: None,
    ) -> bool:
        """True when the host's robots.txt lets ``user_agent`` fetch ``url``."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        policy = await self._policy(origin, url, user_agent, allowed_hosts, count)
        return policy.can_fetch(url, user_agent)

    async def _policy(
        self,
        origin: str,
        url: str,
        user_agent: str,
        allowed_hosts: frozenset[str] | None,
        count: Callable[[str], None],
    ) -> RobotsPolicy:
        async with self._locks.setdefault(origin, asyncio.Lock()):
            cached = self._policies.get(origin)
            if cached is not None and cached[0] > self.clock():
                return cached[1]
            policy = await self._fetch(url, user_agent, allowed_hosts)
            if policy.note and policy.note != "unavailable":
                count(f"robots_{policy.note}")
                log.warning("robots.txt not usable as rules",
                            extra={"origin": origin, "note": policy.note})  # fmt: skip
            self._policies[origin] = (self.clock() + policy.ttl_s, policy)
            return policy

    async def _fetch(
        self, url: str, user_agent: str, allowed_hosts: frozenset[str] | None
    ) -> RobotsPolicy:
        target = robots_url(url)
        try:
            result = await self.fetcher.fetch(
                target,
                headers={"Accept": "text/plain, */*;q=0.5", "User-Agent": user_agent},
                max_bytes=MAX_ROBOTS_BYTES,
                truncate=True,
                allowed_hosts=allowed_hosts,
            )
        except HTTPStatusError as exc:
            return policy_for(exc.status)
        except BlockedURLError:
            # robots.txt redirected somewhere we may not go: as good as not there (RFC 9309
            # lets a crawler treat an unfollowable redirect as "unavailable")
            return ALLOW_ALL
        except FetchError as exc:
            log.info("robots.txt unreachable", extra={"url": target, "kind": exc.kind})
            return UNREACHABLE
        return policy_for(
            result.status, result.content, result.content_type, truncated=result.truncated
        )
