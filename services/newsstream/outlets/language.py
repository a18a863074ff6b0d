"""The language of an article (pure): detected from its text, the declared one as fallback.

Why detect at all: outlets declare one language for a whole site (``<html lang="de">``, the
feed's ``<language>``) while publishing English, Turkish or Ukrainian pieces beside German
ones; a German model run over them finds nonsense entities. ``py3langid`` (a maintained,
numpy-only port of langid.py with its model in the package) needs about a microsecond per
character, so it reads only the head of the text. Short texts (a teaser) are too little to
judge: there the declared language wins unless the detector is very sure.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: Text looked at (the head of title + body): ~200 words, far more than langid needs for a
#: stable answer; 5,000 cost 5.5 ms per article, a tenth of the poller's CPU at full speed.
SAMPLE_CHARS = 1_500
#: Below this many characters the declared language wins unless detection is very sure.
SHORT_TEXT_CHARS = 200
SURE = 0.99
CONFIDENT = 0.80


@dataclass(frozen=True)
class LanguageGuess:
    language: str | None
    confidence: float
    #: "detected", "declared" (detector unsure or text too short) or "none".
    method: str


_LOADING = threading.Lock()


def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities (loaded once, ~1 s).

    Under a lock: ``lru_cache`` lets every thread that asks before the first load finishes
    load its own copy. The poller's first burst of articles once did exactly that (loading
    was 13 % of its samples in the pipeline benchmark; its peak memory fell from 407 to
    238 MB once it loaded one copy).
    """
    with _LOADING:
        return _load_identifier()


@lru_cache(maxsize=1)
def _load_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) for ``text``."""
    code, probability = _identifier().classify(text[:SAMPLE_CHARS])
    return str(code), float(probability)


def guess_language(title: str, body: str, declared: str | None) -> LanguageGuess:
    """The article's language: detected when the text is long enough and the detector sure."""
    text = f"{title}\n{body}".strip()
    declared = (declared or "").split("-")[0].split("_")[0].lower() or None
    if not any(ch.isalpha() for ch in text):
        return LanguageGuess(declared, 0.0, "declared" if declared else "none")
    code, probability = detect(text)
    needed = CONFIDENT if len(text) >= SHORT_TEXT_CHARS else SURE
    if probability >= needed or declared is None:
        return LanguageGuess(code, probability, "detected")
    return LanguageGuess(declared, probability, "declared")
