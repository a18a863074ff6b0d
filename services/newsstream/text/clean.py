"""Page-furniture removal and text normalisation (pure: no I/O, no network).

News pages carry furniture around the article: image captions and credits, share buttons,
media badges ("Artikel mit Video-Inhalten"), programme notes ("Über dieses Thema berichtet:"),
embedded-media labels ("Im Video:", "Karte:"), ``[externer Link]`` markers, newsletter
promotion and series sign-offs. None of it is the author's text, and all of it confuses the
entity and quotation models downstream, so it is removed here by *generic* rules (patterns of
furniture, never a list of one article's strings). Quoted speech is never rewritten: the only
in-paragraph edits are marker removal and whitespace normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

#: Zero-width and soft characters that only affect rendering.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

#: Inline markers that screen readers get next to a link; not part of the sentence.
_INLINE_MARKERS = re.compile(
    r"\s*\[(?:externer\s+Link|extern|Link|Anzeige|Werbung)(?:[,;:][^\]]{0,80})?\]", re.IGNORECASE
)

#: Credit lines under pictures and videos.
_CREDIT = re.compile(
    r"^(?:Bildrechte|Bildquelle|Bildnachweis|Fotos?|Bild|Grafik|Quelle\s+Bild|Copyright|Video|"
    r"Audio)\s*:\s*\S|^©\s*\S|^\(?(?:Foto|Bild)\s*:",
    re.IGNORECASE,
)

#: Share and page-tool buttons ("Per Mail sharen", "Auf Facebook teilen", "Link kopieren").
_SHARE = re.compile(
    r"^(?:(?:per|auf|bei|via|über)\s+[\w.-]+(?:\s+[\w.-]+)?\s+(?:sharen|teilen|empfehlen)|"
    r"(?:artikel\s+)?(?:teilen|sharen|drucken|merken)|link\s+kopieren|"
    r"(?:zum|zur)\s+(?:Merkliste|Artikelanfang)(?:\s+hinzufügen)?)$",
    re.IGNORECASE,
)

#: Media badges; a line made only of these is furniture.
_BADGE = re.compile(
    r"Artikel\s+mit\s+[\w-]+-Inhalten|(?:Video|Audio|Podcast|Live)(?:beitrag|stream|ticker|blog)|"
    r"Bildergalerie|Exklusiv|Eilmeldung|Liveticker|Galerie",
    re.IGNORECASE,
)

#: Labels that introduce embedded media, related links or programme notes.
_LABELLED_NOTE = re.compile(
    r"^(?:Über\s+dieses\s+Thema\s+berichte(?:t|ten)|Im\s+(?:Video|Audio|Podcast|Livestream)|"
    r"Karte|Grafik|Infografik|Video|Audio|Podcast|Bildergalerie|Mehr\s+zum\s+Thema|"
    r"Lesen\s+Sie\s+(?:auch|mehr)|Auch\s+interessant|Das\s+könnte\s+Sie\s+auch\s+interessieren|"
    r"Zum\s+(?:Artikel|Video|Audio|Podcast|Liveticker)|Sendung|Sendehinweis|Jetzt\s+(?:anhören|ansehen)|"
    r"Hören\s+Sie|Sehen\s+Sie|Quelle|Mit\s+Material\s+von)\b[^:\n]{0,40}:",
    re.IGNORECASE,
)
#: A labelled note longer than this is treated as a real paragraph that happens to start so.
_NOTE_MAX_CHARS = 220

#: "Das ist die Europäische Perspektive bei BR24." and similar series sign-offs.
_SIGN_OFF = re.compile(
    r"^(?:Das|Dies)\s+(?:ist|war)\s+(?:die|der|das|ein|eine)\s+[^.!?]{2,70}?\s+"
    r"(?:bei|von|auf|im|in)\s+(?:[A-ZÄÖÜ][A-Z0-9ÄÖÜ]+[\w-]*|[\w-]+\.(?:de|at|ch|com|eu))\.?$"
)

#: Newsletter and app promotion.
_PROMO_WORDS = re.compile(r"newsletter|\bapp\b|push-mitteilung|whatsapp-kanal", re.IGNORECASE)
_PROMO_CALL = re.compile(
    r"anmeld|abonn|herunter|installieren|hier\s+geht|jetzt\s+(?:kostenlos|hier)|registrier",
    re.IGNORECASE,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Function words that tell an English caption from German prose.
_EN_WORDS = _words(
    "the a an of to and after his her their with at on for from is are was were by during "
    "speaks said says while who which this that its outside inside near before as has have "
    "they he she it be will"
)
_DE_WORDS = _words(
    "der die das und ist nicht mit den dem des ein eine einer sich auf für von zu im sie er es "
    "auch wird sind war hat haben wie aber oder nach bei über"
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass
class CleanText:
    """The result of :func:`clean_text`: what was kept, and what was removed (for audits)."""

    title: str | None
    teaser: str
    body: str
    removed: list[str] = field(default_factory=list)


def normalize(text: str) -> str:
    """NFC, invisible characters dropped, runs of spaces collapsed; quotes are left as they are."""
    # a regex, not str.translate: translate with a table is slow on non-ASCII text (a tenth of
    # the poller's page cleaning)
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return _SPACES.sub(" ", text).strip()


def strip_inline_markers(paragraph: str) -> str:
    """Remove ``[externer Link…]``-style markers from inside a paragraph."""
    return _INLINE_MARKERS.sub("", paragraph)


@lru_cache(maxsize=1024)
def is_english(line: str) -> bool:
    """True for a line that reads as English (agency captions on German pages).

    Cached: page cleaning asks it twice of every line (is the page English, is the line a
    caption), and it was a sixth of the cleaning's CPU."""
    words = [w.lower() for w in _WORD.findall(line)]
    if len(words) < 5:
        return False
    en = sum(w in _EN_WORDS for w in words)
    de = sum(w in _DE_WORDS for w in words)
    return en >= 3 and en > 2 * de


def is_credit(line: str) -> bool:
    return bool(_CREDIT.match(line)) and len(line) < 200


def furniture_reason(line: str, *, english_page: bool = False) -> str | None:
    """Why ``line`` is page furniture, or None when it is article text.

    An English line in a German article is a caption; in an English article (``english_page``:
    outlets publish those too) it is the text.
    """
    if not line:
        return "empty"
    if is_credit(line):
        return "credit"
    if _SHARE.match(line):
        return "share"
    if len(line) < 120 and not _BADGE.sub("", line).strip(" \t|·•,-"):
        return "badge"
    if _LABELLED_NOTE.match(line) and len(line) <= _NOTE_MAX_CHARS:
        return "note"
    if len(line) < 120 and _SIGN_OFF.match(line):
        return "sign_off"
    if _PROMO_WORDS.search(line) and _PROMO_CALL.search(line):
        return "promotion"
    if not english_page and is_english(line):
        return "english_caption"
    return None


def _next_line(lines: list[str], i: int) -> str:
    """The first non-empty line after ``lines[i]`` (without copying the rest of the list)."""
    for j in range(i + 1, len(lines)):
        if lines[j]:
            return lines[j]
    return ""


def _clean_lines(lines: list[str], removed: list[str]) -> list[str]:
    """Normalise ``lines``, drop furniture (recording it in ``removed``), keep the rest in order."""
    normalised = [normalize(line) for line in lines]
    total = sum(len(line) for line in normalised) or 1
    english_page = sum(len(line) for line in normalised if is_english(line)) > total / 2
    kept: list[str] = []
    for i, line in enumerate(normalised):
        if not line:
            continue
        reason = furniture_reason(line, english_page=english_page)
        following = _next_line(normalised, i)
        if reason is None and is_credit(following) and len(line) < 400:
            reason = "caption"  # the line right above a picture credit is its caption
        if reason is not None:
            removed.append(line)
            continue
        stripped = strip_inline_markers(line)
        if stripped != line:
            stripped = normalize(stripped)
            removed.extend(m.group(0).strip() for m in _INLINE_MARKERS.finditer(line))
        if stripped and kept and kept[-1] == stripped:
            removed.append(stripped)  # printed twice in a row (title above and below a picture)
        elif stripped:
            kept.append(stripped)
    return kept


def clean_paragraphs(paragraphs: list[str]) -> list[str]:
    """The article paragraphs of ``paragraphs`` (already split by the HTML extractor), cleaned."""
    lines = [line for paragraph in paragraphs for line in paragraph.splitlines()]
    return _clean_lines(lines, [])


def _looks_like_title(line: str) -> bool:
    """Headline-like: short and not ending like a sentence (a question mark is allowed)."""
    return 3 <= len(line) <= 150 and not line.endswith((".", "!", ":", ",", ";"))


def clean_text(text: str) -> CleanText:
    """Split scraped plain text into title, teaser and cleaned body.

    The title is the first headline-like line (repeats of it are dropped: pages print it
    twice), the teaser the first paragraph after it; paragraphs in ``body`` are separated by
    a blank line.
    """
    removed: list[str] = []
    kept = _clean_lines(text.splitlines(), removed)
    title: str | None = None
    teaser = ""
    body: list[str] = []
    for line in kept:
        if title is None and _looks_like_title(line):
            title = line
        elif title is not None and line == title:
            removed.append(line)
        elif title is not None and not teaser and not body and not _looks_like_title(line):
            teaser = line
        else:
            body.append(line)
    return CleanText(title=title, teaser=teaser, body="\n\n".join(body), removed=removed)
