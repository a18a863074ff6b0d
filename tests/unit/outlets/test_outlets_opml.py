"""OPML import: nested folders, names, duplicates; hostile or broken files refused whole."""

from __future__ import annotations

import pytest

from newsstream.errors import OpmlError
from newsstream.outlets.opml import parse_opml

EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Abos</title></head><body>
  <outline text="Nachrichten" title="Nachrichten">
    <outline type="rss" text="Beispiel" title="Beispiel Online"
             xmlUrl="https://example.de/feed.rss" htmlUrl="https://example.de/"/>
    <outline type="rss" text="Zweite" xmlUrl="https://zwei.example.org/atom" language="en-GB"/>
  </outline>
  <outline type="rss" text="nochmal" xmlUrl="https://EXAMPLE.de/feed.rss#x"/>
  <outline type="rss" text="kein Feed" xmlUrl="javascript:alert(1)"/>
  <outline type="rss" xmlUrl="https://rss.ohne-name.example/"/>
</body></opml>"""


def test_outlets_opml_reads_nested_outlines_once_each() -> None:
    feeds = parse_opml(EXPORT, language="de")
    assert [(f.outlet, f.url, f.language) for f in feeds] == [
        ("Beispiel Online", "https://example.de/feed.rss", "de"),
        ("Zweite", "https://zwei.example.org/atom", "en"),
        ("ohne-name.example", "https://rss.ohne-name.example/", "de"),
    ]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"<opml><body><outline xmlUrl='https://a.example/f'></body>", "not well-formed XML"),
        (b"\x00\x01 not xml at all", "not well-formed XML"),
        (b"<rss version='2.0'><channel/></rss>", "not an OPML document"),
        (b"<opml version='2.0'><body><outline text='leer'/></body></opml>", "no feed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaaaaaa">]>'
            b"<opml><body><outline xmlUrl='https://a.example/&a;'/></body></opml>",
            "entities",
        ),
    ],
)
def test_outlets_opml_bad_files_are_refused(content: bytes, says: str) -> None:
    with pytest.raises(OpmlError) as caught:
        parse_opml(content)
    assert says in str(caught.value) and caught.value.exit_code == 2
