"""Paragraphs, quotation-aware sentences and words, as character ranges of the body.

The attribution rules need sentences that never end inside a quotation („A. B“, sagt X is
one unit) and that always end at a line break (headings have no full stop). Statistical
sentence splitters get both wrong often enough, so this module segments the text itself;
it is cheap (one pass) and independent of the spaCy model.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from newsstream.extractor.quotes.marks import QuotedSpan

_TERMINAL = ".!?…"
_CLOSERS = "“”\"'«»‘’›)]"
#: Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"dr", "prof", "st", "nr", "bzw", "ca", "vgl", "z.b", "u.a", "d.h", "etc", "inkl", "ggf"}
    | {"usw", "sog", "mio", "mrd", "abs", "art", "jh", "jr", "sen", "dipl", "ing", "gen", "evtl"}
)
_WORD_RE = re.compile(r"\w[\w\-]*(?:[’'‘]\w+)?|[^\w\s]")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int


@dataclass(slots=True)
class Word:
    """A word outside quotations, or a placeholder (``quoted`` set) for a quoted region."""

    text: str
    start: int
    end: int
    quoted: bool = False
    #: ``text.lower()`` and whether it starts with a capital, computed once: the rules ask
    #: every word many times.
    lower: str = field(init=False, repr=False, compare=False)
    is_cap: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.lower = self.text.lower()
        self.is_cap = self.text[:1].isupper()


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Non-empty lines of ``text`` as (start, end), trimmed of surrounding whitespace."""
    out = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if line.strip():
            lead = len(line) - len(line.lstrip())
            out.append((match.start() + lead, match.start() + len(line.rstrip())))
    return out


def _is_boundary(text: str, i: int, end: int) -> int | None:
    """If a sentence ends at the terminal mark ``text[i]``, return the index after it."""
    j = i + 1
    while j < end and text[j] in _CLOSERS:
        j += 1
    if j >= end:
        return end
    if not text[j].isspace():
        return None
    k = j
    while k < end and text[k].isspace():
        k += 1
    if k >= end:
        return end
    nxt = text[k]
    if not (nxt.isupper() or nxt.isdigit() or nxt in '„“"»«‚['):
        return None
    if text[i] == ".":
        word = re.search(r"([\w.]+)$", text[max(0, i - 12) : i])
        if word and (word.group(1).lower() in _ABBREVIATIONS or word.group(1).isdigit()):
            return None
        if word and len(word.group(1)) == 1 and word.group(1).isupper():
            return None  # an initial: "Gerhard M. Mangott"
    return j


_SENTENCE_MARKS = re.compile(
    "[" + re.escape("".join(sorted(set(_TERMINAL) | set('“”"»«’‘')))) + "]"
)


def sentences(text: str, spans: list[QuotedSpan]) -> list[Sentence]:
    """Sentences of every paragraph; a sentence never ends inside a quoted span."""
    inside = _span_lookup(spans)
    out: list[Sentence] = []
    for p_index, (p_start, p_end) in enumerate(paragraphs(text)):
        start = p_start
        i = p_start
        while i < p_end:
            found = _SENTENCE_MARKS.search(text, i, p_end)  # jump to the next character that
            if found is None:  # can end a sentence (the others change nothing)
                break
            i = found.start()
            ch = text[i]
            if ch in _TERMINAL and inside(i) is None:
                stop = _is_boundary(text, i, p_end)
                if stop is not None:
                    out.append(Sentence(start, stop, p_index))
                    start = stop
                    while start < p_end and text[start].isspace():
                        start += 1
                    i = start
                    continue
            elif (
                ch in '“”"»«’‘'
                and (span := inside(i)) is not None
                and span.close == i
                and text[i - 1] in _TERMINAL
            ):
                # a quotation ending in its own full stop: „Das ist gut.“ Dann …
                stop = _is_boundary(text, i - 1, p_end)
                if stop is not None and stop > i:
                    out.append(Sentence(start, stop, p_index))
                    start = stop
                    while start < p_end and text[start].isspace():
                        start += 1
                    i = start
                    continue
            i += 1
        if start < p_end:
            out.append(Sentence(start, p_end, p_index))
    return out


def _span_lookup(spans: list[QuotedSpan]) -> _Lookup:
    return _Lookup(spans)


class _Lookup:
    """Which quoted span (marks included) contains a character index, in O(log n)."""

    def __init__(self, spans: list[QuotedSpan]) -> None:
        self.spans = spans
        self.starts = [s.open for s in spans]

    def __call__(self, i: int) -> QuotedSpan | None:
        k = bisect_right(self.starts, i) - 1
        if k >= 0 and self.spans[k].open <= i <= self.spans[k].close:
            span = self.spans[k]
            return span if span.open < i <= span.close else None
        return None


def words(text: str, start: int, end: int, spans: list[QuotedSpan]) -> list[Word]:
    """Words of ``text[start:end]``; each quoted span becomes one placeholder word."""
    out: list[Word] = []
    pos = start
    # spans are in text order: start at the first one that can reach into the range
    first = max(0, bisect_right(spans, start, key=_open) - 1)
    for span in spans[first:]:
        if span.open >= end:
            break
        if span.close < start:
            continue
        out.extend(_plain_words(text, pos, max(pos, span.open)))
        out.append(Word(text[span.open : span.close + 1], span.open, span.close + 1, True))
        pos = span.close + 1
    out.extend(_plain_words(text, pos, end))
    return out


def _open(span: QuotedSpan) -> int:
    return span.open


def _plain_words(text: str, start: int, end: int) -> list[Word]:
    return [
        Word(m.group(), start + m.start(), start + m.end())
        for m in _WORD_RE.finditer(text[start:end])
    ]
