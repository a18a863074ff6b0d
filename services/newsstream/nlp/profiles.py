"""Training profiles of the German entity model: what to train on and how long.

``fast`` is what CI trains (and what ``newsstream model ensure`` trains by default); ``full`` is
the same recipe trained longer. Figures behind every choice are in ``nlp/README.md``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

#: The GermEval train split with partly recovered text (see :mod:`newsstream.nlp.partial`).
PARTIAL_TRAIN = "germeval2014/train-partial.tsv.gz"


@dataclass(frozen=True)
class Profile:
    """One training recipe (see the module docstring for the two that ship)."""

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
    #: Sources without MISC annotation whose capitalised O tokens count as "not annotated".
    mask_misc: bool = False
    eval_frequency: int = 250
    #: Non-GermEval sources: entities starting with a lower-case adjective become ``O``.
    drop_adjectives: bool = True
    #: How the partly recovered GermEval train split is used: ``None`` (not at all) or a mode
    #: of :mod:`newsstream.nlp.partial` (``replace``, ``mask``, ``complete``).
    partial_mode: str | None = None
    #: Brown clusters for the this many most probable word forms (0: no clusters).
    cluster_words: int = 0
    #: Rows of the hash tables of the two cluster features (TAG: cluster, LEMMA: path prefix).
    cluster_rows: tuple[int, int] = (1000, 100)
    #: Rows of the word (NORM) hash table.
    norm_rows: int = 20000


_EUROPARL = ("europarl/train.tsv", "europarl/dev.tsv", "europarl/test.tsv")
_SOURCES = (*_EUROPARL, "extra/smartdata/train.tsv")
#: Both profiles use the GermEval train split by mention replacement and all 1,000,001 cluster
#: forms (nlp/README.md, session 3: about +9 F1 over the profiles before them).
_ALL_CLUSTERS = 1_000_001
# What CI and `make model` train: about 6 minutes of CPU on 2 cores.
_FAST = Profile(
    name="fast",
    sources=_SOURCES,
    max_steps=2000,
    # 64, not 96: the same F1 within noise at twice the speed (nlp/README.md).
    width=64,
    eval_frequency=250,
    mask_misc=True,
    partial_mode="replace",
    cluster_words=_ALL_CLUSTERS,
)
PROFILES: dict[str, Profile] = {
    "fast": _FAST,
    # The same data trained longer. Session 2's extras for full (floret vectors, GermEval x2,
    # SmartData dev) measured no gain on top of the two levers (nlp/README.md: "full + both").
    "full": replace(_FAST, name="full", max_steps=3000, eval_frequency=500),
}


def recipe_id(profile: Profile) -> str:
    """A short fingerprint of what a profile trains (its fields and the spaCy config), kept in
    ``meta.json``: ``model ensure`` retrains a cached model whose recipe no profile has any more."""
    config = Path(__file__).with_name("configs") / "ner.cfg"
    text = json.dumps(asdict(profile), sort_keys=True) + config.read_text(encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
