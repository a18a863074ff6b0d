"""Readers that turn the shared NER corpora into one shape: sentences with BIO tags.

Every source ends up with the labels the rest of newsstream knows (PER, LOC, ORG, MISC), so
training, evaluation and the extractor never care where a sentence came from.

GermEval 2014 rule (documented contract): only the *outer* column is read. Its labels
``PER``/``LOC``/``ORG`` keep their name and ``OTH`` becomes ``MISC``. The ``-deriv`` variants
(``deutschen`` = LOCderiv) and the ``-part`` variants (``EU-Kommission`` = ORGpart) become ``O``:
they tag words that *contain* or are *derived from* a name, not names, and the official German
spaCy models do not tag them either. This is the usual "outer chunks, 4 labels" setting.

Europarl uses IOB1 (``I-X`` opens a chunk; ``B-X`` only splits two adjacent chunks of one type);
it is converted to BIO. Its ``MISC`` tags on lower-case words are adjectives ("europäischen") that
GermEval calls LOCderiv (so ``O`` here): those chunks are dropped to keep MISC consistent.

Parsing functions take lines (pure, testable on hand-made samples); ``read_*`` open files.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

LABELS: tuple[str, ...] = ("PER", "LOC", "ORG", "MISC")
_GERMEVAL_LABELS = {"PER": "PER", "LOC": "LOC", "ORG": "ORG", "OTH": "MISC"}

#: Held-out part of GermEval ``test.tsv`` that is never trained on: its last sentences.
HELDOUT_SENTENCES = 1000


@dataclass(frozen=True)
class Sentence:
    """One tokenised sentence with one BIO tag (labels PER/LOC/ORG/MISC) per token."""

    words: tuple[str, ...]
    tags: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.words) != len(self.tags):
            raise ValueError(f"{len(self.words)} words but {len(self.tags)} tags")


def repair_bio(tags: Sequence[str]) -> list[str]:
    """Make a tag sequence valid BIO: an ``I-X`` that does not continue an ``X`` chunk opens one."""
    out: list[str] = []
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        out.append(tag)
        prev = tag
    return out


def iob1_to_bio(tags: Sequence[str]) -> list[str]:
    """IOB1 (``I-X`` starts a chunk unless it continues one) to BIO (every chunk starts ``B-``)."""
    return repair_bio(tags)


def map_germeval_tag(tag: str) -> str:
    """One GermEval outer tag to BIO over PER/LOC/ORG/MISC (``-deriv``/``-part`` -> ``O``)."""
    if tag in ("", "O") or "-" not in tag:
        return "O"
    prefix, label = tag.split("-", 1)
    mapped = _GERMEVAL_LABELS.get(label)
    if mapped is None or prefix not in ("B", "I"):
        return "O"  # LOCderiv, ORGpart, ... and anything unknown
    return f"{prefix}-{mapped}"


def _blocks(lines: Iterable[str]) -> Iterator[list[list[str]]]:
    """Blank-line separated blocks of tab-separated rows."""
    block: list[list[str]] = []
    for raw in lines:
        line = raw.rstrip("\n").rstrip("\r")
        if not line.strip():
            if block:
                yield block
            block = []
            continue
        block.append(line.split("\t"))
    if block:
        yield block


def parse_germeval(lines: Iterable[str]) -> Iterator[Sentence]:
    """GermEval 2014 rows ``index, token, outer, inner``; ``#`` source lines are skipped."""
    for block in _blocks(lines):
        rows = [r for r in block if not (r[0].startswith("#") and len(r) < 3)]
        if not rows:
            continue
        words = tuple(r[1] for r in rows)
        tags = repair_bio([map_germeval_tag(r[2] if len(r) > 2 else "O") for r in rows])
        yield Sentence(words, tuple(tags))


def _europarl_tag(word: str, tag: str) -> str:
    if tag in ("", "O") or "-" not in tag:
        return "O"
    label = tag.split("-", 1)[1]
    return tag if label in LABELS else "O"


def _drop_lowercase_misc(words: Sequence[str], tags: Sequence[str]) -> list[str]:
    """Remove MISC chunks that start with a lower-case word (adjectives such as "europäischen")."""
    out = list(tags)
    i = 0
    while i < len(out):
        if out[i] == "B-MISC" and words[i][:1].islower():
            j = i
            while j < len(out) and out[j][2:] == "MISC" and (j == i or out[j].startswith("I-")):
                out[j] = "O"
                j += 1
            i = j
        else:
            i += 1
    return out


def parse_europarl(lines: Iterable[str]) -> Iterator[Sentence]:
    """German Europarl rows ``token, lemma, POS, chunk, NER`` with IOB1 NER tags."""
    for block in _blocks(lines):
        words = tuple(r[0] for r in block)
        bio = iob1_to_bio([_europarl_tag(r[0], r[-1] if len(r) > 1 else "O") for r in block])
        yield Sentence(words, tuple(_drop_lowercase_misc(words, bio)))


def parse_conll2(lines: Iterable[str]) -> Iterator[Sentence]:
    """Two-column ``token<TAB>BIO`` files (``data/ner/extra``), labels already PER/LOC/ORG/MISC."""
    for block in _blocks(lines):
        rows = [r for r in block if r[0]]
        if not rows:
            continue
        words = tuple(r[0] for r in rows)
        tags = [r[1] if len(r) > 1 and r[1][2:] in LABELS else "O" for r in rows]
        yield Sentence(words, tuple(repair_bio(tags)))


#: Tag for "not annotated" tokens: spaCy learns nothing from them (neither entity nor O).
MISSING = "-"


def mask_misc_candidates(sentence: Sentence) -> Sentence:
    """Mark capitalised ``O`` tokens (not sentence-initial) as missing.

    For corpora annotated without MISC (SmartData, WikiANN, HIPE), an ``O`` on "Olympia" or
    "Tatort" is no evidence that it is not MISC; training on it would teach the model to never
    predict MISC. Lower-case ``O`` tokens (most words) still teach what is not a name.
    """
    tags = tuple(
        MISSING if tag == "O" and i > 0 and word[:1].isupper() else tag
        for i, (word, tag) in enumerate(zip(sentence.words, sentence.tags, strict=True))
    )
    return Sentence(sentence.words, tags)


Span = tuple[int, int, str]


def spans_from_bio(tags: Sequence[str]) -> set[Span]:
    """Entity spans ``(start, end_exclusive, label)``; an ``I-X`` with no open chunk opens one."""
    spans: set[Span] = set()
    start: int | None = None
    label = ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, tag_label = tag.partition("-")
        continues = prefix == "I" and start is not None and tag_label == label
        if start is not None and not continues:
            spans.add((start, i, label))
            start = None
        if prefix in ("B", "I") and not continues:
            start, label = i, tag_label
    return spans


_ADJECTIVE = re.compile(r"^[a-zäöüß][a-zäöüß-]*(?:isch|sch)(?:e[mnrs]?)?$")


def drop_adjective_names(sentence: Sentence) -> Sentence:
    """Take lower-case adjectives ("holländische", "deutschen") out of entities.

    SmartData tags such adjectives as LOC; GermEval calls them LOCderiv, which is ``O`` in the
    outer PER/LOC/ORG/MISC scheme. Mixing both teaches the model two answers for one question.
    What follows the adjective inside the entity ("deutschen *Alpen*") stays an entity.
    """
    tags = list(sentence.tags)
    for start, end, label in spans_from_bio(sentence.tags):
        first = start
        while first < end and _ADJECTIVE.match(sentence.words[first]):
            tags[first] = "O"
            first += 1
        if start < first < end:
            tags[first] = f"B-{label}"
    return Sentence(sentence.words, tuple(tags))


def _open_lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        yield from fh


def read_germeval(path: Path) -> list[Sentence]:
    return list(parse_germeval(_open_lines(path)))


def read_europarl(path: Path) -> list[Sentence]:
    return list(parse_europarl(_open_lines(path)))


def read_conll2(path: Path) -> list[Sentence]:
    return list(parse_conll2(_open_lines(path)))


def read_any(path: Path) -> list[Sentence]:
    """Guess the format from the first row: index + 3 columns = GermEval, 5 columns = Europarl."""
    for line in _open_lines(path):
        cols = line.rstrip("\n").split("\t")
        if not line.strip() or (cols[0].startswith("#") and len(cols) < 3):
            continue
        if len(cols) >= 5:
            return read_europarl(path)
        if len(cols) >= 3 and cols[0].isdigit():
            return read_germeval(path)
        return read_conll2(path)
    return []


def split_heldout(
    sentences: Sequence[Sentence], n: int = HELDOUT_SENTENCES
) -> tuple[list[Sentence], list[Sentence]]:
    """(trainable, held-out): the held-out part is the last ``n`` sentences, fixed forever."""
    if n <= 0:
        return list(sentences), []
    return list(sentences[:-n]), list(sentences[-n:])
