"""Which spaCy model runs, loaded once per process, with labels PER/LOC/ORG/MISC and sentences.

Resolution order (contract): ``NEWSSTREAM_SPACY_MODEL`` (a package name or a path) if set; else
an installed official ``de_core_news_lg``/``md``/``sm``; else the model trained by newsstream in
``settings.models_dir``; else :class:`~newsstream.errors.ModelNotFoundError`.

This is the runtime side: it never imports training code. Getting a model when none resolves
(official download or training) is :mod:`newsstream.nlp.ensure`.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from newsstream.errors import ModelNotFoundError
from newsstream.settings import Settings

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

OFFICIAL_MODELS: tuple[str, ...] = ("de_core_news_lg", "de_core_news_md", "de_core_news_sm")
TRAINED_MODEL_DIR = "de_newsstream"
LEXICON = "newsstream_lexicon"
LABELS = frozenset({"PER", "LOC", "ORG", "MISC"})

#: Labels of other schemes (OntoNotes, CoNLL, GermEval) mapped onto ours; unlisted ones are dropped.
LABEL_MAP: dict[str, str] = {
    "PERSON": "PER",
    "PER": "PER",
    "GPE": "LOC",
    "LOC": "LOC",
    "LOCATION": "LOC",
    "FAC": "LOC",
    "ORG": "ORG",
    "ORGANIZATION": "ORG",
    "MISC": "MISC",
    "OTH": "MISC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: what to pass to ``spacy.load`` and which rule chose it."""

    name_or_path: str
    source: Literal["setting", "official", "cache"]


def _package_installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def trained_model_path(settings: Settings) -> Path | None:
    """The newsstream-trained pipeline in ``models_dir``, if there (has ``meta.json``)."""
    base = settings.models_dir
    candidates = [base / TRAINED_MODEL_DIR]
    if base.is_dir():
        candidates += sorted(base.glob(f"{TRAINED_MODEL_DIR}*"), reverse=True)
    for path in candidates:
        if (path / "meta.json").is_file() and (path / "config.cfg").is_file():
            return path
    return None


def resolve_model(settings: Settings) -> ModelRef:
    """Pick the model by the documented order; ``ModelNotFoundError`` says how to get one."""
    if settings.spacy_model:
        return ModelRef(settings.spacy_model, "setting")
    for name in OFFICIAL_MODELS:
        if _package_installed(name):
            return ModelRef(name, "official")
    trained = trained_model_path(settings)
    if trained is not None:
        return ModelRef(str(trained), "cache")
    raise ModelNotFoundError(
        "no German spaCy model found. Either install an official one "
        "(`python -m spacy download de_core_news_lg`, or set NEWSSTREAM_SPACY_MODEL to a package "
        "name or path), or train one offline with `newsstream model train` (writes "
        f"{settings.models_dir / TRAINED_MODEL_DIR}; `make model` / `newsstream model ensure` "
        "does whichever of the two this machine can)."
    )


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Shrink a span past leading/trailing whitespace and punctuation tokens."""
    while start < end and (doc[start].is_space or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_space or doc[end - 1].is_punct):
        end -= 1
    return start, end


@lru_cache(maxsize=1)
def _gazetteer_labels() -> dict[str, str]:
    from newsstream.nlp.gazetteer import ruler_patterns

    return {p["pattern"]: p["label"] for p in ruler_patterns()}


#: File in a newsstream-trained pipeline: German common nouns, one per line (compound heads).
COMPOUND_HEADS_FILE = "compound_heads.txt"


def is_name_compound(text: str, nouns: Collection[str]) -> bool:
    """``SPD-Vorsitzende``, ``US-Kongress``: one token naming a thing *by* a name.

    GermEval calls these ORGpart/LOCpart (not entities), and the official German models rarely
    tag them; the model trained here does, too often. The token is such a compound when the
    head after its last hyphen is an ordinary German noun (``nouns``, from the German
    dictionary, without proper names): ``Baden-Württemberg`` has a place as head and stays.
    Measured on the GermEval dev slice: precision +2.9 points, F1 +0.9.
    """
    stem, sep, head = text.strip("-").rpartition("-")
    return bool(sep and stem and head[:1].isupper() and head in nouns)


def read_compound_heads(model_dir: Path | None) -> frozenset[str]:
    """The nouns a newsstream-trained pipeline ships; empty for other models."""
    if model_dir is None:
        return frozenset()
    path = Path(model_dir) / COMPOUND_HEADS_FILE
    if not path.is_file():
        return frozenset()
    return frozenset(path.read_text(encoding="utf-8").split())


def clear_cluster_attrs(doc: Doc) -> Doc:
    """Reset ``TAG``/``LEMMA``, which the lexicon component borrows for word clusters.

    They only feed ``tok2vec``; a user of the Doc should find them empty, not ``C40``.
    """
    for token in doc:
        token.tag = 0
        token.lemma = 0
    return doc


def clean_entities(
    doc: Doc, nouns: Collection[str] = frozenset(), clear_clusters: bool = False
) -> Doc:
    """Map labels onto PER/LOC/ORG/MISC (dropping dates, numbers, ...) and trim edge whitespace.

    An entity whose whole text is a gazetteer name takes the gazetteer's label (the model
    sometimes calls "Kreml" a place or "Charkiw" an organisation); partial overlaps are left alone.

    Scraped article text has line breaks the NER never saw in training; an entity such as
    ``"BR24.\\n\\n"`` is trimmed to ``"BR24"``. A single-token compound such as
    ``"SPD-Vorsitzende"`` is dropped (:func:`is_name_compound`).
    """
    from spacy.tokens import Span

    known = _gazetteer_labels()
    kept = []
    changed = False
    for ent in doc.ents:
        label = LABEL_MAP.get(ent.label_)
        start, end = _trim(doc, ent.start, ent.end)
        if label is not None and start < end:
            text = doc[start:end].text
            label = known.get(text, label)
            if end - start == 1 and text not in known and is_name_compound(text, nouns):
                label = None
        if label is None or start >= end:
            changed = True
            continue
        if label != ent.label_ or (start, end) != (ent.start, ent.end):
            changed = True
            kept.append(Span(doc, start, end, label=label))
        else:
            kept.append(ent)
    if changed:
        doc.ents = kept
    return clear_cluster_attrs(doc) if clear_clusters else doc


def _register_components() -> None:
    from spacy.language import Language

    import newsstream.nlp.lexicon  # noqa: F401  (newsstream-trained pipelines use it)

    if not Language.has_factory("newsstream_entities"):

        def make_cleaner(nlp: Language, name: str, model_dir: str | None) -> Callable[[Doc], Doc]:
            nouns = read_compound_heads(Path(model_dir) if model_dir else None)
            lexicon = nlp.get_pipe(LEXICON) if LEXICON in nlp.pipe_names else None
            clusters = bool(getattr(lexicon, "clusters", None))
            return partial(clean_entities, nouns=nouns, clear_clusters=clusters)

        Language.factory("newsstream_entities", default_config={"model_dir": None})(make_cleaner)


#: Sentence-final period after an acronym ("BR24.", "USA.") - spaCy's German rules keep it on.
#: Digit-only ordinals ("am 24. Februar") are untouched.
ACRONYM_PERIOD_SUFFIXES = (
    r"(?<=[A-ZÄÖÜ][A-ZÄÖÜ])\.",
    r"(?<=[A-ZÄÖÜ][0-9])\.",
    r"(?<=[A-Z][0-9]{2})\.",
)


def _split_acronym_periods(nlp: Language) -> None:
    from spacy.util import compile_suffix_regex

    suffixes = [*(nlp.Defaults.suffixes or ()), *ACRONYM_PERIOD_SUFFIXES]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search  # type: ignore[union-attr]


def prepare_pipeline(nlp: Language) -> Language:
    """Add entity clean-up (labels, whitespace) and a sentencizer if nothing sets sentences.

    Added at load time, never saved, so a trained pipeline loads with plain ``spacy.load`` too.
    """
    _register_components()
    _split_acronym_periods(nlp)
    if "newsstream_entities" not in nlp.pipe_names:
        model_dir = str(nlp.path) if nlp.path is not None else None
        nlp.add_pipe("newsstream_entities", last=True, config={"model_dir": model_dir})
    if not {"parser", "senter", "sentencizer"} & set(nlp.pipe_names):
        nlp.add_pipe("sentencizer", first=True)
    elif "senter" in nlp.pipe_names and "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    return nlp


_cache: dict[str, Language] = {}
_lock = threading.Lock()


def limit_blas_threads(threads: int) -> None:
    """Have the BLAS library run ``threads`` threads in this process (0: leave it alone).

    OpenBLAS starts one thread per core and lets them spin between calls. The model's matrix
    products are small: on 2 cores one process extracted 26.2 articles/s with one thread and
    21.4 with two (``bench/extract.py``), and beside the other worker, the poller and both
    JVMs the spinning takes the cores they need: two workers did 55 articles/s with one
    thread each and 48 with two, at 35 against 41 ms of CPU an article (interleaved runs).
    """
    if threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")


def load_pipeline(settings: Settings) -> Language:
    """Resolve and load the model once per process (per resolved name or path), with the
    BLAS threads of ``settings.nlp_blas_threads``."""
    ref = resolve_model(settings)
    with _lock:
        nlp = _cache.get(ref.name_or_path)
        if nlp is None:
            import spacy

            _register_components()
            try:
                nlp = spacy.load(ref.name_or_path)
            except OSError as exc:
                raise ModelNotFoundError(
                    f"cannot load spaCy model {ref.name_or_path!r} (from {ref.source}): {exc}"
                ) from exc
            prepare_pipeline(nlp)
            # now that spaCy has loaded numpy and with it the BLAS library
            limit_blas_threads(settings.nlp_blas_threads)
            name, version = model_info(nlp)
            log.info(
                "spaCy model loaded",
                extra={"model": name, "model_version": version, "source": ref.source},
            )
            _cache[ref.name_or_path] = nlp
        return nlp


def model_info(nlp: Language) -> tuple[str, str]:
    """``(name, version)`` for provenance, e.g. ``("de_newsstream", "0.1.0")``."""
    meta = nlp.meta
    name = f"{meta.get('lang', nlp.lang)}_{meta.get('name', 'pipeline')}"
    return name, str(meta.get("version", "0.0.0"))
