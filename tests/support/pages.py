"""Realistic BR24-like article pages and feeds for tests and benchmarks.

``render_article_page`` builds a page the way BR24 lays one out: navigation, a picture with
caption and credit, share buttons, media badges, the headline twice (kicker block and
article), teaser, programme note, body with sub-headings, embedded video/map labels,
``[externer Link]`` screen-reader markers inside links, a series sign-off, the newsletter
box and a footer, plus JSON-LD ``NewsArticle`` and OpenGraph metadata.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from tests.support.shared import seed_gold, seed_text

_MARKER = re.compile(r"(\S+)\s*(\[externer Link[^\]]*\])")
_EMBED = re.compile(r"^(Im Video|Im Audio|Karte|Grafik):\s*(.*)$")


@dataclass
class PageSpec:
    """Everything a rendered article page shows."""

    title: str
    teaser: str
    #: Paragraphs; "## text" is a sub-heading, "Im Video: ..."/"Karte: ..." an embed label.
    paragraphs: list[str]
    url: str = "https://www.br.de/nachrichten/deutschland-welt/beispiel,AbCdEf1"
    authors: list[str] = field(default_factory=lambda: ["Kilian Neuwert"])
    published: datetime = field(default_factory=lambda: datetime(2024, 5, 29, 17, 4, tzinfo=UTC))
    modified: datetime | None = None
    section: str = "Deutschland & Welt"
    keywords: list[str] = field(default_factory=lambda: ["Ukraine", "Russland"])
    caption: str = "Ein Symbolbild zum Thema des Artikels."
    credit: str = "picture alliance / dpa | Fotograf"
    badges: list[str] = field(
        default_factory=lambda: ["Artikel mit Video-Inhalten", "Videobeitrag"]
    )
    programme: str | None = "Über dieses Thema berichtet: BR24 Radio am ."
    sign_off: str | None = "Das ist die Europäische Perspektive bei BR24."
    newsletter: bool = True
    charset: str = "utf-8"
    json_ld: bool = True


def _paragraph_html(text: str) -> str:
    if text.startswith("## "):
        return f"<h2>{html.escape(text[3:])}</h2>"
    embed = _EMBED.match(text)
    if embed:
        return (
            '<figure class="embed"><div class="player"></div><figcaption>'
            f"{html.escape(embed.group(1))}: {html.escape(embed.group(2))}</figcaption></figure>"
        )
    escaped = html.escape(text, quote=False)
    linked = _MARKER.sub(
        lambda m: (
            f'<a href="https://example.org/x">{m.group(1)}'
            f'<span class="sr-only"> {m.group(2)}</span></a>'
        ),
        escaped,
    )
    return f"<p>{linked}</p>"


def _json_ld(spec: PageSpec) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": spec.title,
        "description": spec.teaser,
        "mainEntityOfPage": {"@type": "WebPage", "@id": spec.url},
        "url": spec.url,
        "datePublished": spec.published.isoformat(),
        "dateModified": (spec.modified or spec.published).isoformat(),
        "author": [{"@type": "Person", "name": name} for name in spec.authors],
        "publisher": {
            "@type": "Organization",
            "name": "BR24",
            "url": "https://www.br.de/nachrichten",
        },
        "articleSection": spec.section,
        "keywords": spec.keywords,
        "inLanguage": "de-DE",
        "image": {
            "@type": "ImageObject",
            "url": "https://img.br.de/x.jpg",
            "caption": spec.caption,
        },
    }
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def render_article_page(spec: PageSpec) -> str:
    """A full HTML page for ``spec`` with BR24's furniture around the article."""
    esc = html.escape
    body = "\n".join(_paragraph_html(p) for p in spec.paragraphs)
    badges = "".join(f'<li class="badge">{esc(b)}</li>' for b in spec.badges)
    ld = f'<script type="application/ld+json">{_json_ld(spec)}</script>' if spec.json_ld else ""
    programme = f'<p class="programme">{esc(spec.programme)}</p>' if spec.programme else ""
    sign_off = f"<p><em>{esc(spec.sign_off)}</em></p>" if spec.sign_off else ""
    newsletter = (
        '<aside class="newsletter"><p>"Hier ist Bayern": Der BR24 Newsletter informiert Sie immer '
        "montags bis freitags zum Feierabend über das Wichtigste vom Tag auf einen Blick – kompakt "
        "und direkt in Ihrem privaten Postfach. Hier geht’s zur Anmeldung!</p></aside>"
        if spec.newsletter
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="{spec.charset}">
<title>{esc(spec.title)} | BR24</title>
<link rel="canonical" href="{esc(spec.url)}">
<meta name="description" content="{esc(spec.teaser)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(spec.title)}">
<meta property="og:description" content="{esc(spec.teaser)}">
<meta property="og:url" content="{esc(spec.url)}">
<meta property="article:published_time" content="{spec.published.isoformat()}">
<meta name="author" content="{esc(", ".join(spec.authors))}">
{ld}
</head><body>
<header class="site"><nav><ul><li><a href="/nachrichten">BR24 Startseite</a></li>
<li><a href="/nachrichten/bayern">Bayern</a></li><li><a href="/nachrichten/deutschland-welt">
Deutschland &amp; Welt</a></li><li><a href="/nachrichten/sport">Sport</a></li></ul></nav></header>
<main><article>
<figure class="hero"><img src="https://img.br.de/x.jpg" alt="">
<figcaption><p>{esc(spec.caption)}</p><p class="credit">Bildrechte: {esc(spec.credit)}</p>
</figcaption></figure>
<h1 class="kicker-title">{esc(spec.title)}</h1>
<div class="share"><button>Per Mail sharen</button></div>
<ul class="badges">{badges}</ul>
<header><h1>{esc(spec.title)}</h1>
<p class="teaser"><strong>{esc(spec.teaser)}</strong></p>
{programme}
</header>
<div class="article-body">
{body}
</div>
{sign_off}
{newsletter}
<p class="byline">Von {esc(", ".join(spec.authors))}</p>
</article></main>
<footer><ul><li><a href="/impressum">Impressum</a></li><li><a href="/datenschutz">Datenschutz</a>
</li><li><a href="/kontakt">Kontakt</a></li></ul><p>© Bayerischer Rundfunk 2024</p></footer>
</body></html>"""


def shared_article_spec(url: str | None = None) -> PageSpec:
    """The shared BR24 article (``../shared``) as a :class:`PageSpec`.

    The plain text is split into blocks; furniture blocks of the original layout are given to
    the page template's own furniture slots, so the page carries them where BR24 does.
    """
    gold = seed_gold()
    blocks = [b.strip() for b in seed_text().split("\n\n")]
    start = next(i for i, b in enumerate(blocks) if b.startswith("Über dieses Thema")) + 1
    end = next(i for i, b in enumerate(blocks) if b.startswith("Das ist die Europäische"))
    paragraphs = []
    for block in blocks[start:end]:
        is_heading = len(block) < 90 and not block.endswith(".") and not _EMBED.match(block)
        paragraphs.append(f"## {block}" if is_heading else block)
    caption, credit_line = blocks[0].split("\n")
    spec = PageSpec(
        title=gold["title"],
        teaser=gold["teaser"],
        paragraphs=paragraphs,
        caption=caption,
        credit=credit_line.removeprefix("Bildrechte: "),
        programme=next(b for b in blocks if b.startswith("Über dieses Thema")),
        authors=["Christian Sachs"],
    )
    if url:
        spec.url = url
    return spec


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)
