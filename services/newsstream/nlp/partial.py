"""The GermEval 2014 train split with partly recovered text, made trainable.

``germeval2014/train-partial.tsv.gz`` has all 24,000 train sentences with complete gold outer
labels, but only 80 % of the token text (48 % of entity tokens): the rest is ``<MISSING>`` or
``<UNK>`` with a casing class. Training on the placeholders would teach the model a token it
never sees in real text, so each sentence is completed first (``mode``):

- ``replace`` (mention replacement): an entity span with a missing word becomes a whole name of
  the same label, casing pattern and length drawn from complete names (recovered train names and
  the other training corpora, never held-out sentences); a missing word outside names becomes a
  recovered word of the same casing class. Every sentence is kept, with every label.
- ``mask``: missing words are filled as above, but their tags become "missing" (no loss).
- ``complete``: only sentences whose entity words were all recovered, other gaps filled.

Parsing is pure; :func:`complete_sentences` takes its filler pools and random generator in.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from newsstream.nlp.corpora import (
    MISSING,
    Sentence,
    _blocks,
    map_germeval_tag,
    repair_bio,
    spans_from_bio,
)

MODES = ("replace", "mask", "complete")
RECOVERED = "R"


@dataclass(frozen=True)
class PartialSentence:
    """Words (placeholders where not recovered), BIO tags, recovery status and casing class."""

    words: tuple[str, ...]
    tags: tuple[str, ...]
    recovered: tuple[bool, ...]
    casing: tuple[str, ...]


def casing_class(word: str) -> str:
    """The casing class of the UKP encoding the train split was rebuilt from."""
    digits = sum(ch.isdigit() for ch in word)
    if word.isdigit():
        return "numeric"
    if digits / max(len(word), 1) > 0.5:
        return "mainly_numeric"
    if word.islower():
        return "allLower"
    if word.isupper():
        return "allUpper"
    if word[:1].isupper():
        return "initialUpper"
    if digits:
        return "contains_digit"
    return "other"


def parse_partial(lines: Iterable[str]) -> Iterator[PartialSentence]:
    """Rows ``sent_id, token, outer_label, status, casing``; ``#`` header lines are skipped."""
    by_id: dict[str, list[list[str]]] = defaultdict(list)
    order: list[str] = []
    for block in _blocks(lines):
        for row in block:
            if row[0].startswith("#") or len(row) < 5:
                continue
            if row[0] not in by_id:
                order.append(row[0])
            by_id[row[0]].append(row)
    for sent_id in order:
        rows = by_id[sent_id]
        tags = repair_bio([map_germeval_tag(r[2]) for r in rows])
        yield PartialSentence(
            words=tuple(r[1] for r in rows),
            tags=tuple(tags),
            recovered=tuple(r[3] == RECOVERED for r in rows),
            casing=tuple(r[4] for r in rows),
        )


@dataclass
class Fillers:
    """Where missing words come from: whole names by label and casing, words by casing class."""

    names: dict[tuple[str, tuple[str, ...]], list[tuple[str, ...]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    names_by_length: dict[tuple[str, int], list[tuple[str, ...]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    words: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add_name(self, label: str, words: tuple[str, ...]) -> None:
        casing = tuple(casing_class(w) for w in words)
        self.names[label, casing].append(words)
        self.names_by_length[label, len(words)].append(words)

    def add_word(self, word: str, casing: str) -> None:
        self.words[casing].append(word)


def build_fillers(complete: Iterable[Sentence], partial: Iterable[PartialSentence]) -> Fillers:
    """Filler pools from complete training sentences and the recovered parts of ``partial``.

    Pools keep repetitions, so frequent names and words are drawn as often as they occur.
    Callers pass only sentences that are trained on: never held-out ones.
    """
    fillers = Fillers()
    for sent in complete:
        for start, end, label in spans_from_bio(sent.tags):
            fillers.add_name(label, sent.words[start:end])
    for part in partial:
        for start, end, label in spans_from_bio(part.tags):
            if all(part.recovered[start:end]):
                fillers.add_name(label, part.words[start:end])
        for word, tag, ok, casing in zip(
            part.words, part.tags, part.recovered, part.casing, strict=True
        ):
            if ok and tag == "O":
                fillers.add_word(word, casing)
    return fillers


def _pick_name(
    fillers: Fillers, label: str, casing: Sequence[str], rng: random.Random
) -> tuple[str, ...] | None:
    pool = fillers.names.get((label, tuple(casing))) or fillers.names_by_length.get(
        (label, len(casing))
    )
    return rng.choice(pool) if pool else None


def _pick_word(fillers: Fillers, casing: str, rng: random.Random) -> str:
    pool = fillers.words.get(casing) or fillers.words.get("other") or ["_"]
    return rng.choice(pool)


def complete_sentence(
    part: PartialSentence, fillers: Fillers, rng: random.Random, mode: str = "replace"
) -> Sentence | None:
    """One trainable sentence from ``part`` (``None`` when ``mode`` drops it)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
    words = list(part.words)
    tags = list(part.tags)
    for i, ok in enumerate(part.recovered):
        if not ok:
            words[i] = _pick_word(fillers, part.casing[i], rng)
            if mode == "mask":
                tags[i] = MISSING
    for start, end, label in sorted(spans_from_bio(part.tags)):
        if all(part.recovered[start:end]):
            continue
        if mode == "complete":
            return None
        if mode == "mask":
            continue
        name = _pick_name(fillers, label, part.casing[start:end], rng)
        if name is None or len(name) != end - start:
            # No complete name of this shape: keep the casing-class words, label unchanged.
            continue
        words[start:end] = name
    return Sentence(tuple(words), tuple(tags))


def complete_sentences(
    partial: Sequence[PartialSentence], fillers: Fillers, seed: int = 0, mode: str = "replace"
) -> list[Sentence]:
    """Every sentence of ``partial`` completed by ``mode`` (deterministic for a seed)."""
    rng = random.Random(seed)
    out = (complete_sentence(p, fillers, rng, mode) for p in partial)
    return [s for s in out if s is not None]
