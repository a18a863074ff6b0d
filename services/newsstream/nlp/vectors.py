"""Static subword vectors (floret) trained on the German text at hand.

Why: the NER model trained from ~10k labelled sentences only knows the words it saw. Subword
vectors learnt from unlabelled prose (the shared ``text-de`` files plus the corpora's own
sentences) give every word, seen or not, a meaningful representation; floret keeps the table
small (hashed subwords, no per-word rows), so the pipeline stays fast and small.
"""

from __future__ import annotations

import gzip
import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy

log = logging.getLogger(__name__)


def write_training_text(
    out: Path, text_files: Iterable[Path], sentences: Iterable[list[str]]
) -> int:
    """One tokenised line per input line/sentence, spaCy's German tokenizer; returns word count."""
    import spacy

    tokenizer = spacy.blank("de").tokenizer
    words = 0
    with out.open("w", encoding="utf-8") as fh:
        for path in text_files:
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as src:
                for line in src:
                    line = line.strip()
                    if len(line) < 2:
                        continue
                    tokens = [t.text for t in tokenizer(line) if not t.is_space]
                    words += len(tokens)
                    fh.write(" ".join(tokens) + "\n")
        for sent in sentences:
            words += len(sent)
            fh.write(" ".join(sent) + "\n")
    return words


def vocabulary(text: Path, size: int, min_count: int = 2) -> list[str]:
    """The ``size`` most frequent tokens of the (tokenised, one line per sentence) text."""
    counts: Counter[str] = Counter()
    with text.open(encoding="utf-8") as fh:
        for line in fh:
            counts.update(line.split())
    return [w for w, n in counts.most_common(size) if n >= min_count]


def floret_to_table(floret_model: Path, words: list[str], out_dir: Path) -> Path:
    """Turn floret (hashed subword) vectors into a plain word table for ``words``.

    Why: spaCy computes floret vectors by hashing each token's character n-grams in Python at
    inference, which cut ``nlp.pipe`` from ~18k to ~4k words/s here. A table lookup is free;
    words outside the table get no vector (hash embeddings and lexicon features still cover them).
    """
    import spacy
    from spacy.vectors import Vectors

    source = spacy.load(floret_model).vocab.vectors
    rows = [source.get_batch(words[i : i + 5000]) for i in range(0, len(words), 5000)]
    data = numpy.vstack(rows).astype("float32")
    nlp = spacy.blank("de")
    keys = [nlp.vocab.strings.add(w) for w in words]
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, data=data, keys=keys, name="newsstream")
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    return out_dir


def train_floret(text: Path, out_dir: Path, *, dim: int, epoch: int) -> Path:
    """Train floret CBOW vectors and convert them into a spaCy vectors-only pipeline directory.

    floret has no seed parameter and trains with 2 threads, so vectors differ slightly per run.
    """
    import floret  # type: ignore[import-untyped]
    import spacy
    from spacy.training.initialize import convert_vectors

    out_dir.mkdir(parents=True, exist_ok=True)
    model = floret.train_unsupervised(
        str(text),
        model="cbow",
        mode="floret",
        hashCount=2,
        bucket=50000,
        minn=4,
        maxn=5,
        minCount=3,
        dim=dim,
        epoch=epoch,
        thread=2,
        verbose=0,
    )
    floret_path = out_dir / "vectors.floret"
    model.save_floret_vectors(str(floret_path))
    nlp = spacy.blank("de")
    convert_vectors(nlp, floret_path, truncate=0, prune=-1, mode="floret")
    vectors_model = out_dir / "vectors_model"
    nlp.to_disk(vectors_model)
    floret_path.unlink()
    log.info(
        "floret vectors trained", extra={"dim": dim, "epoch": epoch, "path": str(vectors_model)}
    )
    return vectors_model
