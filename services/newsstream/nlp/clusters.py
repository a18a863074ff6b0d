"""German Brown word clusters as two hashed features of the NER model.

Why: with only the word itself, the model cannot generalise from "Merkel" to "Scholz"; Brown
clusters, learned from a large German corpus, put both in one cluster of surnames (a probe with
cluster + capitalisation alone reached PER F1 0.79, word identity 0.35). The table comes from
the ``spacy-lookups-data`` package (MIT; ``de_lexeme_cluster.json.gz``: 1,000,001 word forms ->
cluster, ``de_lexeme_prob.json.gz``: their log probabilities), a training-time dependency only:
the trained pipeline ships the compact table it needs inside its ``newsstream_lexicon``.

spaCy 3.8 no longer reads ``Token.cluster`` into its hash embeddings, so the
``newsstream_lexicon`` component writes the cluster into two token attributes that this
pipeline does not otherwise use and that ``tok2vec`` hashes: ``TAG`` (the whole cluster, ``C123``)
and ``LEMMA`` (a coarse prefix of its bit path, ``P6:5``). spaCy stores a cluster's bit path as
the integer of the *reversed* bit string, so the first ``k`` bits of the path are the low ``k``
bits of the integer. Both attributes are reset after the entities are set (load time), so users
of a Doc never see them.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Mapping
from importlib import resources

from newsstream.errors import TrainingDataError

log = logging.getLogger(__name__)

#: The pip requirement that provides the table (a training-time dependency, see README).
PACKAGE = "spacy-lookups-data>=1.0.5,<1.1"
_CLUSTERS = "de_lexeme_cluster.json.gz"
_PROBS = "de_lexeme_prob.json.gz"
#: Bits of the path prefix written to ``LEMMA``.
PREFIX_BITS = 6


def _read_table(name: str) -> dict[str, float]:
    try:
        data = resources.files("spacy_lookups_data").joinpath("data", name)
    except ModuleNotFoundError as exc:
        raise TrainingDataError(
            f"German word clusters need the package {PACKAGE!r}: pip install '{PACKAGE}' "
            "(or `make install`, which installs newsstream's [train] extra)"
        ) from exc
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        table: dict[str, float] = json.load(fh)
    return table


def top_clusters(max_words: int) -> dict[str, int]:
    """The ``max_words`` most probable forms -> cluster integer (all if ``max_words`` <= 0)."""
    clusters = {word: int(c) for word, c in _read_table(_CLUSTERS).items()}
    if 0 < max_words < len(clusters):
        probs = _read_table(_PROBS)
        kept = sorted(clusters, key=lambda w: probs.get(w, -99.0), reverse=True)[:max_words]
        clusters = {word: clusters[word] for word in kept}
    log.info("German word clusters", extra={"words": len(clusters)})
    return clusters


def cluster_strings(cluster: int, prefix_bits: int = PREFIX_BITS) -> tuple[str, str]:
    """``(TAG value, LEMMA value)`` of one cluster: the whole cluster and its path prefix."""
    prefix = cluster & ((1 << prefix_bits) - 1)
    return f"C{cluster}", f"P{prefix_bits}:{prefix}"


def cluster_feature_table(clusters: Mapping[str, int]) -> dict[str, tuple[str, str]]:
    """Word -> ``(TAG, LEMMA)`` strings (pure; what the lexicon component looks up)."""
    return {word: cluster_strings(c) for word, c in clusters.items()}
