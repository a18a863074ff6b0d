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
import codecs
import ipaddress
import logging
import re
import socket
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from charset_normalizer import from_bytes

from newsstream.errors import BlockedURLError, FetchError, HTTPStatusError
from newsstream.settings import Settings

log = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
#: Per WHATWG, pages labelled Latin-1 or ASCII are decoded as windows-1252.
_WHATWG_ALIASES = {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252"}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# --- pure helpers ---------------------------------------------------------------------


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def parse_networks(cidrs: list[str]) -> list[Network]:
    return [ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip()]


#: IPv6 ranges that carry an IPv4 address in their last 32 bits and that routers or the host
#: may translate to it: NAT64 (well-known and local-use prefixes) and IPv4-compatible ``::a.b.c.d``.
#: Python 3.11's ``is_global`` calls some of these global whatever IPv4 address they hold.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64, compatible)."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if any(addr in net for net in _NAT64) or (addr in _V4_COMPATIBLE and int(addr) > 1):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def check_address(ip: str, allowed: list[Network]) -> None:
    """Refuse loopback, private, link-local and other non-public addresses unless allowed.

    An IPv6 address that embeds an IPv4 one (``::ffff:127.0.0.1``, ``2002:7f00:1::``,
    ``64:ff9b::a00:1``) is judged by the IPv4 address it reaches.
    """
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if any(addr in net for net in allowed):
        return
    inner = embedded_ipv4(addr) if isinstance(addr, ipaddress.IPv6Address) else None
    if inner is not None:
        if any(inner in net for net in allowed):
            return
        if not inner.is_global or inner.is_multicast:
            raise BlockedURLError(
                f"address {addr} reaches {inner}, which is not public", kind="blocked_address"
            )
    if not addr.is_global or addr.is_multicast:
        raise BlockedURLError(f"address {addr} is not public", kind="blocked_address")


def check_url(url: str, allowed_hosts: frozenset[str]) -> tuple[str, int]:
    """Validate scheme and host of ``url`` against the allow-list; return (host, port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedURLError(f"malformed URL {url!r}", kind="bad_url") from exc
    if parts.scheme not in ("http", "https"):
        raise BlockedURLError(f"scheme {parts.scheme!r} not allowed: {url}", kind="blocked_scheme")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise BlockedURLError(f"URL without host: {url}", kind="bad_url")
    if host not in allowed_hosts:
        raise BlockedURLError(f"host {host!r} is not in the allowed hosts", kind="blocked_host")
    return host, port or (443 if parts.scheme == "https" else 80)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        canonical = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    return _WHATWG_ALIASES.get(canonical, canonical)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*([^\s;]+)", content_type, re.I)
    return match.group(1) if match else None


def decode_body(content: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a body: BOM, header charset, ``<meta>``/XML declaration, then sniffing."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16")):
        if content.startswith(bom):
            return content.decode(name, errors="replace"), name
    head = content[:4096]
    declared = charset_from_content_type(content_type)
    if declared is None:
        match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
        declared = match.group(1).decode("ascii", "replace") if match else None
    codec = _codec(declared)
    if codec is not None:
        return content.decode(codec, errors="replace"), codec
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        best = from_bytes(content[:65536]).best()
        codec = _codec(best.encoding if best else None) or "cp1252"
        return content.decode(codec, errors="replace"), codec


class BoundedDecoder:
    """Decompress ``Content-Encoding`` gzip/deflate without ever exceeding ``limit`` bytes."""

    def __init__(self, encoding: str | None, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.encoding = (encoding or "identity").strip().lower()
        if self.encoding not in ("gzip", "x-gzip", "deflate", "identity", ""):
            raise FetchError(f"unsupported content encoding {self.encoding!r}", kind="bad_encoding")
        self._z: zlib._Decompress | None = None

    def _decompressor(self, first: bytes) -> zlib._Decompress:
        if self.encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is zlib-wrapped by the RFC, raw in practice from some servers.
        zlib_header = (
            len(first) >= 2 and (first[0] & 0x0F) == 8 and (first[0] * 256 + first[1]) % 31 == 0
        )
        return zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)

    def _count(self, out: bytes) -> bytes:
        self.size += len(out)
        if self.size > self.limit:
            raise _too_large(self.limit)
        return out

    def feed(self, data: bytes) -> bytes:
        if self.encoding in ("identity", ""):
            return self._count(data)
        if self._z is None:
            self._z = self._decompressor(data)
        try:
            out = self._z.decompress(data, self.limit - self.size + 1)
        except zlib.error as exc:
            raise FetchError(f"corrupt {self.encoding} body: {exc}", kind="bad_encoding") from exc
        self._count(out)
        if self._z.unconsumed_tail:  # more output pending than the cap allows
            raise _too_large(self.limit)
        return out

    def flush(self) -> bytes:
        return self._count(self._z.flush()) if self._z is not None else b""


def _too_large(limit: int) -> FetchError:
    return FetchError(f"body larger than {limit} bytes (decompressed)", kind="too_large")


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

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.allowed_hosts = settings.effective_allowed_hosts
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

    async def guard(self, url: str) -> str:
        """Check ``url`` (host allow-list and every resolved address); return its host."""
        host, port = check_url(url, self.allowed_hosts)
        for ip in await self._resolve(host, port):
            check_address(ip, self.networks)
        return host

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET ``url`` following redirects by hand; raise :class:`FetchError` on any failure."""
        started = time.perf_counter()
        limit = max_bytes or self.settings.http_max_bytes
        current, seen, hops = url, {url}, list[str]()
        while True:
            host = await self.guard(current)
            async with self._host_semaphore(host), self._global:
                response, content = await self._one_hop(current, headers, limit)
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
            return self._result(url, current, response, content, hops, started)

    async def _one_hop(
        self, url: str, headers: Mapping[str, str] | None, limit: int
    ) -> tuple[httpx.Response, bytes]:
        try:
            async with asyncio.timeout(self.settings.http_timeout_s * 3):
                async with self._client.stream("GET", url, headers=dict(headers or {})) as resp:
                    if resp.status_code in _REDIRECTS or resp.status_code == 304:
                        return resp, b""
                    declared = resp.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise _too_large(limit)
                    decoder = BoundedDecoder(resp.headers.get("content-encoding"), limit)
                    parts = [decoder.feed(chunk) async for chunk in resp.aiter_raw(_CHUNK)]
                    parts.append(decoder.flush())
                    return resp, b"".join(parts)
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
