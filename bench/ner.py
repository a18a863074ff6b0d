"""Benchmark the offline German entity model (``full`` profile) on held-out GermEval.

Trains the ``full`` profile into ``~/.cache/newsstream/models/de_newsstream`` unless a ``full``
model is already cached there, then scores it on the fixed held-out part of GermEval ``test.tsv``
(its last 1,000 sentences, never trained on; outer chunks, PER/LOC/ORG/MISC, -deriv/-part = O) and
measures ``nlp.pipe`` words/s (single process) on the same sentences as raw text.

Usage: ``python bench/ner.py [--retrain]``. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import spacy

from newsstream.nlp.corpora import read_germeval, split_heldout
from newsstream.nlp.evaluate import evaluate_pipeline
from newsstream.nlp.model import TRAINED_MODEL_DIR, default_ner_data_dir, prepare_pipeline
from newsstream.nlp.train import train_model
from newsstream.settings import Settings

ARTICLE = "articles/br24-putin-waffenruhe"


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _cached_full(path: Path) -> dict[str, object] | None:
    meta_path = path / "meta.json"
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    info = meta.get("newsstream", {})
    return info if info.get("profile") == "full" else None


def _raw_words_per_s(nlp: spacy.language.Language, texts: list[str]) -> tuple[float, int]:
    """words/s of ``nlp.pipe`` over raw text (tokenizer included), one process."""
    list(nlp.pipe(texts[:20]))  # warm-up
    start = time.perf_counter()
    words = sum(len(doc) for doc in nlp.pipe(texts, batch_size=64))
    return words / (time.perf_counter() - start), words


def _article_recall(nlp: spacy.language.Language, shared: Path) -> tuple[int, int, list[str]]:
    text = (shared / f"{ARTICLE}.txt").read_text(encoding="utf-8")
    gold = json.loads((shared / f"{ARTICLE}.gold.json").read_text(encoding="utf-8"))["entities"]
    found = {(e.text, e.label_) for e in nlp(text).ents}
    texts = {t for t, _ in found}
    wanted = [(name, label) for label in ("PER", "LOC", "ORG") for name in gold.get(label, [])]
    missing = [f"{n}/{lab}" for n, lab in wanted if (n, lab) not in found and n not in texts]
    return len(wanted) - len(missing), len(wanted), missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--retrain", action="store_true", help="train even if a full model is cached"
    )
    args = parser.parse_args()
    settings = Settings()
    data_dir = default_ner_data_dir(settings)
    out = settings.models_dir / TRAINED_MODEL_DIR

    cached = None if args.retrain else _cached_full(out)
    if cached is None:
        print(f"training the full profile into {out} ...", file=sys.stderr)
        result = train_model(
            out, data_dir, "full", vectors_cache=settings.cache_dir / "vectors", settings=settings
        )
        train_s = result.train_s
        reused = False
    else:
        train_s = float(str(cached.get("train_s", 0.0)))
        reused = True

    nlp = prepare_pipeline(spacy.load(out))
    _, heldout = split_heldout(read_germeval(data_dir / "germeval2014" / "test.tsv"))
    evaluation = evaluate_pipeline(nlp, heldout)
    texts = [" ".join(s.words) for s in heldout]
    words_per_s, raw_words = _raw_words_per_s(nlp, texts)
    found, wanted, missing = _article_recall(nlp, data_dir.parent)
    scores = evaluation.scores
    model_mb = _dir_mb(out)

    print(f"model {out} (profile full, {'reused' if reused else 'trained'}; train {train_s:.0f} s)")
    print(f"held-out: {len(heldout)} GermEval sentences, {evaluation.words} words")
    print(
        f"  overall  P {scores['precision']:.3f}  R {scores['recall']:.3f}  F1 {scores['f1']:.3f}"
    )
    for label, s in scores["per_label"].items():
        print(f"  {label:7s}  P {s['p']:.3f}  R {s['r']:.3f}  F1 {s['f1']:.3f}")
    print(f"speed: {words_per_s:,.0f} words/s nlp.pipe on raw text ({raw_words} words, 1 process)")
    print(f"       {evaluation.words_per_s:,.0f} words/s on pre-tokenised held-out docs")
    print(
        f"size: {model_mb:.1f} MB; BR24 article entities found {found}/{wanted}; missing {missing}"
    )
    print(
        json.dumps(
            {
                "precision": scores["precision"],
                "recall": scores["recall"],
                "f1": scores["f1"],
                "per_label": scores["per_label"],
                "words_per_s": round(words_per_s),
                "pretokenised_words_per_s": round(evaluation.words_per_s),
                "train_s": round(train_s, 1),
                "model_reused": reused,
                "model_mb": round(model_mb, 1),
                "heldout_sentences": len(heldout),
                "article_entities_found": found,
                "article_entities_total": wanted,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
