"""Train the offline German entity pipeline ``de_newsstream`` from the shared NER corpora.

Steps: read and convert the corpora (:mod:`newsstream.nlp.corpora`), set aside the fixed held-out
part of GermEval ``test.tsv`` *before* anything else, complete the partly recovered GermEval train
split (:mod:`newsstream.nlp.partial`), optionally train floret vectors on the unlabelled text and
take Brown clusters (:mod:`newsstream.nlp.clusters`), train spaCy's tok2vec + NER with the config
kept in ``nlp/configs/ner.cfg`` and a fixed seed, then finish the pipeline
(:mod:`newsstream.nlp.finalize`). Loading a model never imports this module.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from newsstream.nlp.finalize import SEED, RunInfo, TrainResult, finalize_model
from newsstream.nlp.profiles import PARTIAL_TRAIN, PROFILES, Profile
from newsstream.nlp.wordclasses import common_nouns, load_classes
from newsstream.settings import Settings

if TYPE_CHECKING:
    from spacy.vocab import Vocab

__all__ = ["PROFILES", "Profile", "TrainResult", "load_training_data", "train_model"]

log = logging.getLogger(__name__)

CONFIG_PATH = Path(__file__).with_name("configs") / "ner.cfg"
#: GermEval sentences of dev.tsv kept for checkpoint choice (its last ones); never trained on.
DEV_SENTENCES = 800
_NO_MISC_PREFIXES = ("extra/smartdata", "extra/wikiann", "extra/hipe_sonar", "extra/europeana")
_BASE_ATTRS = ["NORM", "PREFIX", "SUFFIX", "SHAPE", "MORPH"]
_BASE_ROWS = [20000, 2500, 5000, 1000, 500]


@dataclass
class TrainingData:
    train: list[Sentence]
    dev: list[Sentence]
    heldout: list[Sentence]
    counts: dict[str, int] = field(default_factory=dict)


def _read_source(data_dir: Path, rel: str, profile: Profile) -> list[Sentence] | None:
    path = data_dir / rel
    if not path.exists():
        log.warning("training source missing, skipped", extra={"path": str(path)})
        return None
    sents = read_any(path)
    if profile.drop_adjectives:
        sents = [drop_adjective_names(s) for s in sents]
    if profile.mask_misc and rel.startswith(_NO_MISC_PREFIXES):
        sents = [mask_misc_candidates(s) for s in sents]
    return sents


def _partial_train(data_dir: Path, mode: str, complete: Sequence[Sentence]) -> list[Sentence]:
    """The GermEval train split completed by ``mode``; fillers come only from ``complete``
    (sentences that are trained on anyway) and the split's own recovered words."""
    from newsstream.nlp.corpora import _open_lines
    from newsstream.nlp.partial import build_fillers, complete_sentences, parse_partial

    path = data_dir / PARTIAL_TRAIN
    if not path.is_file():
        log.warning("GermEval train split missing, skipped", extra={"path": str(path)})
        return []
    partial = list(parse_partial(_open_lines(path)))
    fillers = build_fillers(complete, partial)
    return complete_sentences(partial, fillers, seed=SEED, mode=mode)


def load_training_data(
    data_dir: Path, profile: Profile, heldout_n: int = HELDOUT_SENTENCES
) -> TrainingData:
    """GermEval (minus held-out and dev, repeated ``germeval_repeat`` times) + the sources
    (+ the completed GermEval train split when the profile asks for it)."""
    germeval = data_dir / "germeval2014"
    trainable, heldout = split_heldout(read_germeval(germeval / "test.tsv"), heldout_n)
    dev_all = read_germeval(germeval / "dev.tsv")
    n_dev = min(DEV_SENTENCES, len(dev_all) // 3)
    dev = dev_all[len(dev_all) - n_dev :]
    ge_train = trainable + dev_all[: len(dev_all) - n_dev]
    train = ge_train * profile.germeval_repeat
    counts = {"germeval2014": len(ge_train)}
    for rel in profile.sources:
        sents = _read_source(data_dir, rel, profile)
        if sents is not None:
            counts[rel] = len(sents)
            train += sents
    if profile.partial_mode:
        partial = _partial_train(data_dir, profile.partial_mode, train)
        if partial:
            counts[PARTIAL_TRAIN] = len(partial)
            train += partial
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
    profile: Profile, work: Path, vectors: Path | None, clusters: Path | None
) -> dict[str, Any]:
    attrs, rows = list(_BASE_ATTRS), [profile.norm_rows, *_BASE_ROWS[1:]]
    if clusters is not None:
        attrs += ["TAG", "LEMMA"]
        rows += list(profile.cluster_rows)
    return {
        "paths.train": str(work / "train.spacy"),
        "paths.dev": str(work / "dev.spacy"),
        "paths.vectors": str(vectors) if vectors else None,
        "paths.features": str(work / "features.json"),
        "paths.clusters": str(clusters) if clusters else None,
        "system.seed": SEED,
        "components.tok2vec.model.embed.include_static_vectors": vectors is not None,
        "components.tok2vec.model.embed.attrs": attrs,
        "components.tok2vec.model.embed.rows": rows,
        "components.tok2vec.model.encode.width": profile.width,
        "components.tok2vec.model.encode.depth": profile.depth,
        "components.tok2vec.model.encode.maxout_pieces": profile.maxout_pieces,
        "training.max_steps": profile.max_steps,
        "training.eval_frequency": min(profile.eval_frequency, profile.max_steps),
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


def _write_features(path: Path, profile: Profile, classes: dict[str, frozenset[str]]) -> None:
    import srsly

    from newsstream.nlp.features import all_feature_values

    srsly.write_json(path, all_feature_values((), classes) if profile.features else {})


def _write_clusters(path: Path, profile: Profile) -> Path | None:
    """The cluster table the pipeline will ship (``None`` when the profile has none)."""
    if not profile.cluster_words:
        return None
    import srsly

    from newsstream.nlp.clusters import top_clusters

    srsly.write_json(path, top_clusters(profile.cluster_words))
    return path


def _resolve_profile(profile: str | Profile, max_steps: int | None) -> Profile:
    prof = PROFILES[profile] if isinstance(profile, str) else profile
    return replace(prof, max_steps=max_steps) if max_steps is not None else prof


def train_model(
    out: Path,
    data_dir: Path,
    profile: str | Profile = "full",
    *,
    settings: Settings,
    max_steps: int | None = None,
    heldout_n: int = HELDOUT_SENTENCES,
) -> TrainResult:
    """Train ``profile`` on ``data_dir`` and write the pipeline to ``out`` (replaced atomically).

    ``settings`` gives the caches: the German dictionary (``cache_dir/lexicon``) and floret
    vectors (``cache_dir/vectors``).
    """
    import spacy
    from spacy import util
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as train_loop

    import newsstream.nlp.lexicon
    import newsstream.nlp.progress  # noqa: F401  (registers the progress logger)

    prof = _resolve_profile(profile, max_steps)
    started = time.perf_counter()
    data = load_training_data(data_dir, prof, heldout_n)
    log.info("training data", extra={"profile": prof.name, "counts": data.counts})
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ns-train-", dir=out.parent) as tmp:
        work = Path(tmp)
        vocab = spacy.blank("de").vocab
        write_docbin(data.train, work / "train.spacy", vocab)
        write_docbin(data.dev, work / "dev.spacy", vocab)
        classes = load_classes(settings) if prof.wordclasses else {}
        _write_features(work / "features.json", prof, classes)
        clusters = _write_clusters(work / "clusters.json", prof)
        vectors_cache = settings.cache_dir / "vectors"
        vectors = (
            _train_vectors(data_dir, prof, data, work, vectors_cache) if prof.vectors_dim else None
        )
        overrides = _config_overrides(prof, work, vectors, clusters)
        config = util.load_config(CONFIG_PATH, overrides=overrides, interpolate=False)
        util.fix_random_seed(SEED)
        nlp = init_nlp(config)
        (work / "output").mkdir()
        train_loop(nlp, work / "output", stdout=sys.stderr, stderr=sys.stderr)
        run = RunInfo(
            profile=prof,
            data_dir=data_dir,
            counts=data.counts,
            heldout=data.heldout,
            dev_n=len(data.dev),
            train_s=time.perf_counter() - started,
            note="vectors: word table from floret" if vectors else None,
        )
        return finalize_model(work / "output" / "model-best", out, run, common_nouns(classes))
