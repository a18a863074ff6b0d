"""The partly recovered GermEval train split: parsing and the three completion modes."""

from __future__ import annotations

import random

import pytest

from newsstream.nlp.corpora import MISSING, Sentence
from newsstream.nlp.partial import (
    Fillers,
    PartialSentence,
    build_fillers,
    casing_class,
    complete_sentence,
    complete_sentences,
    parse_partial,
)

LINES = [
    "# sent_id\ttoken\touter_label\tstatus\tcasing\n",
    "0\t<MISSING>\tB-PER\tM\tinitialUpper\n",
    "0\tsagte\tO\tR\tallLower\n",
    "0\t<UNK>\tO\tU\tallLower\n",
    "0\tin\tO\tR\tallLower\n",
    "0\tBerlin\tB-LOC\tR\tinitialUpper\n",
    "1\tdeutsche\tB-LOCderiv\tR\tallLower\n",
    "1\tFirmen\tO\tR\tinitialUpper\n",
]


def test_partial_parse_groups_by_sentence_and_maps_labels() -> None:
    first, second = parse_partial(LINES)
    assert first.tags == ("B-PER", "O", "O", "O", "B-LOC")
    assert first.recovered == (False, True, False, True, True)
    assert first.casing[0] == "initialUpper"
    assert second.tags == ("O", "O")  # LOCderiv -> O


@pytest.mark.parametrize(
    ("word", "casing"),
    [("Haus", "initialUpper"), ("haus", "allLower"), ("SPD", "allUpper"), ("2014", "numeric"),
     ("1a2", "mainly_numeric"), ("1xY", "contains_digit"), (",", "other")],
)  # fmt: skip
def test_partial_casing_class_matches_the_encoding(word: str, casing: str) -> None:
    assert casing_class(word) == casing


def _fillers() -> tuple[list[PartialSentence], Fillers]:
    partial = list(parse_partial(LINES))
    complete = [Sentence(("Anna", "lacht"), ("B-PER", "O"))]
    return partial, build_fillers(complete, partial)


def test_partial_replace_fills_names_by_label_and_words_by_casing() -> None:
    partial, fillers = _fillers()
    sent = complete_sentence(partial[0], fillers, random.Random(0), "replace")
    assert sent is not None
    assert sent.words[0] == "Anna"  # the only complete PER name
    assert sent.words[2] in {"sagte", "in"}  # a recovered lower-case O word
    assert sent.tags == partial[0].tags


def test_partial_mask_keeps_no_loss_on_missing_words() -> None:
    partial, fillers = _fillers()
    sent = complete_sentence(partial[0], fillers, random.Random(0), "mask")
    assert sent is not None
    assert sent.tags == (MISSING, "O", MISSING, "O", "B-LOC")
    assert "<MISSING>" not in sent.words and "<UNK>" not in sent.words


def test_partial_complete_drops_sentences_with_missing_names() -> None:
    partial, fillers = _fillers()
    out = complete_sentences(partial, fillers, mode="complete")
    assert [s.words for s in out] == [("deutsche", "Firmen")]


def test_partial_unknown_mode_is_refused() -> None:
    partial, fillers = _fillers()
    with pytest.raises(ValueError, match="unknown mode"):
        complete_sentence(partial[0], fillers, random.Random(0), "guess")


def test_partial_reads_the_shared_train_split() -> None:
    import gzip
    import itertools

    from newsstream.nlp.ensure import find_ner_data
    from newsstream.settings import Settings

    data = find_ner_data(Settings())
    path = data / "germeval2014" / "train-partial.tsv.gz" if data else None
    if path is None or not path.is_file():
        pytest.skip(
            "GermEval train split not found: put the shared NER data in ../shared/data/ner "
            "(germeval2014/train-partial.tsv.gz) or set NEWSSTREAM_NER_DATA_DIR"
        )
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        sents = list(parse_partial(itertools.islice(fh, 2000)))
    assert len(sents) > 50
    assert all(len(s.words) == len(s.casing) for s in sents)
