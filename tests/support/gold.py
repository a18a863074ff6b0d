"""Gold quotations: loading and scoring, shared by the quality-gate tests and the benchmarks.

Two kinds of gold live in the shared data folder beside the repository (``../shared``):

- the seed article ``data/articles/NAME.gold.json`` (raw text in ``NAME.txt``), scored by
  exact quotation text (:func:`score_quotes`);
- the development set ``data/articles/dev/dev-NN.json`` (text inside the JSON), scored with
  the matching rules of its README, the same as ``../shared/tools/quote_eval.py``
  (:func:`score_article`): that script is the arbiter, this module must agree with it.

Not part of the package: scoring is a test and benchmark concern, and the data is not
installed with newsstream.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsstream.messages import EnrichedArticle, Quote
from newsstream.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = REPO_ROOT.parent / "shared"
GOLD_DIR = SHARED_DIR / "data" / "articles"
DEV_DIR = GOLD_DIR / "dev"
REFERENCE_SCORER = SHARED_DIR / "tools" / "quote_eval.py"

_WORD = re.compile(r"\w+")
#: Words of an attribution phrase that carry no role ("die", "er", "aus").
_NOT_ROLE = frozenset(
    {"der", "die", "das", "dem", "den", "des", "ein", "eine", "einer", "eines", "einem"}
    | {"einen", "er", "sie", "es", "ihr", "sein", "seine", "ihre", "von", "vom", "aus"}
    | {"in", "im", "am", "bei", "für", "und", "oder"}
)


# --- the seed article (exact text) -----------------------------------------------------------


def load_gold(name: str, directory: Path = GOLD_DIR) -> dict[str, Any]:
    """The seed gold JSON plus its raw text under ``"text"``."""
    from tests.support.shared import need

    gold: dict[str, Any] = json.loads(need(directory / f"{name}.gold.json").read_text("utf-8"))
    gold["text"] = need(directory / f"{name}.txt").read_text("utf-8")
    return gold


def _key(text: str) -> str:
    return " ".join(text.split())


def score_quotes(predicted: Sequence[Quote], gold: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Exact-text precision/recall/F1; speaker, role and cue accuracy over the matches."""
    wanted = {_key(g["quote"]): g for g in gold}
    matched = [(q, wanted[_key(q.quote)]) for q in predicted if _key(q.quote) in wanted]
    n_match = len({_key(q.quote) for q, _ in matched})
    precision = n_match / len(predicted) if predicted else 1.0
    recall = n_match / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def accuracy(name: str) -> float:
        if not matched:
            return 0.0
        return sum(getattr(q, name) == g.get(name) for q, g in matched) / len(matched)

    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "speaker_accuracy": round(accuracy("speaker"), 4),
        "role_accuracy": round(accuracy("speaker_role"), 4),
        "cue_accuracy": round(accuracy("cue"), 4),
    }


# --- the development set (the README's matching rules) ---------------------------------------


def tokens(text: str | None) -> list[str]:
    """Lower-cased word tokens, as the reference scorer splits them."""
    return _WORD.findall((text or "").lower())


def quotes_match(gold: str, predicted: str | None) -> bool:
    """Word-set Jaccard >= 0.8, or one set covering >= 80 % of the larger one."""
    a, b = set(tokens(gold)), set(tokens(predicted))
    if not a or not b:
        return False
    common = len(a & b)
    return common / len(a | b) >= 0.8 or common / max(len(a), len(b)) >= 0.8


def speaker_ok(gold: str | None, predicted: str | None) -> bool:
    """The gold speaker's last word occurs among the predicted speaker's words."""
    if gold is None:
        return not predicted
    if not predicted:
        return False
    words = tokens(gold)
    return (words[-1] if words else "") in tokens(predicted)


def is_optional(item: Mapping[str, Any]) -> bool:
    """Subheadings, slogans and fragments under four words count neither way."""
    note = item.get("note")
    return note in {"subheading", "slogan"} or (
        note == "fragment" and len(tokens(item["quote"])) < 4
    )


def gold_role_words(item: Mapping[str, Any]) -> set[str]:
    """Words of ``speaker_in_text`` that describe a named speaker beyond the name: capitalised
    words outside parentheses that are not the speaker's own name words, articles, pronouns or
    abbreviations ("Die Landesministerin Eva Roth" -> {"landesministerin"}; "er", "Roth" ->
    nothing). Only for speakers named with two or more words (a person's full name, an
    organisation): for "Polizeisprecher" or "Mutter" the phrase is the speaker, not a role."""
    name = tokens(item.get("speaker"))
    if len(name) < 2:
        return set()
    phrase = re.sub(r"\([^)]*\)", " ", item.get("speaker_in_text") or "")
    return {
        w.lower()
        for w in re.findall(r"[\w-]+", phrase)
        if w[:1].isupper()
        and not w.isupper()
        and w.lower() not in set(name)
        and w.lower() not in _NOT_ROLE
    }


def role_agrees(item: Mapping[str, Any], predicted_role: str | None) -> bool:
    """The predicted role's head (last word) is one of the gold phrase's role words."""
    words = re.findall(r"[\w-]+", predicted_role or "")
    return bool(words) and words[-1].lower() in gold_role_words(item)


@dataclass
class Pair:
    """One required gold quotation and the prediction matched to it (or None: missed)."""

    gold: Mapping[str, Any]
    predicted: Quote | None


@dataclass
class ArticleScore:
    """Counts for one article; ``gold``/``pred``/``tp``/``speaker_ok`` as the reference."""

    name: str
    gold: int = 0
    pred: int = 0
    tp: int = 0
    speaker_ok: int = 0
    speaker_none: int = 0
    with_speaker: int = 0
    role_gold: int = 0
    role_ok: int = 0
    pairs: list[Pair] = field(default_factory=list)
    false_positives: list[Quote] = field(default_factory=list)

    def reference_counts(self) -> dict[str, int]:
        """What ``quote_eval.py`` prints for this article."""
        return {"gold": self.gold, "pred": self.pred, "tp": self.tp, "speaker_ok": self.speaker_ok}


def score_article(
    name: str, gold: Sequence[Mapping[str, Any]], predicted: Sequence[Quote]
) -> ArticleScore:
    """Match in the reference's order: required gold items first (so an optional one never
    takes a prediction a required one needs), each taking the first free matching one."""
    score = ArticleScore(name)
    used: set[int] = set()
    optional_hits = 0
    for item in sorted(gold, key=is_optional):
        hit = next(
            (
                k
                for k, p in enumerate(predicted)
                if k not in used and quotes_match(item["quote"], p.quote)
            ),
            None,
        )
        if hit is not None:
            used.add(hit)
        if is_optional(item):
            optional_hits += hit is not None
            continue
        score.gold += 1
        score.pairs.append(Pair(item, predicted[hit] if hit is not None else None))
        if hit is not None:
            _count_match(score, item, predicted[hit])
    score.pred = len(predicted) - optional_hits
    score.false_positives = [p for k, p in enumerate(predicted) if k not in used]
    return score


def _count_match(score: ArticleScore, item: Mapping[str, Any], quote: Quote) -> None:
    score.tp += 1
    score.speaker_ok += speaker_ok(item.get("speaker"), quote.speaker)
    if item.get("speaker") is not None:
        score.with_speaker += 1
        score.speaker_none += not quote.speaker
    if gold_role_words(item):
        score.role_gold += 1
        score.role_ok += role_agrees(item, quote.speaker_role)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def summarize(scores: Iterable[ArticleScore]) -> dict[str, float | int]:
    """The set's figures: quotation P/R/F1 and, over matched quotations, speaker accuracy,
    the share left without a speaker where gold has one, and role agreement."""
    scores = list(scores)
    gold = sum(s.gold for s in scores)
    pred = sum(s.pred for s in scores)
    tp = sum(s.tp for s in scores)
    precision, recall = _ratio(tp, pred), _ratio(tp, gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "articles": len(scores),
        "gold": gold,
        "predicted": pred,
        "quote_precision": precision,
        "quote_recall": recall,
        "quote_f1": round(f1, 4),
        "speaker_accuracy": _ratio(sum(s.speaker_ok for s in scores), tp),
        "speaker_none_rate": _ratio(
            sum(s.speaker_none for s in scores), sum(s.with_speaker for s in scores)
        ),
        "role_accuracy": _ratio(sum(s.role_ok for s in scores), sum(s.role_gold for s in scores)),
    }


@dataclass(frozen=True)
class DevArticle:
    """One development-set article: ``dev-07`` with its number, text and gold."""

    name: str
    number: int
    url: str
    text: str
    quotes: list[dict[str, Any]]


def load_dev(directory: Path = DEV_DIR) -> list[DevArticle]:
    """Every ``dev-NN.json`` of ``directory``, in order."""
    out = []
    for path in sorted(directory.glob("dev-*.json")):
        data = json.loads(path.read_text("utf-8"))
        number = int(re.sub(r"\D", "", path.stem) or 0)
        out.append(DevArticle(path.stem, number, data["url"], data["text"], data["quotes"]))
    return out


def is_tune_half(article: DevArticle) -> bool:
    """Odd-numbered articles choose rules ("tune"); even ones check them ("check")."""
    return article.number % 2 == 1


def analyze_text(text: str, nlp: Any, settings: Settings | None = None) -> EnrichedArticle:
    """Exactly what ``newsstream analyze FILE --json`` does with a plain-text file (the text
    is written to a temporary ``.txt`` file and read back by :func:`analyze`)."""
    from newsstream.extractor.analyze import analyze

    with tempfile.TemporaryDirectory(prefix="ns-gold-") as tmp:
        path = Path(tmp) / "article.txt"
        path.write_text(text, encoding="utf-8")
        return analyze(str(path), settings or Settings(), nlp=nlp)


def reference_counts(quotes: Any, result: Any) -> dict[str, Any]:
    """``quote_eval.py GOLD PRED`` (the shared reference scorer) on one article: ``quotes`` are
    the gold quotations, ``result`` the extractor's ``EnrichedArticle``."""
    with tempfile.TemporaryDirectory(prefix="ns-quotes-") as tmp:
        gold_path, pred_path = Path(tmp) / "gold.json", Path(tmp) / "pred.json"
        gold_path.write_text(json.dumps({"quotes": quotes}), encoding="utf-8")
        pred_path.write_text(json.dumps(result.model_dump(mode="json")), encoding="utf-8")
        out = subprocess.run(
            [sys.executable, str(REFERENCE_SCORER), str(gold_path), str(pred_path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    counts: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return counts
