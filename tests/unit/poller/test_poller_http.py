"""The fetcher against a real HTTP server on 127.0.0.1: limits, SSRF guard, decoding."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from pathlib import Path

import pytest
from tests.support.feedserver import FeedServer
from tests.support.fixtures import local_settings

from newsstream.errors import BlockedURLError, FetchError, HTTPStatusError
from newsstream.poller.guard import (
    BoundedDecoder,
    check_address,
    check_url,
    parse_networks,
    parse_retry_after,
)
from newsstream.poller.http import Fetcher, fetch_url
from newsstream.text.decode import decode_body


def _fetch(settings, url, **kw):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url, **kw)

    return asyncio.run(go())


def test_http_fetches_article_page(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article("a", "Titel A", ["Erster Absatz mit Umlauten: äöüß."])
    result = fetch_url(feed_server.url_for("a"), local_settings(feed_server, tmp_path))
    assert result.status == 200
    assert "Erster Absatz mit Umlauten: äöüß." in result.text
    assert result.final_url == feed_server.url_for("a")


def test_http_conditional_get_answers_304(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article("a", "Titel A", ["Text."])
    settings = local_settings(feed_server, tmp_path)
    first = _fetch(settings, feed_server.feed_url)
    second = _fetch(
        settings, feed_server.feed_url, headers={"If-None-Match": first.headers["etag"]}
    )
    assert second.not_modified and second.content == b""


@pytest.mark.parametrize("status", [404, 500])
def test_http_error_status_raises_with_kind(
    feed_server: FeedServer, tmp_path: Path, status: int
) -> None:
    url = feed_server.add_route("/broken", status=status, body="nope")
    with pytest.raises(HTTPStatusError) as err:
        fetch_url(url, local_settings(feed_server, tmp_path))
    assert err.value.kind == f"http_{status}"


def test_http_429_carries_retry_after(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.add_route("/busy", status=429, headers={"Retry-After": "120"})
    with pytest.raises(HTTPStatusError) as err:
        fetch_url(url, local_settings(feed_server, tmp_path))
    assert err.value.retry_after == 120.0


def test_http_timeout_is_a_fetch_error(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article("slow", "Langsam", ["Text."])
    feed_server.set_latency("/nachrichten/slow", 1.5)
    settings = local_settings(feed_server, tmp_path, http_timeout_s=0.3)
    with pytest.raises(FetchError) as err:
        fetch_url(feed_server.url_for("slow"), settings)
    assert err.value.kind == "timeout"


def test_http_redirect_is_followed_and_rechecked(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article("ziel", "Ziel", ["Angekommen."])
    url = feed_server.add_redirect("/kurz", "/nachrichten/ziel")
    result = fetch_url(url, local_settings(feed_server, tmp_path))
    assert result.final_url == feed_server.url_for("ziel")
    assert result.redirects == [feed_server.url_for("ziel")]


def test_http_redirect_to_disallowed_host_is_blocked(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.add_redirect("/weg", "http://169.254.169.254/latest/meta-data/")
    with pytest.raises(BlockedURLError) as err:
        fetch_url(url, local_settings(feed_server, tmp_path))
    assert err.value.kind == "blocked_host"


def test_http_redirect_to_private_address_of_allowed_host_is_blocked(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.add_redirect("/intern", "http://10.0.0.7/admin")
    settings = local_settings(feed_server, tmp_path, allowed_hosts=["127.0.0.1", "10.0.0.7"])
    with pytest.raises(BlockedURLError) as err:
        fetch_url(url, settings)
    assert err.value.kind == "blocked_address"


def test_http_redirect_loop_is_detected(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_redirect("/ping", "/pong")
    url = feed_server.add_redirect("/pong", "/ping")
    with pytest.raises(FetchError) as err:
        fetch_url(url, local_settings(feed_server, tmp_path))
    assert err.value.kind == "redirect_loop"
    assert feed_server.requests["/ping"] == 1


def test_http_too_many_redirects(feed_server: FeedServer, tmp_path: Path) -> None:
    for i in range(5):
        feed_server.add_redirect(f"/r{i}", f"/r{i + 1}")
    url = feed_server.base_url + "/r0"
    with pytest.raises(FetchError) as err:
        fetch_url(url, local_settings(feed_server, tmp_path, http_max_redirects=3))
    assert err.value.kind == "too_many_redirects"


def test_http_huge_page_is_refused(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.add_huge_page("/gross", 20 * 1024 * 1024)
    with pytest.raises(FetchError) as err:
        fetch_url(url, local_settings(feed_server, tmp_path))
    assert err.value.kind == "too_large"


def test_http_gzip_bomb_is_refused(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.add_gzip_bomb("/bombe", 64 * 1024 * 1024)
    settings = local_settings(feed_server, tmp_path, http_max_bytes=1024 * 1024)
    with pytest.raises(FetchError) as err:
        fetch_url(url, settings)
    assert err.value.kind == "too_large"


def test_http_iso_8859_1_page_keeps_umlauts(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article(
        "latin", "Größe", ["Müller grüßt Ärzte in Übersee."], charset="iso-8859-1"
    )
    result = fetch_url(feed_server.url_for("latin"), local_settings(feed_server, tmp_path))
    assert result.encoding == "cp1252"
    assert "Müller grüßt Ärzte in Übersee." in result.text


def test_http_loopback_refused_unless_allowed(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article("a", "A", ["Text."])
    settings = local_settings(feed_server, tmp_path, allowed_private_networks=[])
    with pytest.raises(BlockedURLError) as err:
        fetch_url(feed_server.url_for("a"), settings)
    assert err.value.kind == "blocked_address"
    assert feed_server.requests["/nachrichten/a"] == 0


def test_http_per_host_limit_holds_on_the_server_side(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    for i in range(12):
        feed_server.add_article(f"p{i}", f"T{i}", ["Text."])
    feed_server.article_latency_s = 0.1
    settings = local_settings(feed_server, tmp_path, fetch_per_host_concurrency=3)

    async def go() -> None:
        async with Fetcher(settings) as fetcher:
            await asyncio.gather(*(fetcher.fetch(feed_server.url_for(f"p{i}")) for i in range(12)))

    asyncio.run(go())
    assert max(feed_server.max_concurrent.values()) == 3


def test_http_check_url_rejects_other_schemes_and_hosts() -> None:
    hosts = frozenset({"www.br.de"})
    assert check_url("https://www.br.de/nachrichten/x", hosts) == ("www.br.de", 443)
    for url, kind in [
        ("file:///etc/passwd", "blocked_scheme"),
        ("ftp://www.br.de/x", "blocked_scheme"),
        ("https://evil.example/x", "blocked_host"),
        ("https://www.br.de.evil.example/x", "blocked_host"),
        ("http:///nohost", "bad_url"),
    ]:
        with pytest.raises(BlockedURLError) as err:
            check_url(url, hosts)
        assert err.value.kind == kind, url


@pytest.mark.parametrize(
    "ip", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fe80::1", "0.0.0.0"]
)
def test_http_check_address_refuses_non_public(ip: str) -> None:
    with pytest.raises(BlockedURLError):
        check_address(ip, [])


def test_http_check_address_allows_listed_network_and_public() -> None:
    check_address("127.0.0.1", parse_networks(["127.0.0.1/32"]))
    check_address("8.8.8.8", [])
    with pytest.raises(BlockedURLError):
        check_address("127.0.0.2", parse_networks(["127.0.0.1/32"]))


def test_http_decode_body_prefers_header_then_meta_then_sniffing() -> None:
    latin = "<p>Grüße aus München</p>".encode("latin-1")
    assert decode_body(latin, "text/html; charset=ISO-8859-1")[0] == "<p>Grüße aus München</p>"
    meta = b'<meta charset="iso-8859-1">' + latin
    assert "Grüße aus München" in decode_body(meta, "text/html")[0]
    assert "Grüße aus München" in decode_body(latin * 20, None)[0]
    assert decode_body("ä".encode(), None) == ("ä", "utf-8")


def test_http_bounded_decoder_handles_gzip_and_raw_deflate() -> None:
    data = b"x" * 5000
    assert BoundedDecoder("gzip", 10_000).feed(gzip.compress(data)) == data
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw_deflate = raw.compress(data) + raw.flush()
    assert BoundedDecoder("deflate", 10_000).feed(raw_deflate) == data
    assert BoundedDecoder("deflate", 10_000).feed(zlib.compress(data)) == data
    with pytest.raises(FetchError):
        BoundedDecoder("gzip", 1000).feed(gzip.compress(data))


def test_http_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_http_dns_rebinding_is_caught_at_connect_time(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add_article("a", "A", ["Text."])
    settings = local_settings(
        feed_server, tmp_path, allowed_hosts=["localhost"], allowed_private_networks=[]
    )
    url = f"http://localhost:{feed_server.port}/nachrichten/a"

    async def go() -> None:
        async with Fetcher(settings) as fetcher:
            # the first lookup said "public"; the connection must look again and refuse
            fetcher._dns[("localhost", feed_server.port)] = (
                time.monotonic() + 60,
                ["93.184.216.34"],
            )
            await fetcher.fetch(url)

    with pytest.raises(BlockedURLError) as err:
        asyncio.run(go())
    assert err.value.kind == "blocked_address"
    assert feed_server.requests["/nachrichten/a"] == 0


def test_http_default_br24_feeds_allow_their_article_host() -> None:
    from newsstream.settings import DEFAULT_FEEDS, Settings

    settings = Settings(_env_file=None, feeds=list(DEFAULT_FEEDS))  # type: ignore[call-arg]
    assert settings.effective_allowed_hosts == {"nachrichtenfeeds.br.de", "www.br.de"}
    other = Settings(_env_file=None, feeds=["https://example.org/feed"])  # type: ignore[call-arg]
    assert other.effective_allowed_hosts == {"example.org"}
