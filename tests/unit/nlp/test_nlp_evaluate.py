"""The scorer on a hand-computed example (entity-level exact match, micro-averaged)."""

from __future__ import annotations

import pytest

from newsstream.nlp.evaluate import score_tags, spans_from_bio


def test_evaluate_spans_from_bio() -> None:
    tags = ["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG", "B-MISC", "I-MISC"]
    assert spans_from_bio(tags) == {
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (4, 5, "LOC"),
        (5, 6, "ORG"),
        (6, 8, "MISC"),
    }


def test_evaluate_scores_hand_computed_example() -> None:
    gold = [
        ["B-PER", "I-PER", "O", "B-LOC", "O"],  # PER(0,2) LOC(3,4)
        ["B-ORG", "O", "B-PER", "O"],  # ORG(0,1) PER(2,3)
    ]
    pred = [
        ["B-PER", "I-PER", "O", "B-ORG", "O"],  # PER ok, ORG(3,4) wrong label
        ["B-ORG", "O", "B-PER", "I-PER"],  # ORG ok, PER(2,4) wrong boundary
    ]
    result = score_tags(gold, pred).as_dict()
    # tp = 2 (PER 0-2, ORG 0-1); predicted 4; gold 4
    assert result["precision"] == pytest.approx(0.5)
    assert result["recall"] == pytest.approx(0.5)
    assert result["f1"] == pytest.approx(0.5)
    per = result["per_label"]
    # PER: tp 1, pred 2, gold 2
    assert per["PER"] == {"p": 0.5, "r": 0.5, "f1": 0.5}
    # ORG: tp 1, pred 2, gold 1 -> p .5, r 1, f1 2/3
    assert per["ORG"] == {"p": 0.5, "r": 1.0, "f1": 0.6667}
    # LOC: tp 0, pred 0, gold 1
    assert per["LOC"] == {"p": 0.0, "r": 0.0, "f1": 0.0}
    assert set(per) == {"PER", "LOC", "ORG", "MISC"}
    assert set(result) == {"precision", "recall", "f1", "per_label"}


def test_evaluate_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        score_tags([["O"]], [])
