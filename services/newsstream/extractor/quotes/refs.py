"""Speaker phrases as written (:class:`SpeakerRef`) and the word tests the parsers share.

Which capitalised word can be part of a name is the heart of attribution without a strong
model: German capitalises every noun and every sentence start. A word is a name candidate
when the model tagged it, or when it is capitalised and none of these: a role or organisation
noun, a common-noun ending, a function word (adverb, conjunction) or - when the pipeline has
the lexicon features - a word the German dictionary knows only in lower case ("Gleichzeitig",
"Immer" at the start of a sentence).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from newsstream.extractor.names import Gender, first_name_gender
from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.segments import Word

SpeakerKind = Literal["PER", "ORG", "UNNAMED", "PRON"]


@dataclass(frozen=True)
class SpeakerRef:
    """A speaker phrase as written: ``text`` is the name (or org / unnamed phrase)."""

    text: str
    kind: SpeakerKind
    role: str | None
    start: int
    end: int
    #: "der Militärexperte" (may refer back to a named person), not "ein Sprecher".
    definite: bool = False
    #: The article in front ("der", "die", "ein"): the gender of "die Vorsitzende".
    det: str | None = None


#: What the pipeline's dictionary features say about one token: "plain" (known only as a
#: lower-case word: "Gleichzeitig", "Immer"), "noun" (only as a common noun: "Waffenruhe"),
#: None (a possible name, or unknown).
LexicalHint = Callable[[int, int], str | None]


@dataclass
class EntityIndex:
    """The model's entities by start offset, plus what the lexicon says about single words.

    ``hint(start, end)`` is the :data:`LexicalHint` of a token when the pipeline has lexicon
    features; ``surnames`` are last words of the article's multi-word person names, which
    stay names even when they are also words ("Kurz").
    """

    spans: dict[int, tuple[int, int, str]] = field(default_factory=dict)
    hint: LexicalHint | None = None
    surnames: frozenset[str] = frozenset()  # grows once the rules have found more names

    def get(self, start: int) -> tuple[int, int, str] | None:
        return self.spans.get(start)

    def __contains__(self, start: object) -> bool:
        return start in self.spans

    def is_plain(self, word: Word) -> bool:
        """A capitalised function word or dictionary lower-case word, never a name."""
        if word.text in self.surnames:
            return False
        if word.lower in lx.FUNCTION_WORDS:
            return True
        return self.hint is not None and self.hint(word.start, word.end) == "plain"

    def is_common_noun(self, word: Word) -> bool:
        """A word the dictionary knows only as a common noun: it cannot start a name."""
        if word.text in self.surnames or self.hint is None:
            return False
        return self.hint(word.start, word.end) == "noun"


_NEVER_FIRST_NAMES = (
    lx.DETERMINERS | lx.NON_NAMES | lx.FUNCTION_WORDS | lx.CALENDAR | lx.PREPOSITIONS
)


def first_name(word: str) -> Gender | None:
    """The gender of ``word`` as a first name, unless it is a German word first ("Eine",
    "Mai" are names somewhere, but not at the start of a German sentence)."""
    if word.lower() in _NEVER_FIRST_NAMES:
        return None
    return first_name_gender(word)


@lru_cache(maxsize=65536)
def is_role(word: str) -> bool:
    """Role nouns and their compounds, inflected or not (Militärexperten, CSU-Chef)."""
    low = word.lower()
    last = low.rsplit("-", 1)[-1]
    for form in (last, last[:-1], last[:-2]):
        if form and (form in lx.ROLE_WORDS or form.endswith(lx.ROLE_WORDS)):
            return True
    return False


@lru_cache(maxsize=65536)
def is_org(word: str) -> bool:
    """Organisation nouns and their compounds (Polizei, Innenministerium, Landratsamt); a
    person's role that merely ends like one ("Stadtbrandrat" vs "-rat") is not."""
    low = word.lower().rsplit("-", 1)[-1]
    for form in (low, low[:-1], low[:-2]):
        if form in lx.ORG_WORDS:
            return True
        suffix = next((x for x in lx.ORG_SUFFIXES if form.endswith(x)), None)
        if suffix is not None and len(form) > 6:
            role = next((r for r in lx.ROLE_WORDS if form.endswith(r)), "")
            return len(role) <= len(suffix)
    return False


def is_name_like(word: Word, entities: EntityIndex) -> bool:
    """A capitalised token that can belong to a name (not a role, org or common noun)."""
    if word.quoted or not word.is_cap or not word.text[0].isalpha():
        return False
    hit = entities.get(word.start)
    if hit is not None:
        return hit[1] > word.end or not entities.is_plain(word)
    low = word.lower
    if low in lx.NON_NAMES or low in lx.PREPOSITIONS or entities.is_plain(word):
        return False
    if is_role(word.text):
        return False
    if len(low) > 5 and low.endswith(lx.NOUN_SUFFIXES):
        return False
    return not (word.text.isupper() and len(word.text) > 1 and is_org(word.text))


def label_of(words: list[Word], entities: EntityIndex) -> str | None:
    """The model's label of the first entity-backed word, if any."""
    for w in words:
        hit = entities.get(w.start)
        if hit:
            return hit[2]
    return None


def join(words: list[Word]) -> str:
    return " ".join(w.text for w in words)
