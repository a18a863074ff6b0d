"""``newsstream model ensure`` / ``make model``: make sure a German entity model resolves.

When nothing resolves (:func:`newsstream.nlp.model.resolve_model`), in this order:

1. **downloadable**: install the official ``de_core_news_lg`` with pip from spaCy's release
   (what a user with internet gets; it then wins resolution). Probed with one HEAD request of a
   few seconds, so a machine without internet falls through in seconds, not minutes.
2. **trainable**: train a newsstream profile from the NER data (``NEWSSTREAM_NER_DATA_DIR``, else
   the nearest ``shared/data/ner`` in the working directory or one of its parents: from a
   checkout, ``make model`` finds the ``../shared`` beside it).
3. **none**: stop with :class:`~newsstream.errors.ModelNotFoundError` naming both ways and their
   exact commands.

The decision (:func:`plan`) is pure; the probes that touch the network or the disk are passed
in (:class:`Probes`), so tests decide every branch without a network. This is training-side
code: the runtime loader (:mod:`newsstream.nlp.model`) never imports it.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from newsstream.errors import ModelNotFoundError
from newsstream.nlp.model import OFFICIAL_MODELS, TRAINED_MODEL_DIR, resolve_model
from newsstream.settings import Settings

log = logging.getLogger(__name__)

OFFICIAL = OFFICIAL_MODELS[0]  # de_core_news_lg
#: Seconds for the reachability probe of the official model's wheel.
PROBE_TIMEOUT_S = 4.0
DEFAULT_PROFILE = "fast"

Decision = Literal["installed", "downloadable", "trainable", "none"]


def official_wheel_url(spacy_version: str | None = None) -> str:
    """The official model's wheel for this spaCy minor version (what ``spacy download`` uses)."""
    if spacy_version is None:
        from spacy.about import __version__

        spacy_version = str(__version__)
    major, minor = spacy_version.split(".")[:2]
    version = f"{major}.{minor}.0"
    return (
        "https://github.com/explosion/spacy-models/releases/download/"
        f"{OFFICIAL}-{version}/{OFFICIAL}-{version}-py3-none-any.whl"
    )


def find_ner_data(settings: Settings, cwd: Path | None = None) -> Path | None:
    """``NEWSSTREAM_NER_DATA_DIR`` if set, else the nearest ``shared/data/ner`` walking up from
    ``cwd`` (default: the working directory). ``None`` when there is no GermEval in it."""
    if settings.ner_data_dir is not None:
        found: Path | None = settings.ner_data_dir
    else:
        start = (cwd or Path.cwd()).resolve()
        candidates = (d / "shared" / "data" / "ner" for d in (start, *start.parents))
        found = next((c for c in candidates if c.is_dir()), None)
    if found is None or not (found / "germeval2014").is_dir():
        return None
    return found


def default_ner_data_dir(settings: Settings, cwd: Path | None = None) -> Path:
    """Where training reads by default: :func:`find_ner_data`, else ``../shared/data/ner``
    relative to ``cwd`` (which then names the expected place in error messages)."""
    found = find_ner_data(settings, cwd)
    if found is not None:
        return found
    return settings.ner_data_dir or (cwd or Path.cwd()).resolve().parent / "shared/data/ner"


@dataclass(frozen=True)
class Probes:
    """What :func:`ensure_model` asks the world; tests pass fakes."""

    resolved: Callable[[], str | None]
    downloadable: Callable[[], bool]
    data_dir: Callable[[], Path | None]
    #: False when the resolved model is a newsstream model trained by an older recipe.
    current: Callable[[], bool] = lambda: True


def plan(probes: Probes) -> Decision:
    """installed / downloadable / trainable / none, in that order of preference (pure).

    A newsstream model trained by an older recipe than any current profile counts as installed
    only when nothing better can be had: otherwise ``make model`` would keep serving it.
    """
    resolved = probes.resolved() is not None
    if resolved and probes.current():
        return "installed"
    if probes.downloadable():
        return "downloadable"
    if probes.data_dir() is not None:
        return "trainable"
    return "installed" if resolved else "none"


def _resolved(settings: Settings) -> str | None:
    try:
        return resolve_model(settings).name_or_path
    except ModelNotFoundError:
        return None


def is_current(settings: Settings) -> bool:
    """False only for a cached newsstream model whose recipe no current profile has."""
    from newsstream.nlp.profiles import PROFILES, recipe_id

    try:
        ref = resolve_model(settings)
    except ModelNotFoundError:
        return True
    meta = Path(ref.name_or_path) / "meta.json"
    if ref.source != "cache" or not meta.is_file():
        return True
    recipe = json.loads(meta.read_text(encoding="utf-8")).get("newsstream", {}).get("recipe")
    current = recipe in {recipe_id(p) for p in PROFILES.values()}
    if not current:
        log.warning("the cached model was trained by an older recipe", extra={"model": str(meta)})
    return current


def url_reachable(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """One HEAD request (redirects followed); any error or timeout means no."""
    import httpx

    try:
        response = httpx.head(url, timeout=timeout_s, follow_redirects=True)
    except (httpx.HTTPError, OSError):
        return False
    return response.status_code == 200


def default_probes(settings: Settings) -> Probes:
    return Probes(
        resolved=lambda: _resolved(settings),
        downloadable=lambda: url_reachable(official_wheel_url()),
        data_dir=lambda: find_ner_data(settings),
        current=lambda: is_current(settings),
    )


def install_official(url: str | None = None) -> bool:
    """``pip install`` the official model wheel into this interpreter; ``True`` on success."""
    cmd = [sys.executable, "-m", "pip", "install", "--retries", "0", "--timeout", "15"]
    log.info("installing the official German model", extra={"model": OFFICIAL})
    try:
        done = subprocess.run(
            [*cmd, url or official_wheel_url()], capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired:
        return False
    if done.returncode != 0:
        log.warning("installing %s failed: %s", OFFICIAL, done.stderr[-500:])
    return done.returncode == 0


def no_model_message(settings: Settings) -> str:
    """Both ways to a model, with their exact commands."""
    return (
        "no German entity model resolves, the official model cannot be downloaded from here, "
        f"and there is no NER training data at {default_ner_data_dir(settings)}. Either install "
        f"the official model (`python -m spacy download {OFFICIAL}`, or set "
        "NEWSSTREAM_SPACY_MODEL to a package name or path), or point newsstream at the NER "
        "data (GermEval 2014 etc., see README) and train: "
        "`NEWSSTREAM_NER_DATA_DIR=/path/to/ner make model` "
        "(or `newsstream model train --data /path/to/ner`)."
    )


def ensure_model(
    settings: Settings, profile: str = DEFAULT_PROFILE, probes: Probes | None = None
) -> str:
    """The resolved model; when none resolves, install the official one or train ``profile``."""
    probes = probes or default_probes(settings)
    decision = plan(probes)
    log.info("model decision", extra={"decision": decision})
    if decision == "installed":
        return str(probes.resolved())
    if decision == "downloadable" and install_official():
        return OFFICIAL
    data_dir = probes.data_dir()
    if data_dir is None:
        raise ModelNotFoundError(no_model_message(settings))
    from newsstream.nlp.train import train_model

    out = settings.models_dir / TRAINED_MODEL_DIR
    log.info("training a model", extra={"profile": profile, "out": str(out)})
    return str(train_model(out, data_dir, profile, settings=settings).path)
