"""Every occurrence of known names in a text, as whole words, with a genitive ending (pure).

The extractor looks for the names an article has already given (every "Putin" and
"Putins" once the model tagged "Wladimir Putin"). It did so with a regular expression
compiled per article, ``(?<![\\w-])(name|name|...)(s|’|')?(?![\\w-])`` with the longest name
first; compiling that alternation in Python cost 1.5-3.7 ms an article, 7 % of the whole
extraction. :func:`find_mentions` gives exactly that expression's matches with ``str.find``,
no compilation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

#: What may follow a name and still belong to the match: the genitive "s" or an apostrophe.
SUFFIXES = frozenset("s’'")


class NameMatch(NamedTuple):
    """``text[start:end]`` is the name and its ending, if any; ``name`` the name matched."""

    start: int
    end: int
    name: str


def _is_word(ch: str) -> bool:
    """``\\w`` (Unicode letters, digits, underscore) or a hyphen."""
    return ch.isalnum() or ch in "_-"


def find_mentions(text: str, names: Iterable[str]) -> list[NameMatch]:
    """The non-overlapping matches, left to right, that the expression above would find.

    At each position the longest name that fits wins; a match must not touch a word
    character or hyphen on either side; an ending "s", "’" or "'" is taken when what follows
    it is no word character (so "Putins" and "Putin’" match, "Putinsche" does not).
    """
    at: dict[int, list[str]] = {}
    for name in set(names):
        if not name:
            continue
        i = text.find(name)
        while i != -1:
            at.setdefault(i, []).append(name)
            i = text.find(name, i + 1)
    matches: list[NameMatch] = []
    taken_to = 0
    for start in sorted(at):
        if start < taken_to or (start > 0 and _is_word(text[start - 1])):
            continue
        for name in sorted(at[start], key=len, reverse=True):
            end = start + len(name)
            follows = text[end : end + 1]
            after = text[end + 1 : end + 2]
            if follows and follows in SUFFIXES and not (after and _is_word(after)):
                end += 1
            elif follows and _is_word(follows):
                continue
            matches.append(NameMatch(start, end, name))
            taken_to = end
            break
    return matches
