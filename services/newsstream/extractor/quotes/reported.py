"""Reported speech: sentences in the Konjunktiv I continue what somebody said.

German news marks indirect speech with the subjunctive ("Das sei falsch, sagte sie. Man
habe zu spät reagiert."): a sentence with such a verb outside quotation marks and no cue of
its own reports the current speaker, and a quotation inside or right after it is theirs.
Only unambiguous third-person forms count (sei, habe, werde, könne, …), never a question.
"""

from __future__ import annotations

from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.segments import Word

_FIRST_PERSON = frozenset({"ich", "wir"})


def is_reported(words: list[Word]) -> bool:
    """Whether a sentence (its words outside quotations) is in indirect speech."""
    if words and words[-1].text == "?":
        return False
    for i, w in enumerate(words):
        if w.quoted or w.lower not in lx.SUBJUNCTIVE:
            continue
        if i == 0 or words[i - 1].lower not in _FIRST_PERSON:
            return True
    return False


_FIRST_PERSON_SUBJECTS = frozenset({"ich", "wir"})


def is_first_person(words: list[Word]) -> bool:
    """Unquoted speech in the first person ("Wir haben große Aufgaben vor uns."): in a news
    text that is the current speaker talking, written without quotation marks."""
    return any(not w.quoted and w.lower in _FIRST_PERSON_SUBJECTS for w in words)
