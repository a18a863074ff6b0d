"""One name resolver per article: shorter forms to the fullest name, and a person's gender.

Articles introduce a person in full ("Gerhard Mangott") and then use the surname ("sagt
Mangott"). Entities and quotation speakers must both name that person the same way, so both
ask this one resolver (built from the article's multi-word person names) instead of keeping a
rule each. A shorter form resolves only when it is unambiguous: with two people sharing a
surname ("Anna Weber", "Jonas Weber") "Weber" stays as written. Matching is word-wise, so
"Steiner" never resolves to "Katrin Ebner-Steiner".

Gender comes from the first name (``gender-guesser``'s German list, then its international
one); pronoun resolution uses it so that "sie" does not land on a man.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Literal

Gender = Literal["m", "f"]

#: Words in front of a name that are not first names.
_TITLES = frozenset({"dr", "dr.", "prof", "prof.", "herr", "frau", "sankt", "st."})


@lru_cache(maxsize=1)
def _detector() -> Any:
    import gender_guesser.detector as guesser  # type: ignore[import-untyped]  # loads once

    return guesser.Detector(case_sensitive=False)


@lru_cache(maxsize=8192)
def first_name_gender(first: str) -> Gender | None:
    """ "Petra" -> "f", "Hubert" -> "m"; unisex or unknown names -> None."""
    if len(first) < 2 or not first[0].isupper() or not first.isalpha():
        return None
    guess = _detector().get_gender(first, "germany")
    if guess in {"unknown", "andy"}:
        guess = _detector().get_gender(first)
    if guess in {"female", "mostly_female"}:
        return "f"
    if guess in {"male", "mostly_male"}:
        return "m"
    return None


class NameResolver:
    """Fullest form of every person name of one article (built from its multi-word names)."""

    def __init__(self, names: Iterable[str], aliases: dict[str, str] | None = None) -> None:
        #: Short forms the article spells out once: "BLLV" -> "Bayerischer Lehrerverband".
        self.aliases = dict(aliases or {})
        forms: dict[str, set[tuple[str, ...]]] = {}
        for name in names:
            parts = tuple(name.split())
            if len(parts) > 1:
                forms.setdefault(parts[-1], set()).add(parts)
        self._fullest: dict[str, tuple[str, ...]] = {}
        for surname, variants in forms.items():
            longest = max(variants, key=lambda p: (len(p), len(" ".join(p))))
            if all(_ends_with(longest, v) for v in variants):
                self._fullest[surname] = longest

    def canonical(self, name: str) -> str:
        """The fullest form ending in ``name`` (word-wise), or the long form of an
        abbreviation, else ``name`` itself."""
        if name in self.aliases:
            return self.aliases[name]
        parts = tuple(name.split())
        full = self._fullest.get(parts[-1]) if parts else None
        if full is not None and _ends_with(full, parts):
            return " ".join(full)
        return name

    def knows_surname(self, word: str) -> bool:
        """Whether ``word`` is the surname of a multi-word person name of the article."""
        return word in self._fullest

    def gender(self, name: str) -> Gender | None:
        """Gender of the person ``name`` from the first name of its fullest form."""
        parts = self.canonical(name).split()
        firsts = [p for p in parts[:-1] if p.lower() not in _TITLES]
        return first_name_gender(firsts[0]) if firsts else None


def _ends_with(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    return len(shorter) <= len(longer) and longer[len(longer) - len(shorter) :] == shorter


_ABBREVIATION = re.compile(r"\(([A-ZÄÖÜ][A-ZÄÖÜ0-9]{1,6})\)")
_BEFORE = re.compile(r"[\w-]+")
_LEADING = frozenset({"der", "die", "das", "den", "dem", "des"})


def abbreviations(text: str) -> dict[str, str]:
    """ "Der Bayerische Lehrerverband (BLV)": each abbreviation in brackets with the words
    before it that it abbreviates (its letters in order, the first one a word's initial)."""
    out: dict[str, str] = {}
    for match in _ABBREVIATION.finditer(text):
        abbr = match.group(1)
        words = _BEFORE.findall(text[max(0, match.start() - 120) : match.start()])[-7:]
        for k in range(len(words) - 1, -1, -1):
            if words[k][:1] != abbr[0] or words[k].lower() in _LEADING:
                continue
            full = " ".join(words[k:])
            if len(words) - k > 1 and _covers(abbr.lower(), full.lower()):
                out.setdefault(abbr, full)
            break
    return out


def _covers(letters: str, text: str) -> bool:
    position = 0
    for letter in letters:
        position = text.find(letter, position) + 1
        if position == 0:
            return False
    return True
