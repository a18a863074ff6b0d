"""Benchmark a German entity model on held-out GermEval and on the news dev articles.

Which model: ``--model`` (package name or path), else the one the extractor resolves
(``NEWSSTREAM_SPACY_MODEL`` / official / trained cache). ``--train PROFILE`` first trains that
profile into ``--out`` (default ``<cache>/bench/de_newsstream-PROFILE``; never the shared model
that ``make model`` caches) and reports the training time measured now. Without ``--train`` the
training time is the one the model's ``meta.json`` recorded when it was built, and is labelled so.

Reported:
- held-out GermEval (last 1,000 sentences of ``test.tsv``, never trained on; outer chunks,
  PER/LOC/ORG/MISC, -deriv/-part = O): P/R/F1 overall, per label, and over PER/LOC/ORG only;
- news domain: the PER/ORG/LOC names listed in ``articles/dev/*.json`` (``entities``) against the
  entities the model finds in each article's text. A gold name counts as found when an entity of
  the same label has its text, or its text plus a genitive ``s``, or (PER) its last word alone;
  recall per label, and an F1 where every other predicted PER/ORG/LOC counts as false;
- speed: ``nlp.pipe`` words/s on the held-out sentences as raw text, one process, where a word is a
  whitespace-separated token (punctuation attached to a word is not counted apart);
- memory: resident set size of this process with the extractor worker's modules imported and
  the model loaded (by the worker's loader) and used.

Usage: ``python bench/ner.py [--model M | --train fast|full [--out DIR]]``. The last line is one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy

from newsstream.nlp.corpora import Sentence, read_germeval, split_heldout
from newsstream.nlp.ensure import default_ner_data_dir
from newsstream.nlp.evaluate import evaluate_pipeline, predict_tags, score_tags
from newsstream.nlp.model import load_pipeline, resolve_model
from newsstream.settings import Settings

NEWS_LABELS = ("PER", "LOC", "ORG")


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def rss_mb() -> float:
    """Resident set size of this process now (Linux ``/proc``), in MB."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raw_words_per_s(nlp: spacy.language.Language, texts: list[str]) -> tuple[float, float, int]:
    """``(wall, cpu, words)``: words/s of ``nlp.pipe`` over raw text (tokenizer included), one
    process, by wall clock and by this process's CPU time (steady on a shared machine, where the
    wall clock also counts time other processes had the core); words are whitespace-separated
    tokens of the input, however spaCy splits them."""
    list(nlp.pipe(texts[:20]))  # warm-up
    words = sum(len(text.split()) for text in texts)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    wall_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    return words / wall_s, words / cpu_s, words


def news_only(tags: list[str]) -> list[str]:
    return ["O" if tag[2:] not in NEWS_LABELS else tag for tag in tags]


def heldout_news_scores(nlp: spacy.language.Language, heldout: list[Sentence]) -> dict[str, Any]:
    """Held-out GermEval scored on PER/LOC/ORG only (MISC ignored in gold and prediction)."""
    pred = [news_only(tags) for tags in predict_tags(nlp, heldout)]
    gold = [news_only(list(s.tags)) for s in heldout]
    scores = score_tags(gold, pred).as_dict()
    scores["per_label"] = {k: v for k, v in scores["per_label"].items() if k in NEWS_LABELS}
    return scores


def _matches(name: str, label: str, found: set[tuple[str, str]]) -> bool:
    forms = {name, name + "s", name + "’s", name + "'s"}
    if label == "PER" and " " in name:
        last = name.split()[-1]
        forms |= {last, last + "s"}
    return any((form, label) in found for form in forms)


@dataclass
class NewsCounts:
    gold: dict[str, int]
    hit: dict[str, int]
    pred: dict[str, int]
    pred_ok: dict[str, int]
    missed: list[str]


def news_domain(nlp: spacy.language.Language, articles_dir: Path) -> NewsCounts:
    """Gold entity lists of the dev articles vs the model's entities in their texts."""
    counts = NewsCounts({}, {}, {}, {}, [])
    for path in sorted(articles_dir.glob("*.json")):
        article = json.loads(path.read_text(encoding="utf-8"))
        found = {(e.text, e.label_) for e in nlp(article["text"]).ents}
        gold = article.get("entities", {})
        for label in NEWS_LABELS:
            names = gold.get(label, [])
            hits = [n for n in names if _matches(n, label, found)]
            counts.gold[label] = counts.gold.get(label, 0) + len(names)
            counts.hit[label] = counts.hit.get(label, 0) + len(hits)
            counts.missed += [f"{n}/{label}" for n in names if n not in hits]
            preds = {text for text, lab in found if lab == label}
            ok = [p for p in preds if any(_matches(n, label, {(p, label)}) for n in names)]
            counts.pred[label] = counts.pred.get(label, 0) + len(preds)
            counts.pred_ok[label] = counts.pred_ok.get(label, 0) + len(ok)
    return counts


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def news_summary(counts: NewsCounts) -> dict[str, Any]:
    recall = {label: _ratio(counts.hit[label], counts.gold[label]) for label in NEWS_LABELS}
    r = _ratio(sum(counts.hit.values()), sum(counts.gold.values()))
    p = _ratio(sum(counts.pred_ok.values()), sum(counts.pred.values()))
    f1 = round(2 * p * r / (p + r), 4) if p + r else 0.0
    return {"recall": r, "recall_per_label": recall, "precision": p, "f1": f1}


def _train(profile: str, out: Path, data_dir: Path, settings: Settings) -> float:
    from newsstream.nlp.train import train_model

    print(f"training the {profile} profile into {out} ...", file=sys.stderr)
    return train_model(out, data_dir, profile, settings=settings).train_s


def _train_info(model_path: Path | None, trained_s: float | None) -> tuple[float | None, str]:
    """Training time and where the figure comes from (never a cached figure posing as new)."""
    if trained_s is not None:
        return trained_s, "measured by this run"
    meta = model_path / "meta.json" if model_path else None
    if meta is None or not meta.is_file():
        return None, "unknown (not a newsstream-trained model)"
    info = json.loads(meta.read_text(encoding="utf-8")).get("newsstream", {})
    if "train_s" not in info:
        return None, "unknown (meta.json has no train_s)"
    return float(info["train_s"]), "from meta.json, recorded when the model was built (not now)"


def _print_report(report: dict[str, Any], news: NewsCounts) -> None:
    s = report["germeval"]
    print(f"model {report['model']} (profile {report['profile']}; {report['model_mb']} MB)")
    print(f"training: {report['train_s']} s, {report['train_s_source']}")
    print(f"held-out GermEval: {report['heldout_sentences']} sentences")
    print(f"  overall  P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}")
    for label, v in s["per_label"].items():
        print(f"  {label:7s}  P {v['p']:.3f}  R {v['r']:.3f}  F1 {v['f1']:.3f}")
    print(f"  PER/LOC/ORG only: F1 {report['germeval_per_loc_org']['f1']:.3f}")
    n = report["news"]
    print(
        f"news dev articles: recall {n['recall']:.3f} {n['recall_per_label']}; "
        f"precision {n['precision']:.3f}, F1 {n['f1']:.3f}; missed {len(news.missed)}: "
        f"{', '.join(news.missed[:25])}{' ...' if len(news.missed) > 25 else ''}"
    )
    print(
        f"speed: {report['words_per_s']:,} words/s nlp.pipe on raw text by wall clock, "
        f"{report['cpu_words_per_s']:,} by CPU time ({report['raw_words']} whitespace words, "
        "1 process)"
    )
    print(f"memory: {report['rss_mb']} MB resident with the model loaded and used")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None, help="package name or path (default: resolved)")
    parser.add_argument("--train", choices=("fast", "full"), default=None, help="train first")
    parser.add_argument("--out", type=Path, default=None, help="where --train writes the model")
    args = parser.parse_args()
    settings = Settings()
    data_dir = default_ner_data_dir(settings)
    trained_s = None
    if args.train:
        out = args.out or settings.cache_dir / "bench" / f"de_newsstream-{args.train}"
        trained_s = _train(args.train, out, data_dir, settings)
        name = str(out)
    else:
        name = args.model or resolve_model(settings).name_or_path
    # Loaded as an extractor worker loads it (the worker's modules imported too, for the RSS).
    import newsstream.extractor.service  # noqa: F401

    nlp = load_pipeline(settings.model_copy(update={"spacy_model": name}))
    path = Path(name) if Path(name).is_dir() else None
    train_s, source = _train_info(path, trained_s)
    _, heldout = split_heldout(read_germeval(data_dir / "germeval2014" / "test.tsv"))
    evaluation = evaluate_pipeline(nlp, heldout)
    words_per_s, cpu_words_per_s, raw_words = raw_words_per_s(
        nlp, [" ".join(s.words) for s in heldout]
    )
    news = news_domain(nlp, data_dir.parent / "articles" / "dev")
    report = {
        "model": name,
        "profile": nlp.meta.get("newsstream", {}).get("profile"),
        "germeval": evaluation.scores,
        "germeval_per_loc_org": heldout_news_scores(nlp, heldout),
        "news": news_summary(news),
        "words_per_s": round(words_per_s),
        "cpu_words_per_s": round(cpu_words_per_s),
        "raw_words": raw_words,
        "train_s": None if train_s is None else round(train_s, 1),
        "train_s_source": source,
        "model_mb": round(_dir_mb(path), 1) if path else None,
        "rss_mb": round(rss_mb()),
        "heldout_sentences": len(heldout),
    }
    _print_report(report, news)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
