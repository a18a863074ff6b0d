"""Converters on small hand-made samples: alignment, the -deriv/-part rule, IOB1 -> BIO."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsstream.nlp.corpora import (
    MISSING,
    Sentence,
    drop_adjective_names,
    iob1_to_bio,
    map_germeval_tag,
    mask_misc_candidates,
    parse_conll2,
    parse_europarl,
    parse_germeval,
    read_any,
    repair_bio,
    split_heldout,
)

GERMEVAL = """\
# http://example.org/a [2009-10-17]
1\tDie\tO\tO
2\tdeutsche\tB-LOCderiv\tO
3\tEU-Kommission\tB-ORGpart\tB-LOC
4\tlobt\tO\tO
5\tAngela\tB-PER\tO
6\tMerkel\tI-PER\tO
7\tin\tO\tO
8\t"\tO\tO
9\tEcce\tB-OTH\tO
10\thomo\tI-OTH\tO
11\t"\tO\tO

1\tBayern\tB-LOC\tO
2\tMünchen\tI-ORG\tO
"""

EUROPARL = """\
Frau\tFrau\tNN\tI-NC\tO
Merkel\tMerkel\tNE\tI-NC\tI-PER
und\tund\tKON\tO\tO
die\td\tART\tI-NC\tO
europäischen\teuropäisch\tADJA\tI-NC\tI-MISC
Grünen\tGrüne\tNN\tI-NC\tI-ORG
Europäische\tEuropäisch\tADJA\tI-NC\tB-ORG
Union\tUnion\tNN\tI-NC\tI-ORG
Paris\tParis\tNE\tI-NC\tI-LOC
Berlin\tBerlin\tNE\tI-NC\tB-LOC

Schengen-Abkommen\tSchengen-Abkommen\tNN\tI-NC\tI-MISC
"""


def test_corpora_germeval_keeps_alignment_and_outer_labels() -> None:
    first, second = list(parse_germeval(GERMEVAL.splitlines(keepends=True)))
    assert first.words == (
        "Die",
        "deutsche",
        "EU-Kommission",
        "lobt",
        "Angela",
        "Merkel",
        "in",
        '"',
        "Ecce",
        "homo",
        '"',
    )
    assert first.tags == ("O", "O", "O", "O", "B-PER", "I-PER", "O", "O", "B-MISC", "I-MISC", "O")
    # an I- of another label than the open chunk starts a new chunk
    assert second.tags == ("B-LOC", "B-ORG")


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("B-LOCderiv", "O"),
        ("I-LOCderiv", "O"),
        ("B-ORGpart", "O"),
        ("B-PERpart", "O"),
        ("B-OTH", "B-MISC"),
        ("I-OTH", "I-MISC"),
        ("B-PER", "B-PER"),
        ("O", "O"),
    ],
)
def test_corpora_germeval_deriv_part_rule(tag: str, expected: str) -> None:
    assert map_germeval_tag(tag) == expected


def test_corpora_iob1_to_bio() -> None:
    assert iob1_to_bio(["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG", "I-LOC"]) == [
        "B-PER",
        "I-PER",
        "O",
        "B-LOC",
        "B-LOC",
        "B-ORG",
        "B-LOC",
    ]


def test_corpora_europarl_iob1_and_lowercase_misc_dropped() -> None:
    first, second = list(parse_europarl(EUROPARL.splitlines(keepends=True)))
    assert len(first.words) == len(first.tags) == 10
    assert first.tags == ("O", "B-PER", "O", "O", "O", "B-ORG", "B-ORG", "I-ORG", "B-LOC", "B-LOC")
    assert second.tags == ("B-MISC",)


def test_corpora_conll2_and_format_guess(tmp_path: Path) -> None:
    text = "Maserati\tB-ORG\n:\tO\nin\tO\nNew\tB-LOC\nYork\tI-LOC\n\nRom\tI-LOC\n"
    assert [s.tags for s in parse_conll2(text.splitlines())] == [
        ("B-ORG", "O", "O", "B-LOC", "I-LOC"),
        ("B-LOC",),
    ]
    (tmp_path / "g.tsv").write_text(GERMEVAL, encoding="utf-8")
    (tmp_path / "e.tsv").write_text(EUROPARL, encoding="utf-8")
    (tmp_path / "c.tsv").write_text(text, encoding="utf-8")
    assert read_any(tmp_path / "g.tsv")[0].tags[4] == "B-PER"
    assert read_any(tmp_path / "e.tsv")[0].tags[1] == "B-PER"
    assert read_any(tmp_path / "c.tsv")[0].tags[0] == "B-ORG"


def test_corpora_sentence_rejects_misaligned_tags() -> None:
    with pytest.raises(ValueError):
        Sentence(("a", "b"), ("O",))


def test_corpora_split_heldout_takes_the_last_sentences() -> None:
    sents = [Sentence((str(i),), ("O",)) for i in range(10)]
    train, held = split_heldout(sents, 3)
    assert [s.words[0] for s in held] == ["7", "8", "9"]
    assert len(train) == 7
    assert repair_bio(["I-X"]) == ["B-X"]


def test_corpora_mask_misc_candidates_marks_capitalised_o_missing() -> None:
    sent = Sentence(("Der", "Tatort", "mit", "Til", "Schweiger"), ("O", "O", "O", "B-PER", "I-PER"))
    assert mask_misc_candidates(sent).tags == ("O", MISSING, "O", "B-PER", "I-PER")


def test_corpora_drop_adjective_names_follows_germeval_deriv_rule() -> None:
    words = ("die", "holländische", "Polizei", "und", "dpa", "in", "den", "deutschen", "Alpen")
    tags = ("O", "B-LOC", "O", "O", "B-ORG", "O", "O", "B-LOC", "I-LOC")
    dropped = drop_adjective_names(Sentence(words, tags))
    # Adjectives are LOCderiv in GermEval (= O); "Alpen" remains a place, "dpa" (lower-case but
    # no adjective) an organisation.
    assert dropped.tags == ("O", "O", "O", "O", "B-ORG", "O", "O", "O", "B-LOC")
