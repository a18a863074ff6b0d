"""Quotation finding and speaker attribution on the development set (bench/quotes.py).

Usage: ``python bench/quotes.py [GOLD_DIR] [--check-reference] [--errors] [--blank]``.
GOLD_DIR defaults to ``../shared/data/articles/dev/`` beside the repository root. Every
``dev-NN.json`` article goes through exactly what ``newsstream analyze FILE --json`` does with
a plain-text file (cleaning, the resolved spaCy model, entities, quotations) and is scored
with the dev set's rules (its README; ``../shared/tools/quote_eval.py`` is the arbiter):

- a predicted quotation matches a gold one when their lower-cased word sets have Jaccard
  >= 0.8, or one covers >= 80 % of the other's words; gold items noted ``subheading`` or
  ``slogan`` and ``fragment``s under four words are optional (neither missed nor false);
- ``speaker_accuracy``: among matched quotations, the share whose gold speaker's last word
  occurs among the predicted speaker's words;
- ``speaker_none_rate``: among matched quotations whose gold has a speaker, the share
  predicted without one;
- ``role_accuracy``: among matched quotations whose gold speaker is named with two or more
  words and whose gold ``speaker_in_text`` names a role (a capitalised word there, outside
  parentheses, that is not part of the speaker's name, an article, a pronoun or an
  abbreviation: "Die Landesministerin Eva Roth", "Eva Roth, Sprecherin der Stadt"), the
  share whose predicted ``speaker_role`` ends in one of those words.

Rules are chosen on the "tune" half (odd article numbers) and checked on the "check" half
(even numbers); both are printed, so overfitting shows as a gap between them.
``--check-reference`` also runs the reference scorer on every article and fails (exit 1)
unless its ``gold``/``pred``/``tp``/``speaker_ok`` equal this script's. ``--errors`` lists
every wrong, missing or false quotation. ``--blank`` uses a blank German pipeline instead of
the trained model (the rules alone).

Last line: one JSON object with ``articles, gold, predicted, quote_precision, quote_recall,
quote_f1, speaker_accuracy, speaker_none_rate, role_accuracy`` and the same per half.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.support.gold: the scoring shared with the gate test

os.environ.setdefault("OMP_NUM_THREADS", "1")

from tests.support.gold import (  # noqa: E402
    REFERENCE_SCORER,
    ArticleScore,
    DevArticle,
    analyze_text,
    is_tune_half,
    load_dev,
    score_article,
    summarize,
)
from tests.support.gold import reference_counts as shared_reference_counts  # noqa: E402

from newsstream.messages import EnrichedArticle  # noqa: E402

DEFAULT_DIR = REPO.parent / "shared" / "data" / "articles" / "dev"


def load_nlp(blank: bool) -> Any:
    if blank:
        import spacy

        nlp = spacy.blank("de")
        nlp.add_pipe("sentencizer")
        return nlp
    from newsstream.nlp.model import load_pipeline
    from newsstream.settings import Settings

    return load_pipeline(Settings())


def reference_counts(article: DevArticle, result: EnrichedArticle) -> dict[str, int]:
    """``quote_eval.py GOLD PRED`` on this article (PRED = the ``analyze --json`` output)."""
    return shared_reference_counts(article.quotes, result)


def print_errors(score: ArticleScore) -> None:
    for pair in score.pairs:
        gold, pred = pair.gold, pair.predicted
        if pred is None:
            print(f"    MISSED  [{gold.get('speaker')}] {gold['quote'][:70]!r}")
        elif not _speaker_right(gold, pred.speaker):
            print(
                f"    SPEAKER gold {gold.get('speaker')!r} ({gold.get('speaker_in_text')!r}) "
                f"got {pred.speaker!r} role {pred.speaker_role!r}: {gold['quote'][:50]!r}"
            )
    for quote in score.false_positives:
        print(f"    FALSE   [{quote.speaker}] {quote.quote[:70]!r}")


def _speaker_right(gold: Any, predicted: str | None) -> bool:
    from tests.support.gold import speaker_ok

    return speaker_ok(gold.get("speaker"), predicted)


def row(score: ArticleScore, half: str) -> str:
    return (
        f"{score.name:8} {half:5} {score.gold:4} {score.pred:4} {score.tp:4} "
        f"{score.speaker_ok:4} {score.speaker_none:4} {score.role_ok:2}/{score.role_gold:<2}"
    )


def half_line(label: str, figures: dict[str, Any]) -> str:
    return (
        f"{label:6} articles {figures['articles']:2}  gold {figures['gold']:3}  "
        f"F1 {figures['quote_f1']:.3f} (P {figures['quote_precision']:.3f} "
        f"R {figures['quote_recall']:.3f})  speaker {figures['speaker_accuracy']:.3f}  "
        f"none {figures['speaker_none_rate']:.3f}  role {figures['role_accuracy']:.3f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("gold_dir", nargs="?", type=Path, default=DEFAULT_DIR, metavar="GOLD_DIR")
    parser.add_argument("--check-reference", action="store_true")
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--blank", action="store_true")
    args = parser.parse_args()
    gold_dir: Path = args.gold_dir if args.gold_dir.is_absolute() else REPO / args.gold_dir
    articles = load_dev(gold_dir) if gold_dir.is_dir() else []
    if not articles:
        print(
            f"no dev gold at {gold_dir} (expected dev-NN.json files: put the shared data "
            "folder beside the repository as ../shared, or pass GOLD_DIR)",
            file=sys.stderr,
        )
        return 2
    if args.check_reference and not REFERENCE_SCORER.is_file():
        print(f"reference scorer missing: {REFERENCE_SCORER}", file=sys.stderr)
        return 2
    nlp = load_nlp(args.blank)
    print(f"{'article':8} {'half':5} gold pred   tp  spk none role")
    scores: list[tuple[DevArticle, ArticleScore]] = []
    disagreements = []
    started = time.perf_counter()
    for article in articles:
        result = analyze_text(article.text, nlp)
        score = score_article(article.name, article.quotes, result.quotes)
        scores.append((article, score))
        print(row(score, "tune" if is_tune_half(article) else "check"))
        if args.errors:
            print_errors(score)
        if args.check_reference:
            reference = reference_counts(article, result)
            if reference != score.reference_counts():
                disagreements.append((article.name, reference, score.reference_counts()))
    elapsed = time.perf_counter() - started
    tune = summarize(s for a, s in scores if is_tune_half(a))
    check = summarize(s for a, s in scores if not is_tune_half(a))
    figures: dict[str, Any] = summarize(s for _, s in scores)
    print(half_line("tune", tune))
    print(half_line("check", check))
    print(half_line("all", figures))
    print(f"{len(articles)} articles in {elapsed:.1f} s")
    if args.check_reference:
        for name, reference, mine in disagreements:
            print(f"DISAGREES with the reference on {name}: {reference} vs {mine}")
        print(f"reference scorer: {len(articles) - len(disagreements)}/{len(articles)} agree")
    figures.update({"tune": tune, "check": check})
    print(json.dumps(figures))
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
