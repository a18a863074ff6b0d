"""The fetcher's rules as pure functions: which URLs and addresses may be fetched (the SSRF
guard), how much a body may grow when decompressed, and what ``Retry-After`` means.

The I/O side (:mod:`newsstream.poller.http`) applies them to every hop of every request.
"""

from __future__ import annotations

import ipaddress
import zlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from newsstream.errors import BlockedURLError, FetchError
from newsstream.outlets.config import host_allowed

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    if not host_allowed(host, allowed_hosts):
        raise BlockedURLError(f"host {host!r} is not in the allowed hosts", kind="blocked_host")
    return host, port or (443 if parts.scheme == "https" else 80)


class BoundedDecoder:
    """Decompress ``Content-Encoding`` gzip/deflate without ever exceeding ``limit`` bytes.

    Past the limit it raises, or with ``truncate`` returns the output up to the limit and
    sets ``truncated`` (robots.txt: the first 512 KiB count, the rest is ignored).
    """

    def __init__(self, encoding: str | None, limit: int, *, truncate: bool = False) -> None:
        self.limit = limit
        self.truncate = truncate
        self.truncated = False
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
        if self.size + len(out) > self.limit:
            if not self.truncate:
                raise too_large(self.limit)
            out = out[: self.limit - self.size]
            self.truncated = True
        self.size += len(out)
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
        out = self._count(out)
        if self._z.unconsumed_tail:  # more output pending than the cap allows
            if not self.truncate:
                raise too_large(self.limit)
            self.truncated = True
        return out

    def flush(self) -> bytes:
        if self.truncated:
            return b""
        return self._count(self._z.flush()) if self._z is not None else b""


def too_large(limit: int) -> FetchError:
    return FetchError(f"body larger than {limit} bytes (decompressed)", kind="too_large")
