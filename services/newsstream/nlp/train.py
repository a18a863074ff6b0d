"""Train the offline German entity pipeline ``de_newsstream`` from the shared NER corpora.

Steps: read and convert the corpora (:mod:`newsstream.nlp.corpora`), set aside the fixed held-out
part of GermEval ``test.tsv`` *before* anything else, optionally train floret vectors on the
unlabelled text, train spaCy's tok2vec + NER with the config kept in ``nlp/configs/ner.cfg`` and
a fixed seed, then add a gazetteer ``entity_ruler`` and a ``sentencizer`` and write a loadable
pipeline whose ``meta.json`` records data, config, version and held-out scores.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsstream import __version__
from newsstream.nlp.corpora import (
    HELDOUT_SENTENCES,
    MISSING,
    Sentence,
    drop_adjective_names,
    mask_misc_candidates,
    read_any,
    read_germeval,
    split_heldout,
)
from newsstream.nlp.wordclasses import common_nouns, load_classes
from newsstream.settings import Settings

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.vocab import Vocab

log = logging.getLogger(__name__)

CONFIG_PATH = Path(__file__).with_name("configs") / "ner.cfg"
MODEL_NAME = "newsstream"  # spaCy prefixes the language: the package is "de_newsstream"
SEED = 0
#: GermEval sentences of dev.tsv kept for checkpoint choice (its last ones); never trained on.
DEV_SENTENCES = 800


@dataclass(frozen=True)
class Profile:
    """What to train on and how long; ``fast`` fits CI (~5 min), ``full`` is for users (~6 min
    plus ~3 min for floret vectors the first time, on 2 cores)."""

    name: str
    sources: tuple[str, ...]
    max_steps: int
    width: int
    depth: int = 4
    maxout_pieces: int = 3
    vectors_dim: int = 0
    vectors_epoch: int = 5
    vectors_words: int = 50000
    germeval_repeat: int = 1
    text_files: tuple[str, ...] = ()
    features: bool = True
    #: Add LanguageTool's German word classes (``Lt=``) to the lexicon features.
    wordclasses: bool = True
    #: Corpora (never trained on) whose entity words become the ``Lex=`` lexicon feature.
    lexicon_sources: tuple[str, ...] = ()
    #: Sources without MISC annotation whose capitalised O tokens count as "not annotated".
    mask_misc: bool = False
    eval_frequency: int = 250
    #: Non-GermEval sources: entities starting with a lower-case adjective become ``O``.
    drop_adjectives: bool = True


_NO_MISC_PREFIXES = ("extra/smartdata", "extra/wikiann", "extra/hipe_sonar", "extra/europeana")
_LEXICON = (
    "extra/wikiann/val.tsv",
    "extra/wikiann/test.tsv",
    "extra/hipe_newseye/test.tsv",
    "extra/hipe_sonar/test.tsv",
    "extra/smartdata/test.tsv",
    "extra/europeana/lft.tsv",
    "extra/europeana/onb.tsv",
    "extra/europeana/sbb.tsv",
)
_EUROPARL = ("europarl/train.tsv", "europarl/dev.tsv", "europarl/test.tsv")
PROFILES: dict[str, Profile] = {
    "fast": Profile(
        name="fast",
        sources=(*_EUROPARL, "extra/smartdata/train.tsv"),
        max_steps=600,
        width=96,
        eval_frequency=200,
        mask_misc=True,
    ),
    "full": Profile(
        name="full",
        # WikiANN and HIPE were tried and lowered held-out precision (see nlp/README.md).
        sources=(*_EUROPARL, "extra/smartdata/train.tsv", "extra/smartdata/dev.tsv"),
        max_steps=1500,
        # 64, not 128: F1 0.627 vs 0.632 on held-out, but 14.6k vs 6.5k words/s (nlp/README.md).
        width=64,
        vectors_dim=200,
        text_files=("*.txt.gz",),
        germeval_repeat=2,
        mask_misc=True,
    ),
}


@dataclass
class TrainingData:
    train: list[Sentence]
    dev: list[Sentence]
    heldout: list[Sentence]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainResult:
    path: Path
    scores: dict[str, Any]
    train_s: float
    words_per_s: float


def load_training_data(
    data_dir: Path, profile: Profile, heldout_n: int = HELDOUT_SENTENCES
) -> TrainingData:
    """GermEval (minus held-out and dev, repeated ``germeval_repeat`` times) + the sources."""
    germeval = data_dir / "germeval2014"
    trainable, heldout = split_heldout(read_germeval(germeval / "test.tsv"), heldout_n)
    dev_all = read_germeval(germeval / "dev.tsv")
    n_dev = min(DEV_SENTENCES, len(dev_all) // 3)
    dev = dev_all[len(dev_all) - n_dev :]
    ge_train = trainable + dev_all[: len(dev_all) - n_dev]
    train = ge_train * profile.germeval_repeat
    counts = {"germeval2014": len(ge_train)}
    for rel in profile.sources:
        path = data_dir / rel
        if not path.exists():
            log.warning("training source missing, skipped", extra={"path": str(path)})
            continue
        sents = read_any(path)
        if profile.drop_adjectives:
            sents = [drop_adjective_names(s) for s in sents]
        if profile.mask_misc and rel.startswith(_NO_MISC_PREFIXES):
            sents = [mask_misc_candidates(s) for s in sents]
        counts[rel] = len(sents)
        train += sents
    return TrainingData(train=train, dev=dev, heldout=heldout, counts=counts)


def write_docbin(sentences: Sequence[Sentence], path: Path, vocab: Vocab) -> None:
    """One spaCy Doc per sentence, gold entities from the BIO tags."""
    from spacy.tokens import Doc, DocBin

    db = DocBin(store_user_data=False)
    for sent in sentences:
        ents = ["" if tag == MISSING else tag for tag in sent.tags]
        db.add(Doc(vocab, words=list(sent.words), ents=ents))
    db.to_disk(path)


def _config_overrides(
    profile: Profile, work: Path, vectors: Path | None, max_steps: int
) -> dict[str, Any]:
    return {
        "paths.train": str(work / "train.spacy"),
        "paths.dev": str(work / "dev.spacy"),
        "paths.vectors": str(vectors) if vectors else None,
        "paths.features": str(work / "features.json"),
        "system.seed": SEED,
        "components.tok2vec.model.embed.include_static_vectors": vectors is not None,
        "components.tok2vec.model.encode.width": profile.width,
        "components.tok2vec.model.encode.depth": profile.depth,
        "components.tok2vec.model.encode.maxout_pieces": profile.maxout_pieces,
        "training.max_steps": max_steps,
        "training.eval_frequency": min(profile.eval_frequency, max_steps),
    }


def _train_vectors(
    data_dir: Path, profile: Profile, data: TrainingData, work: Path, cache: Path | None
) -> Path:
    """A word-vector table for ``profile``: floret trained on all text, looked up for the
    ``vectors_words`` most frequent words. Both steps are reused from ``cache`` when present."""
    from newsstream.nlp.vectors import (
        floret_to_table,
        train_floret,
        vocabulary,
        write_training_text,
    )

    base = (cache or work) / f"floret-d{profile.vectors_dim}-e{profile.vectors_epoch}"
    table = base / f"table-{profile.vectors_words}"
    if (table / "vocab").is_dir():
        log.info("reusing cached word vectors", extra={"path": str(table)})
        return table
    text_dir = data_dir.parent / "text-de"
    files = sorted(p for pattern in profile.text_files for p in text_dir.glob(pattern))
    unique = {s.words for s in data.train} | {s.words for s in data.dev}
    words = write_training_text(work / "text.txt", files, [list(w) for w in unique])
    floret_model = base / "vectors" / "vectors_model"
    if not (floret_model / "vocab").is_dir():
        log.info("training floret vectors", extra={"words": words, "files": len(files)})
        floret_model = train_floret(
            work / "text.txt",
            base / "vectors",
            dim=profile.vectors_dim,
            epoch=profile.vectors_epoch,
        )
    vocab = vocabulary(work / "text.txt", profile.vectors_words)
    return floret_to_table(floret_model, vocab, table)


def _write_features(
    path: Path, profile: Profile, data_dir: Path, classes: dict[str, frozenset[str]] | None
) -> None:
    import srsly

    from newsstream.nlp.features import all_feature_values

    overlap = set(profile.lexicon_sources) & set(profile.sources)
    if overlap:
        raise ValueError(f"lexicon sources must not be trained on: {sorted(overlap)}")
    sentences = [
        s
        for rel in profile.lexicon_sources
        if (data_dir / rel).exists()
        for s in read_any(data_dir / rel)
    ]
    if not profile.features:
        srsly.write_json(path, {})
        return
    srsly.write_json(path, all_feature_values(sentences, classes))


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


def train_model(
    out: Path,
    data_dir: Path,
    profile: str = "full",
    *,
    max_steps: int | None = None,
    heldout_n: int = HELDOUT_SENTENCES,
    vectors_cache: Path | None = None,
    settings: Settings | None = None,
) -> TrainResult:
    """Train ``profile`` on ``data_dir`` and write the pipeline to ``out`` (replaced atomically)."""
    import spacy
    from spacy import util
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as train_loop

    import newsstream.nlp.lexicon  # noqa: F401  (registers the newsstream_lexicon factory)

    prof = PROFILES[profile]
    if max_steps is not None:
        prof = replace(prof, max_steps=max_steps)
    started = time.perf_counter()
    data = load_training_data(data_dir, prof, heldout_n)
    log.info("training data", extra={"profile": prof.name, "counts": data.counts})
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ns-train-", dir=out.parent) as tmp:
        work = Path(tmp)
        vocab = spacy.blank("de").vocab
        write_docbin(data.train, work / "train.spacy", vocab)
        write_docbin(data.dev, work / "dev.spacy", vocab)
        classes = load_classes(settings or Settings()) if prof.wordclasses else None
        _write_features(work / "features.json", prof, data_dir, classes)
        vectors = (
            _train_vectors(data_dir, prof, data, work, vectors_cache) if prof.vectors_dim else None
        )
        overrides = _config_overrides(prof, work, vectors, prof.max_steps)
        config = util.load_config(CONFIG_PATH, overrides=overrides, interpolate=False)
        util.fix_random_seed(SEED)
        nlp = init_nlp(config)
        (work / "output").mkdir()
        train_loop(nlp, work / "output", stdout=sys.stderr, stderr=sys.stderr)
        train_s = time.perf_counter() - started
        note = "vectors: word table from floret" if vectors else None
        result = finalize_model(
            work / "output" / "model-best",
            out,
            data,
            prof,
            data_dir,
            train_s,
            note,
            nouns=common_nouns(classes or {}),
        )
    return result


def finalize_model(
    best_dir: Path,
    out: Path,
    data: TrainingData,
    prof: Profile,
    data_dir: Path,
    train_s: float,
    note: str | None = None,
    nouns: Sequence[str] = (),
) -> TrainResult:
    """Add rules to a trained checkpoint, score it on the held-out part, write meta, install."""
    import spacy
    import srsly

    from newsstream.nlp.evaluate import evaluate_pipeline
    from newsstream.nlp.model import COMPOUND_HEADS_FILE, prepare_pipeline

    best = spacy.load(best_dir)
    add_rules(best)
    with tempfile.TemporaryDirectory(prefix="ns-final-", dir=out.parent) as tmp:
        staged = Path(tmp) / "final"
        best.to_disk(staged)
        if nouns:
            (staged / COMPOUND_HEADS_FILE).write_text("\n".join(nouns) + "\n", encoding="utf-8")
        # Score what users get: the saved pipeline as load_pipeline() prepares it.
        evaluation = evaluate_pipeline(prepare_pipeline(spacy.load(staged)), data.heldout)
        best.meta.update(
            {
                "name": MODEL_NAME,
                "version": __version__,
                "description": "German NER (PER/LOC/ORG/MISC) trained offline by newsstream",
                "license": (
                    "CC BY-SA 4.0 (word lists from LanguageTool's German dictionary; "
                    "GermEval 2014 data CC BY 4.0); see sources"
                    if prof.wordclasses
                    else "CC BY 4.0 (GermEval 2014 data); see sources"
                ),
                "sources": [{"name": name, "sentences": n} for name, n in data.counts.items()],
                "newsstream": {
                    "profile": prof.name,
                    "seed": SEED,
                    "config": CONFIG_PATH.name,
                    "data_dir": str(data_dir),
                    "data": data.counts,
                    "heldout": f"germeval2014/test.tsv last {len(data.heldout)} sentences",
                    "dev": f"germeval2014/dev.tsv last {len(data.dev)} sentences",
                    "vectors": f"floret dim {prof.vectors_dim}" if prof.vectors_dim else None,
                    "lexicon_features": prof.features,
                    "wordclasses": prof.wordclasses,
                    "mask_misc": prof.mask_misc,
                    "max_steps": prof.max_steps,
                    "tok2vec": {
                        "width": prof.width,
                        "depth": prof.depth,
                        "maxout_pieces": prof.maxout_pieces,
                    },
                    "train_s": round(train_s, 1),
                    "note": note,
                    "heldout_scores": evaluation.scores,
                    "heldout_words_per_s": round(evaluation.words_per_s),
                },
            }
        )
        srsly.write_json(staged / "meta.json", best.meta)
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(staged), str(out))
    return TrainResult(
        path=out, scores=evaluation.scores, train_s=train_s, words_per_s=evaluation.words_per_s
    )
