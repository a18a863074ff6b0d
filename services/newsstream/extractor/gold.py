"""Scoring quotations against a gold file (shared by the quality-gate test and the bench).

Gold files live in the shared data folder next to the repository
(``../shared/data/articles/NAME.gold.json`` with the raw text in ``NAME.txt``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from newsstream.messages import Quote

GOLD_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "articles"


def load_gold(name: str, directory: Path = GOLD_DIR) -> dict[str, Any]:
    """The gold JSON plus its raw text under ``"text"``."""
    gold: dict[str, Any] = json.loads((directory / f"{name}.gold.json").read_text("utf-8"))
    gold["text"] = (directory / f"{name}.txt").read_text("utf-8")
    return gold


def _key(text: str) -> str:
    return " ".join(text.split())


def score_quotes(predicted: Sequence[Quote], gold: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Precision/recall/F1 of quotation texts; speaker, role and cue accuracy over matches."""
    wanted = {_key(g["quote"]): g for g in gold}
    matched = [(q, wanted[_key(q.quote)]) for q in predicted if _key(q.quote) in wanted]
    n_match = len({_key(q.quote) for q, _ in matched})
    precision = n_match / len(predicted) if predicted else 1.0
    recall = n_match / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def accuracy(field: str) -> float:
        if not matched:
            return 0.0
        return sum(getattr(q, field) == g.get(field) for q, g in matched) / len(matched)

    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "speaker_accuracy": round(accuracy("speaker"), 4),
        "role_accuracy": round(accuracy("speaker_role"), 4),
        "cue_accuracy": round(accuracy("cue"), 4),
    }
