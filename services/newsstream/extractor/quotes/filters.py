"""Quoted, but not a quotation: headings, titles, scare quotes and quoted terms.

A heading that abbreviates a quotation (Putin „möchte Ruhe an der Front“) is never counted:
the full quotation follows in the text. Programme, book and newsletter titles are recognised
by the word in front („für „Possoch klärt““, „die Sendung „…““); one to three quoted words
are a term (die „Zeitenwende“) unless a cue attaches them or a speech verb quotes them.
"""

from __future__ import annotations

import re

from newsstream.extractor.quotes import lexicon as lx

_WORDS = re.compile(r"\w+")
_TERMINAL = ".!?…"
_CLOSING = "“”\"'«»‘’›)"
_SCARE_MARKERS = frozenset({"sogenannte", "sogenannten", "sogenannter", "sogenanntes", "sog"})
#: Headings are short; a long line without a full stop is a sloppy paragraph, not a heading.
_MAX_HEADING_WORDS = 25
_TOPIC_PREPOSITIONS = frozenset({"über", "um", "zum", "zur", "gegen", "für"})
_ARTICLES = frozenset({"der", "die", "das", "den", "dem", "des"})


def is_heading(paragraph: str) -> bool:
    """A line without closing punctuation (a heading); its quotes abbreviate real ones."""
    stripped = paragraph.rstrip()
    while stripped and stripped[-1] in _CLOSING:
        stripped = stripped[:-1].rstrip()
    return (
        bool(stripped)
        and stripped[-1] not in _TERMINAL + ":;"
        and len(_WORDS.findall(paragraph)) <= _MAX_HEADING_WORDS
    )


def is_quotation(
    inner: str,
    *,
    in_heading: bool,
    attached: bool,
    previous_word: str | None,
    speech_verb_in_sentence: bool,
    embedded: bool = False,
) -> bool:
    """Whether the quoted text ``inner`` is a quotation (else a title, term or heading);
    ``embedded``: the quoted text stands inside the reporter's sentence (not at its start or
    after a colon), where one quoted word is a term even next to a speech verb."""
    inner = inner.strip()
    words = _WORDS.findall(inner)
    n_words = len(words)
    if in_heading or n_words == 0 or (embedded and n_words == 1 and inner[-1] not in _TERMINAL):
        return False
    if attached:
        return True
    if previous_word is not None:
        if previous_word in _SCARE_MARKERS:
            return False
        if previous_word in _ARTICLES and _title_case(words) and inner[-1] not in _TERMINAL:
            return False  # das „Hamburger Tageblatt“: a name
        if previous_word in lx.TITLE_NOUNS and n_words <= 10:
            return False  # die Sendung „Wer wird Millionär?“
        if (
            previous_word in lx.TITLE_PREPOSITIONS
            and inner[0].isupper()
            and n_words <= 6
            and inner[-1] not in _TERMINAL
        ):
            return False
    if inner[-1] in _TERMINAL:
        return True
    if previous_word in _TOPIC_PREPOSITIONS and _WORDS.findall(inner)[0] in _ARTICLES:
        return n_words > 6  # debattiert über „die Lage im Land“: a named topic
    if n_words <= 3:
        # 'Schulze nannte den Vorschlag „populistisch und unausgegoren“' is a quotation
        return n_words >= 2 and speech_verb_in_sentence
    return True


def _title_case(words: list[str]) -> bool:
    """A short run of capitalised words ("Neue Ruhr Zeitung"): a name, not a statement."""
    return len(words) <= 4 and all(w[:1].isupper() for w in words)
