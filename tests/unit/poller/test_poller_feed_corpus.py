"""Hostile and broken feeds, generated: parsing never raises anything but FeedError.

A corpus of our own (no third-party feeds are copied here): RSS 2.0, RSS 1.0 and Atom
documents with every field filled, then mutated the way real feeds break - truncated at any
point, bytes flipped, wrong or missing encodings, control characters, surrogate references,
absurd dates, enormous attributes, nested CDATA, undeclared namespaces, HTML instead of XML.
Each variant goes through ``parse_feed``; a sample also through the whole poll loop.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
from tests.support.fakes import RecordingProducer
from tests.support.fixtures import local_settings

from newsstream.errors import FeedError
from newsstream.poller.feeds import parse_feed
from newsstream.poller.service import poll_once
from newsstream.poller.state import PollerState

RSS = """<?xml version="1.0" encoding="{enc}"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Nachrichten {n}</title><link>https://example.org/</link>
<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">g{n}</guid>
<pubDate>{date}</pubDate><dc:creator>Anna Beispiel</dc:creator><category>Politik</category>
<description><![CDATA[<p>{text}</p>]]></description>
<content:encoded><![CDATA[<div>{text}</div>]]></content:encoded></item>
<item><title>Zweite Meldung</title><link>https://example.org/b{n}</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="{enc}"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Feed {n}</title><id>urn:f{n}</id>
<entry><title type="html">{title}</title><link rel="alternate" href="{link}"/><id>urn:e{n}</id>
<updated>{date}</updated><author><name>Anna Beispiel</name></author>
<summary type="html">{text}</summary><content type="xhtml"><div>{text}</div></content></entry>
</feed>"""

RDF = """<?xml version="1.0" encoding="{enc}"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://example.org/"><title>RDF {n}</title></channel>
<item rdf:about="{link}"><title>{title}</title><link>{link}</link><description>{text}</description>
</item></rdf:RDF>"""

TITLES = [
    "Bürgermeisterin äußert sich",
    "&#xD800; kaputt",
    "&amp;&lt;b&gt;fett&lt;/b&gt;",
    "\x01\x02 Steuerzeichen",
    "Sehr " * 3000 + "lang",
    "",
    "<![CDATA[x]]>",
    "&unknown;",
]
DATES = [
    "Mon, 29 May 2024 12:00:00 +0200",
    "9999-12-31T23:59:59-12:00",
    "0000-00-00",
    "gestern",
    "2024-02-30T25:61:61Z",
    "-1",
    "1e309",
    "Tue, 31 Dec 9999 23:59:59 -1200",
]
LINKS = ["https://example.org/a", "/relativ", "javascript:alert(1)", "", "http://[::1", "%%%"]
ENCODINGS = ["utf-8", "iso-8859-1", "windows-1252", "utf-16", "bogus-enc"]  # fmt: skip


def _documents(seed: int, n: int) -> list[bytes]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        template = rng.choice([RSS, ATOM, RDF])
        enc = rng.choice(ENCODINGS)
        text = template.format(
            enc=enc, n=i, title=rng.choice(TITLES), link=rng.choice(LINKS),
            date=rng.choice(DATES), text=rng.choice(TITLES) + " Text " * rng.randint(0, 50),
        )  # fmt: skip
        raw = text.encode("utf-8", "surrogatepass")
        mutation = rng.randint(0, 5)
        if mutation == 1:
            raw = raw[: rng.randint(0, len(raw))]  # truncated
        elif mutation == 2:
            data = bytearray(raw)
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)  # flipped bytes
            raw = bytes(data)
        elif mutation == 3:
            raw = raw.replace(b"<title>", b"<title " + b'a="' + b"x" * 100_000 + b'">', 1)
        elif mutation == 4:
            raw = b"<!DOCTYPE html><html><body>" + raw + b"</body></html>"
        elif mutation == 5:
            raw = raw.replace(b"<item>", b"<item><![CDATA[<![CDATA[x]]>]]>", 1)
        docs.append(raw)
    return docs


@pytest.mark.parametrize("seed", range(8))
def test_feed_corpus_parses_or_raises_feed_error_only(seed: int) -> None:
    for doc in _documents(seed, 60):
        try:
            feed = parse_feed(doc, "https://example.org/feed", "application/rss+xml")
        except FeedError:
            continue
        for entry in feed.entries:
            assert entry.link is None or entry.link.startswith(("http://", "https://"))
            assert len(entry.title) <= 1000
            _ = entry.fingerprint  # hashing the entry never fails either


def test_feed_corpus_through_the_poll_loop_is_counted_never_raised(
    feed_server: Any, tmp_path: Path
) -> None:
    urls = [
        feed_server.add_route(f"/broken-{i}.xml", body=doc)
        for i, doc in enumerate(_documents(99, 25))
    ]
    settings = local_settings(feed_server, tmp_path, feeds=urls)
    state = PollerState(settings.state_dir)
    try:
        stats = asyncio.run(poll_once(settings, RecordingProducer(), state))
    finally:
        state.close()
    assert stats.feeds == len(urls)
    assert stats.errors["feed_internal"] == 0 and stats.errors["entry_internal"] == 0
