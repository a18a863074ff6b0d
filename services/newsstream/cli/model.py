"""``newsstream model train | evaluate | ensure | info``: the offline German entity model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newsstream.settings import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("model", help="train, evaluate and resolve the German NER model")
    sub = parser.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    train = sub.add_parser("train", help="train the de_newsstream pipeline from open data")
    train.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory of the pipeline (default: the models cache, where it resolves)",
    )
    train.add_argument("--data", type=Path, default=None, help="NER data root (../shared/data/ner)")
    train.add_argument("--profile", choices=("fast", "full"), default="full")
    train.add_argument("--max-steps", type=int, default=None, help=argparse.SUPPRESS)
    train.set_defaults(func=_train)

    evaluate = sub.add_parser("evaluate", help="score a model on a GermEval-format file")
    evaluate.add_argument("--model", default=None, help="package name or path (default: resolved)")
    evaluate.add_argument("--data", type=Path, required=True, help="GermEval-format .tsv file")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(func=_evaluate)

    ensure = sub.add_parser("ensure", help="resolve a model; train the fast profile if none")
    ensure.add_argument("--profile", choices=("fast", "full"), default="fast")
    ensure.set_defaults(func=_ensure)

    info = sub.add_parser("info", help="print which model resolves and why")
    info.set_defaults(func=_info)


def _train(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.nlp.model import TRAINED_MODEL_DIR, default_ner_data_dir
    from newsstream.nlp.train import train_model

    data = args.data or default_ner_data_dir(settings)
    result = train_model(
        args.out or settings.models_dir / TRAINED_MODEL_DIR,
        data,
        args.profile,
        max_steps=args.max_steps,
        vectors_cache=settings.cache_dir / "vectors",
        settings=settings,
    )
    print(f"saved {result.path} in {result.train_s:.0f} s; held-out: {json.dumps(result.scores)}")
    return 0


def _evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.nlp.corpora import read_germeval
    from newsstream.nlp.evaluate import evaluate_pipeline
    from newsstream.nlp.model import load_pipeline

    if not args.data.is_file():
        print(f"newsstream: no such file: {args.data}", file=sys.stderr)
        return 2
    if args.model:
        settings = settings.model_copy(update={"spacy_model": args.model})
    nlp = load_pipeline(settings)
    result = evaluate_pipeline(nlp, read_germeval(args.data))
    scores = result.scores
    if args.json:
        print(json.dumps(scores))
        return 0
    print(
        f"precision {scores['precision']:.4f}  recall {scores['recall']:.4f}  f1 {scores['f1']:.4f}"
    )
    for label, s in scores["per_label"].items():
        print(f"  {label:5s} p {s['p']:.4f}  r {s['r']:.4f}  f1 {s['f1']:.4f}")
    print(f"{result.words} words, {result.words_per_s:,.0f} words/s")
    return 0


def _ensure(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.nlp.model import ensure_model

    print(ensure_model(settings, args.profile))
    return 0


def _info(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.nlp.model import resolve_model

    ref = resolve_model(settings)
    print(f"{ref.name_or_path} ({ref.source})")
    return 0
