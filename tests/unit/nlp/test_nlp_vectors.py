"""floret vectors on a tiny text, turned into a plain word table spaCy looks up without hashing."""

from __future__ import annotations

from pathlib import Path

import spacy

from newsstream.nlp.vectors import floret_to_table, train_floret, vocabulary


def test_vectors_floret_to_table(tmp_path: Path) -> None:
    text = tmp_path / "text.txt"
    lines = ["Die Nato tagt in Brüssel .", "Der Kreml schweigt .", "Die Nato schweigt ."] * 30
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")

    floret_model = train_floret(text, tmp_path / "floret", dim=8, epoch=1)
    words = vocabulary(text, size=4)
    assert words[0] in {"Die", "."} and len(words) == 4
    table = floret_to_table(floret_model, words, tmp_path / "table")

    vectors = spacy.load(table).vocab.vectors
    assert vectors.mode == "default"
    assert vectors.shape == (4, 8)
    assert all(vectors.find(key=w) >= 0 for w in words)
