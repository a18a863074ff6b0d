"""``analyze``: one article (HTML file, plain-text file or URL) through the full extraction.

HTML goes through the poller's article extraction, plain text through the page-furniture
cleaner (title and teaser recognised where the layout makes them evident, and kept in the
body: see :func:`article_from_text`); URLs are fetched
with the poller's SSRF-guarded client. The result is the same ``EnrichedArticle`` the
workers produce, so what a user sees here is what lands in the index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsstream.errors import AnalyzeError
from newsstream.extractor.enrich import enrich
from newsstream.messages import (
    Article,
    EnrichedArticle,
    article_id_for,
    canonicalize_url,
    content_hash_for,
)
from newsstream.settings import Settings

_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in {"http", "https"}


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:500].lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in text[:5000].lower()


def article_from_text(text: str, url: str) -> Article:
    """Plain text with page furniture -> an Article.

    The title and teaser are the cleaner's guesses (the first headline-like line and the
    paragraph after it) and are reported as such, but the body keeps them: in a plain-text
    file they are part of the text the user gave, and a quotation in its first lines (a lead
    paragraph, or a heading "Name: „…“") must be found like any other. A file that is one
    headline and one paragraph would otherwise have an empty body.
    """
    from newsstream.text.clean import clean_text

    cleaned = clean_text(text)
    title = cleaned.title or ""
    body = "\n\n".join(part for part in (title, cleaned.teaser, cleaned.body) if part)
    return _article(url, title, cleaned.teaser, body)


def article_from_html(html: str, url: str) -> Article:
    """An article page -> an Article, through the poller's extraction."""
    from newsstream.poller.article import extract_article

    page = extract_article(html, url)
    return _article(
        page.canonical_url or url,
        page.title,
        page.teaser,
        page.body,
        authors=page.authors,
        published_at=page.published_at,
        modified_at=page.modified_at,
        categories=page.categories,
        language=page.language or "de",
    )


def _article(url: str, title: str, teaser: str, body: str, **extra: Any) -> Article:
    canonical = canonicalize_url(url) if is_url(url) else url
    return Article(
        article_id=article_id_for(canonical),
        revision=1,
        url=url,
        canonical_url=canonical,
        title=title,
        teaser=teaser,
        body=body,
        content_hash=content_hash_for(title, body),
        **extra,
    )


def load_source(source: str, settings: Settings) -> Article:
    """Read (or fetch) ``source`` and turn it into an Article."""
    if is_url(source):
        from newsstream.poller.http import fetch_url

        host = (urlsplit(source).hostname or "").lower()
        # the user named this URL explicitly: allow its host (the private-address guard stays)
        allowed = sorted(settings.effective_allowed_hosts | {host})
        result = fetch_url(source, settings.model_copy(update={"allowed_hosts": allowed}))
        content_type = (result.content_type or "").lower()
        if "html" in content_type or looks_like_html(result.text):
            return article_from_html(result.text, result.final_url)
        return article_from_text(result.text, result.final_url)
    path = Path(source)
    if not path.is_file():
        raise AnalyzeError(f"no such file: {source}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("latin-1")
    url = path.resolve().as_uri()
    if path.suffix.lower() in _HTML_SUFFIXES or looks_like_html(text):
        return article_from_html(text, url)
    return article_from_text(text, url)


def analyze(source: str, settings: Settings, *, nlp: Any = None) -> EnrichedArticle:
    """Entities and attributed quotations of one article file or URL."""
    article = load_source(source, settings)
    if nlp is None:
        from newsstream.nlp.model import load_pipeline

        nlp = load_pipeline(settings)
    return enrich(nlp, [article], max_body_chars=settings.max_body_chars)[0]
