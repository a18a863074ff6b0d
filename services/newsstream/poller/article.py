"""HTML page -> :class:`ExtractedPage` (pure: no network, no Kafka).

Structured data first, because editors fill it in deliberately: JSON-LD ``NewsArticle``, then
OpenGraph and ``<meta>``, then the visible page. The body comes from trafilatura (which
finds the main text block) and then :func:`newsstream.text.clean.clean_paragraphs`, which
removes the page furniture trafilatura lets through (captions, badges, programme notes...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
import trafilatura
from trafilatura.settings import Document
from trafilatura.utils import sanitize_tree
from trafilatura.xml import remove_empty_elements, strip_double_tags

from newsstream.errors import ExtractionError
from newsstream.text.clean import clean_paragraphs, normalize
from newsstream.text.decode import decode_body

_ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
     "OpinionNewsArticle", "LiveBlogPosting"}
)  # fmt: skip
_TITLE_SUFFIX = re.compile(r"\s*[|–—-]\s*[^|–—-]{2,40}$")


@dataclass
class ExtractedPage:
    """The article a page holds; ``body`` paragraphs are separated by a blank line."""

    canonical_url: str
    title: str
    teaser: str
    body: str
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    modified_at: datetime | None = None
    categories: list[str] = field(default_factory=list)
    language: str | None = None

    @property
    def paragraphs(self) -> list[str]:
        return self.body.split("\n\n") if self.body else []


# --- structured data ------------------------------------------------------------------


def _walk_ld(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_ld(item)
    elif isinstance(node, dict):
        yield node
        yield from _walk_ld(node.get("@graph", []))


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    return {kind} if isinstance(kind, str) else {k for k in kind if isinstance(k, str)}


def find_json_ld(doc: lxml.html.HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object typed as an article; broken JSON-LD blocks are skipped."""
    for script in doc.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "null", strict=False)
        except ValueError:
            continue
        for node in _walk_ld(data):
            if _types(node) & _ARTICLE_TYPES:
                return node
    return {}


def _meta(doc: lxml.html.HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in doc.xpath("//meta[@content]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key:
            found.setdefault(key, []).append(el.get("content", "").strip())
    return found


def _first(*values: Any) -> str:
    for value in values:
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url") or value.get("name")
        if isinstance(value, str) and value.strip():
            return normalize(value)
    return ""


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(normalize(name))
    return names


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 (``Z`` allowed); a value without zone is taken as UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _canonical(
    doc: lxml.html.HtmlElement, ld: dict[str, Any], meta: dict[str, list[str]], url: str
) -> str:
    links = doc.xpath('//link[@rel="canonical"]/@href')
    candidate = _first(ld.get("mainEntityOfPage"), ld.get("url"), links, meta.get("og:url"))
    absolute = urljoin(url, candidate) if candidate else url
    return absolute if urlsplit(absolute).scheme in ("http", "https") else url


def _language(
    doc: lxml.html.HtmlElement, ld: dict[str, Any], meta: dict[str, list[str]]
) -> str | None:
    raw = _first(ld.get("inLanguage"), doc.get("lang"), meta.get("og:locale"), meta.get("language"))
    return re.split(r"[-_]", raw)[0].lower() if raw else None


# --- body -----------------------------------------------------------------------------


def _trafilatura_paragraphs(text: str, url: str, *, precision: bool) -> list[str]:
    """The main text's blocks (paragraphs, headings, list items) as trafilatura finds them.

    Its document tree is read directly, after the clean-up its XML output applies (nested
    tags merged, empty elements dropped, text sanitised): ``extract(output_format="xml")``
    gave the same blocks but also hashed the whole text for a fingerprint we never used,
    serialised the tree and had it parsed back - a third of the call's CPU.
    """
    document = trafilatura.bare_extraction(
        text,
        url=url,
        favor_precision=precision,
        output_format="xml",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        include_formatting=False,
        with_metadata=False,
        deduplicate=False,
        as_dict=False,
    )
    if not isinstance(document, Document) or document.body is None:
        return []
    body = sanitize_tree(remove_empty_elements(strip_double_tags(document.body)))
    paragraphs: list[str] = []
    for el in body:
        items = el.findall("item") if el.tag == "list" else [el]
        paragraphs.extend(" ".join(item.itertext()) for item in items)
    return paragraphs


def _fallback_paragraphs(doc: lxml.html.HtmlElement) -> list[str]:
    scope = doc.xpath("//article") or doc.xpath("//main") or [doc]
    return [el.text_content() for el in scope[0].xpath(".//p | .//h2 | .//h3")]


def extract_article(html: str | bytes, url: str) -> ExtractedPage:
    """Extract the article of one page; raise :class:`ExtractionError` if there is none."""
    text = decode_body(html, None)[0] if isinstance(html, bytes) else html
    if not text.strip():
        raise ExtractionError(f"empty page {url}", kind="empty_page")
    try:
        doc = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML at {url}: {exc}", kind="bad_html") from exc
    ld = find_json_ld(doc)
    meta = _meta(doc)
    h1 = [normalize(h.text_content()) for h in doc.xpath("//h1")]
    page_title = _TITLE_SUFFIX.sub("", normalize(doc.findtext(".//title") or ""))
    title = _first(ld.get("headline"), ld.get("name"), meta.get("og:title"), h1, page_title)
    teaser = _first(ld.get("description"), meta.get("og:description"), meta.get("description"))
    # Precision first: on short pages trafilatura's recall mode falls back to the whole page.
    paragraphs = (
        _trafilatura_paragraphs(text, url, precision=True)
        or _trafilatura_paragraphs(text, url, precision=False)
        or _fallback_paragraphs(doc)
    )
    body = [p for p in clean_paragraphs(paragraphs) if p not in (title, teaser)]
    if not body:
        raise ExtractionError(f"no article text found at {url}", kind="empty_body")
    return ExtractedPage(
        canonical_url=_canonical(doc, ld, meta, url),
        title=title or body[0][:200],
        teaser=teaser,
        body="\n\n".join(body),
        authors=_unique(_names(ld.get("author")) or meta.get("author", [])),
        published_at=parse_datetime(
            _first(ld.get("datePublished"), meta.get("article:published_time"))
        ),
        modified_at=parse_datetime(
            _first(ld.get("dateModified"), meta.get("article:modified_time"))
        ),
        categories=_unique(
            _strings(ld.get("articleSection"))
            + _strings(ld.get("keywords"))
            + meta.get("article:section", [])
            + meta.get("article:tag", [])
        ),
        language=_language(doc, ld, meta),
    )
