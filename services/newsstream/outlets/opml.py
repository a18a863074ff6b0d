"""OPML (the feed readers' export format) -> feed entries (pure).

Readers (FreshRSS, miniflux, Feedly, Thunderbird) export subscriptions as ``<outline
xmlUrl="..." text="..."/>`` elements, nested in folders. Every outline with an ``xmlUrl`` is a
feed; its ``title`` (or ``text``) names the outlet. Hostile or broken files are refused as a
whole with the line of the problem: an import that silently kept half a file would be worse.
"""

from __future__ import annotations

import re

import lxml.etree  # type: ignore[import-untyped]

from newsstream.errors import OpmlError
from newsstream.outlets.config import FeedConfig, outlet_for_url

MAX_OPML_BYTES = 10 * 1024 * 1024
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _parser() -> lxml.etree.XMLParser:
    return lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )


def parse_opml(content: bytes, *, language: str | None = None) -> list[FeedConfig]:
    """The feeds of an OPML document, in document order, without duplicates.

    Raises :class:`OpmlError` for a file that is not OPML, is broken XML, declares entities,
    or holds no feed. Outlines whose ``xmlUrl`` is not an http(s) URL are skipped.
    """
    if len(content) > MAX_OPML_BYTES:
        raise OpmlError(f"OPML file larger than {MAX_OPML_BYTES // (1024 * 1024)} MB")
    if _ENTITY_DECL.search(content):
        raise OpmlError("OPML file declares XML entities (refused: entity expansion)")
    try:
        root = lxml.etree.fromstring(content, parser=_parser())
    except lxml.etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else 0
        raise OpmlError(f"OPML is not well-formed XML (line {line}): {exc.msg}") from None
    if root is None or lxml.etree.QName(root).localname.lower() != "opml":
        raise OpmlError("not an OPML document (the root element is not <opml>)")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for outline in root.iter("{*}outline", "outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url.lower().startswith(("http://", "https://")):
            continue
        name = (outline.get("title") or outline.get("text") or "").strip()
        try:
            feed = FeedConfig(
                url=url,
                outlet=name[:200] or outlet_for_url(url),
                language=_language(outline.get("language")) or language,
            )
        except ValueError:
            continue  # one unusable outline never blocks the others
        if feed.key not in seen:
            seen.add(feed.key)
            feeds.append(feed)
    if not feeds:
        raise OpmlError("the OPML file holds no feed (no <outline xmlUrl=...>)")
    return feeds


def _language(value: str | None) -> str | None:
    """``de-DE`` -> ``de``; anything unusable -> None."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip().lower())[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None
