"""Turn the best training checkpoint into the installed ``de_newsstream`` pipeline.

Adds the gazetteer ruler and a sentencizer, ships the compound-head nouns, scores what users get
(the saved pipeline as :func:`newsstream.nlp.model.prepare_pipeline` prepares it) on the
held-out sentences, records data, settings and scores in ``meta.json`` and replaces ``out``
atomically (a crash never leaves a half-written model where the resolver looks).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsstream import __version__
from newsstream.nlp.corpora import Sentence
from newsstream.nlp.model import COMPOUND_HEADS_FILE, prepare_pipeline
from newsstream.nlp.profiles import Profile, recipe_id

if TYPE_CHECKING:
    from spacy.language import Language

MODEL_NAME = "newsstream"  # spaCy prefixes the language: the package is "de_newsstream"
CONFIG_NAME = "ner.cfg"
SEED = 0


@dataclass(frozen=True)
class TrainResult:
    path: Path
    scores: dict[str, Any]
    train_s: float
    words_per_s: float


@dataclass(frozen=True)
class RunInfo:
    """What went into a training run, for ``meta.json``."""

    profile: Profile
    data_dir: Path
    counts: dict[str, int]
    heldout: Sequence[Sentence]
    dev_n: int
    train_s: float
    note: str | None = None


def add_rules(nlp: Language) -> None:
    """Gazetteer ruler after ``ner`` (fills gaps only); a sentencizer if nothing sets sentences."""
    from newsstream.nlp.gazetteer import ruler_patterns

    if "entity_ruler" not in nlp.pipe_names:
        after = "ner" if "ner" in nlp.pipe_names else None
        ruler = nlp.add_pipe(
            "entity_ruler", after=after, config={"overwrite_ents": False, "validate": False}
        )
        ruler.add_patterns(list(ruler_patterns()))  # type: ignore[attr-defined]
    has_sents = {"parser", "senter", "sentencizer"} & set(nlp.pipe_names)
    if not has_sents:
        nlp.add_pipe("sentencizer")


def _licence(prof: Profile) -> str:
    parts = ["GermEval 2014 data CC BY 4.0"]
    if prof.cluster_words:
        parts.append("Brown clusters from spacy-lookups-data, MIT")
    if prof.wordclasses:
        return "CC BY-SA 4.0 (word lists from LanguageTool's German dictionary; {})".format(
            "; ".join(parts)
        )
    return "CC BY 4.0 ({})".format("; ".join(parts))


def _newsstream_meta(run: RunInfo, scores: dict[str, Any], tokens_per_s: float) -> dict[str, Any]:
    prof = run.profile
    return {
        "profile": prof.name,
        "recipe": recipe_id(prof),
        "seed": SEED,
        "config": CONFIG_NAME,
        "data_dir": str(run.data_dir),
        "data": run.counts,
        "heldout": f"germeval2014/test.tsv last {len(run.heldout)} sentences",
        "dev": f"germeval2014/dev.tsv last {run.dev_n} sentences",
        "vectors": f"floret dim {prof.vectors_dim}" if prof.vectors_dim else None,
        "lexicon_features": prof.features,
        "wordclasses": prof.wordclasses,
        "clusters": prof.cluster_words,
        "partial_mode": prof.partial_mode,
        "mask_misc": prof.mask_misc,
        "max_steps": prof.max_steps,
        "tok2vec": {
            "width": prof.width,
            "depth": prof.depth,
            "maxout_pieces": prof.maxout_pieces,
        },
        "train_s": round(run.train_s, 1),
        "note": run.note,
        "heldout_scores": scores,
        "heldout_tokens_per_s": round(tokens_per_s),  # gold tokens, punctuation included
    }


def finalize_model(best_dir: Path, out: Path, run: RunInfo, nouns: Sequence[str]) -> TrainResult:
    """Add rules to a trained checkpoint, score it on the held-out part, write meta, install."""
    import spacy
    import srsly

    from newsstream.nlp.evaluate import evaluate_pipeline

    best = spacy.load(best_dir)
    add_rules(best)
    with tempfile.TemporaryDirectory(prefix="ns-final-", dir=out.parent) as tmp:
        staged = Path(tmp) / "final"
        best.to_disk(staged)
        if nouns:
            (staged / COMPOUND_HEADS_FILE).write_text("\n".join(nouns) + "\n", encoding="utf-8")
        # Score what users get: the saved pipeline as load_pipeline() prepares it.
        evaluation = evaluate_pipeline(prepare_pipeline(spacy.load(staged)), run.heldout)
        best.meta.update(
            {
                "name": MODEL_NAME,
                "version": __version__,
                "description": "German NER (PER/LOC/ORG/MISC) trained offline by newsstream",
                "license": _licence(run.profile),
                "sources": [{"name": name, "sentences": n} for name, n in run.counts.items()],
                "newsstream": _newsstream_meta(run, evaluation.scores, evaluation.words_per_s),
            }
        )
        srsly.write_json(staged / "meta.json", best.meta)
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(staged), str(out))
    return TrainResult(
        path=out,
        scores=evaluation.scores,
        train_s=run.train_s,
        words_per_s=evaluation.words_per_s,
    )
