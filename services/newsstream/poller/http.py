"""The one HTTP client of newsstream: polite, bounded and SSRF-safe.

Every URL newsstream fetches (feeds, article pages, ``newsstream analyze URL``) goes through
:class:`Fetcher`, so the safety rules live in one place:

* only ``http``/``https`` URLs whose host is in ``settings.effective_allowed_hosts``;
* every address the host resolves to must be public, unless it is inside
  ``settings.allowed_private_networks`` (tests allow ``127.0.0.1/32``);
* redirects are followed by hand, at most ``settings.http_max_redirects``, and every hop is
  checked again (an allowed host redirecting to ``169.254.169.254`` is refused);
* bodies are streamed and capped at ``settings.http_max_bytes`` *after* decompression, with
  our own bounded gzip/deflate decoder, so a gzip bomb costs at most the cap in memory;
* a global semaphore and one per host bound concurrency (be polite to news sites).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from newsstream.errors import BlockedURLError, FetchError, HTTPStatusError
from newsstream.poller.guard import (
    BoundedDecoder,
    Network,
    check_address,
    check_url,
    parse_networks,
    parse_retry_after,
    too_large,
)
from newsstream.settings import Settings
from newsstream.text.decode import decode_body

log = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


@dataclass
class FetchResult:
    """One fetched URL after redirects: status, headers and the decoded text."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    content: bytes
    text: str
    content_type: str | None
    encoding: str | None
    elapsed_ms: float
    redirects: list[str] = field(default_factory=list)
    #: The body was cut at the size cap (only with ``fetch(..., truncate=True)``).
    truncated: bool = False

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# --- the fetcher --------------------------------------------------------------------


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"cannot resolve {host}: {exc}", kind="dns") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to an address that passed :func:`check_address`, and to that very address.

    Checking a name and then letting the HTTP library resolve it again leaves a gap (DNS
    rebinding: public on the first lookup, 127.0.0.1 on the second). Here the socket is opened
    to the checked IP itself; TLS still verifies the hostname (httpcore passes it as SNI).
    """

    def __init__(self, networks: list[Network]) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._networks = networks

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        ips = await resolve(host, port)
        for ip in ips:
            check_address(ip, self._networks)
        return await self._inner.connect_tcp(
            ips[0],
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedURLError("unix sockets are never fetched", kind="blocked_address")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _guarded_transport(settings: Settings, networks: list[Network]) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(
            max_connections=settings.fetch_concurrency,
            max_keepalive_connections=settings.fetch_concurrency,
        ),
        trust_env=False,
    )
    # httpx has no public knob for httpcore's network backend; the pool reads this attribute
    # on every new connection (httpcore 1.x).
    transport._pool._network_backend = GuardedBackend(networks)
    return transport


class Fetcher:
    """An ``httpx.AsyncClient`` with the SSRF guard, size caps and concurrency limits.

    Use as ``async with Fetcher(settings) as fetcher: await fetcher.fetch(url)``.
    """

    def __init__(self, settings: Settings, *, allowed_hosts: frozenset[str] | None = None) -> None:
        self.settings = settings
        #: Hosts any fetch may reach; a feed narrows it per request (``fetch(allowed_hosts=)``).
        self.allowed_hosts = settings.effective_allowed_hosts | (allowed_hosts or frozenset())
        self.networks = parse_networks(settings.allowed_private_networks)
        self._global = asyncio.Semaphore(settings.fetch_concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self._dns: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,  # never route through a proxy from the environment
            timeout=httpx.Timeout(settings.http_timeout_s),
            transport=_guarded_transport(settings, self.networks),
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def _host_semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._per_host.get(host)
        if sem is None:
            sem = self._per_host[host] = asyncio.Semaphore(self.settings.fetch_per_host_concurrency)
        return sem

    async def _resolve(self, host: str, port: int) -> list[str]:
        cached = self._dns.get((host, port))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        ips = await resolve(host, port)
        self._dns[(host, port)] = (time.monotonic() + 60.0, ips)
        return ips

    async def guard(self, url: str, allowed_hosts: frozenset[str] | None = None) -> str:
        """Check ``url`` (host allow-list and every resolved address); return its host."""
        host, port = check_url(url, self.allowed_hosts if allowed_hosts is None else allowed_hosts)
        for ip in await self._resolve(host, port):
            check_address(ip, self.networks)
        return host

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        truncate: bool = False,
        allowed_hosts: frozenset[str] | None = None,
    ) -> FetchResult:
        """GET ``url`` following redirects by hand; raise :class:`FetchError` on any failure.

        ``truncate``: a body over ``max_bytes`` is cut there instead of refused (robots.txt).
        ``allowed_hosts``: the hosts this request and its redirects may reach (default: all
        the fetcher knows); a feed's article pages are held to that feed's hosts.
        """
        started = time.perf_counter()
        limit = max_bytes or self.settings.http_max_bytes
        current, seen, hops = url, {url}, list[str]()
        while True:
            host = await self.guard(current, allowed_hosts)
            async with self._host_semaphore(host), self._global:
                response, content, cut = await self._one_hop(current, headers, limit, truncate)
            if response.status_code in _REDIRECTS and response.headers.get("location"):
                target = urljoin(current, response.headers["location"].strip())
                if urlsplit(current).scheme == "https" and urlsplit(target).scheme == "http":
                    raise BlockedURLError(
                        f"redirect from https to plain http refused: {target}",
                        kind="blocked_downgrade",
                    )
                if target in seen:
                    raise FetchError(f"redirect loop at {target}", kind="redirect_loop")
                if len(hops) >= self.settings.http_max_redirects:
                    raise FetchError(f"more than {len(hops)} redirects", kind="too_many_redirects")
                hops.append(target)
                seen.add(target)
                current = target
                continue
            result = self._result(url, current, response, content, hops, started)
            result.truncated = cut
            return result

    async def _one_hop(
        self, url: str, headers: Mapping[str, str] | None, limit: int, truncate: bool = False
    ) -> tuple[httpx.Response, bytes, bool]:
        try:
            async with asyncio.timeout(self.settings.http_timeout_s * 3):
                async with self._client.stream("GET", url, headers=dict(headers or {})) as resp:
                    if resp.status_code in _REDIRECTS or resp.status_code == 304:
                        return resp, b"", False
                    declared = resp.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit and not truncate:
                        raise too_large(limit)
                    decoder = BoundedDecoder(
                        resp.headers.get("content-encoding"), limit, truncate=truncate
                    )
                    parts: list[bytes] = []
                    async for chunk in resp.aiter_raw(_CHUNK):
                        parts.append(decoder.feed(chunk))
                        if decoder.truncated:
                            return resp, b"".join(parts), True  # the rest is never read
                    parts.append(decoder.flush())
                    return resp, b"".join(parts), decoder.truncated
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise FetchError(f"timeout fetching {url}", kind="timeout") from exc
        except httpx.TransportError as exc:
            raise FetchError(f"cannot fetch {url}: {exc!r}", kind="connect") from exc

    def _result(
        self,
        url: str,
        final_url: str,
        resp: httpx.Response,
        content: bytes,
        hops: list[str],
        started: float,
    ) -> FetchResult:
        if resp.status_code >= 400 or resp.status_code in _REDIRECTS:
            raise HTTPStatusError(
                f"HTTP {resp.status_code} for {final_url}",
                status=resp.status_code,
                retry_after=parse_retry_after(resp.headers.get("retry-after")),
            )
        content_type = resp.headers.get("content-type")
        text, encoding = decode_body(content, content_type) if content else ("", "utf-8")
        return FetchResult(
            url=url,
            final_url=final_url,
            status=resp.status_code,
            headers={k.lower(): v for k, v in resp.headers.items()},
            content=content,
            text=text,
            content_type=content_type,
            encoding=encoding,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            redirects=hops,
        )


async def fetch(url: str, settings: Settings) -> FetchResult:
    """Fetch one URL with a short-lived :class:`Fetcher` (``newsstream analyze URL``)."""
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(url)


def fetch_url(url: str, settings: Settings) -> FetchResult:
    """Synchronous :func:`fetch` for callers without an event loop."""
    return asyncio.run(fetch(url, settings))
