"""Training profiles of the German entity model: what to train on and how long.

``fast`` is what CI trains (and what ``newsstream model ensure`` trains by default); ``full`` adds
floret vectors and more steps. Figures behind every choice are in ``nlp/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

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
