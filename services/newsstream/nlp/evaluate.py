"""Entity-level exact-match scoring (CoNLL style) and evaluation of a pipeline on gold sentences.

A predicted entity counts only if its start, end and label all equal a gold entity's. Scores are
micro-averaged overall and reported per label for PER, LOC, ORG and MISC (always all four, with
zeros where a label has no gold and no prediction).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from newsstream.nlp.corpora import LABELS, Sentence, Span, spans_from_bio

if TYPE_CHECKING:
    from spacy.language import Language


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class Scores:
    """Counts of true positives, predictions and gold entities, per label."""

    tp: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    pred: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    gold: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))

    def add(self, gold: set[Span], pred: set[Span]) -> None:
        for _, _, label in gold:
            self.gold[label] = self.gold.get(label, 0) + 1
        for span in pred:
            self.pred[span[2]] = self.pred.get(span[2], 0) + 1
            if span in gold:
                self.tp[span[2]] = self.tp.get(span[2], 0) + 1

    def as_dict(self) -> dict[str, Any]:
        """The contract shape: precision, recall, f1 and per_label {p, r, f1}, rounded to 4."""
        p, r, f = _prf(sum(self.tp.values()), sum(self.pred.values()), sum(self.gold.values()))
        per_label = {}
        for label in LABELS:
            lp, lr, lf = _prf(
                self.tp.get(label, 0), self.pred.get(label, 0), self.gold.get(label, 0)
            )
            per_label[label] = {"p": round(lp, 4), "r": round(lr, 4), "f1": round(lf, 4)}
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "per_label": per_label,
        }


def score_tags(gold: Iterable[Sequence[str]], pred: Iterable[Sequence[str]]) -> Scores:
    """Score parallel sequences of BIO tag lists (one list per sentence)."""
    scores = Scores()
    for g, p in zip(gold, pred, strict=True):
        scores.add(spans_from_bio(g), spans_from_bio(p))
    return scores


@dataclass(frozen=True)
class Evaluation:
    scores: dict[str, Any]
    words: int
    seconds: float

    @property
    def words_per_s(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0


def predict_tags(
    nlp: Language, sentences: Sequence[Sentence], batch_size: int = 256
) -> list[list[str]]:
    """Run the pipeline on the gold tokenisation and read BIO tags off ``doc.ents``."""
    from spacy.tokens import Doc

    docs = (Doc(nlp.vocab, words=list(s.words)) for s in sentences)
    out: list[list[str]] = []
    for doc in nlp.pipe(docs, batch_size=batch_size):
        tags = ["O"] * len(doc)
        for ent in doc.ents:
            tags[ent.start] = f"B-{ent.label_}"
            for i in range(ent.start + 1, ent.end):
                tags[i] = f"I-{ent.label_}"
        out.append(tags)
    return out


def evaluate_pipeline(nlp: Language, sentences: Sequence[Sentence]) -> Evaluation:
    """Score ``nlp`` on gold sentences; also times ``nlp.pipe`` (single process) for words/s."""
    start = time.perf_counter()
    pred = predict_tags(nlp, sentences)
    seconds = time.perf_counter() - start
    scores = score_tags((s.tags for s in sentences), pred)
    return Evaluation(scores.as_dict(), sum(len(s.words) for s in sentences), seconds)
