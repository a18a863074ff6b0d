"""Person names the model missed, found by their shape: a known first name and a surname.

The entity model is small and misses people ("Umweltministerin Petra Sommer besuchte …"),
and pronouns and role phrases can only be resolved to people the article is known to
mention. A capitalised run that starts with a first name (``gender-guesser``'s list: a
generic German and international name list, not a list of public figures) followed by one
to three name-like words is a person; so is "Frau"/"Herr" followed by a name. Common nouns,
role and organisation words, function words and words the dictionary knows only as common
nouns end the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from newsstream.extractor.names import Gender
from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.refs import EntityIndex, first_name, is_org, is_role
from newsstream.extractor.quotes.segments import Word

_CAPITALISED_RUN = re.compile(
    r"(?<![\w-])(?:(?:Dr|Prof)\.\s+)*[A-ZÄÖÜ][\w'’-]*(?:\s+(?:(?:von|van|de|zu)\s+(?:der\s+)?)?"
    r"(?:(?:Dr|Prof)\.\s+)*[A-ZÄÖÜ][\w'’-]*)+"
)
_TITLE = re.compile(r"(?:Dr|Prof)\.")
_TOKEN = re.compile(r"(?:Dr|Prof)\.|[\w'’-]+")
_ADDRESS: dict[str, Gender] = {"Frau": "f", "Herr": "m", "Herrn": "m"}
_PARTICLES = frozenset({"von", "van", "de", "zu", "der"})


@dataclass(frozen=True)
class FoundName:
    """A person name at ``start``-``end`` (titles included: "Dr. Ilse Kranz")."""

    text: str
    start: int
    end: int
    gender: Gender | None


def find_names(text: str, start: int, end: int, entities: EntityIndex) -> Iterator[FoundName]:
    """Person names in ``text[start:end]`` (a stretch outside quotations)."""
    for run in _CAPITALISED_RUN.finditer(text, start, end):
        tokens = [(m.group(), run.start() + m.start()) for m in _TOKEN.finditer(run.group())]
        yield from _names_in_run(tokens, entities)


def _names_in_run(tokens: list[tuple[str, int]], entities: EntityIndex) -> Iterator[FoundName]:
    i = 0
    while i < len(tokens) - 1:
        word = tokens[i][0]
        address = _ADDRESS.get(word)
        gender = address or first_name(word)
        end = _name_end(tokens, i, entities) if (address or gender) else i + 1
        if end <= i + 1:
            i += 1
            continue
        begin = i + 1 if address else i
        while begin > 0 and _TITLE.fullmatch(tokens[begin - 1][0]):
            begin -= 1
        last_word, last_pos = tokens[end - 1]
        text = " ".join(t for t, _ in tokens[begin:end])
        yield FoundName(text, tokens[begin][1], last_pos + len(last_word), gender)
        i = end


def _name_end(tokens: list[tuple[str, int]], i: int, entities: EntityIndex) -> int:
    """Where the name that starts with the first name (or address) at ``i`` ends: particles
    only right after it and before a surname ("Ursula von der Leyen", not "… von der CSU")."""
    j = i + 1
    k = j
    while k < len(tokens) and tokens[k][0] in _PARTICLES:
        k += 1
    if k > j:
        if k >= len(tokens) or tokens[k][0].isupper() or not _name_word(tokens[k], entities):
            return i + 1
        j = k
    while j < len(tokens) and j < i + 4 and _name_word(tokens[j], entities):
        j += 1
    return j


def _name_word(token: tuple[str, int], entities: EntityIndex) -> bool:
    text, pos = token
    if not text[:1].isupper() or _TITLE.fullmatch(text):
        return False
    low = text.lower()
    word = Word(text, pos, pos + len(text))
    if low in lx.NON_NAMES or low in lx.CALENDAR or is_role(text) or is_org(text):
        return False
    if entities.is_plain(word) or entities.is_common_noun(word):
        return False
    return not (len(low) > 5 and low.endswith(lx.NOUN_SUFFIXES))
