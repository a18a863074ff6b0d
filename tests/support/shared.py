"""The shared development data (``../shared`` beside the repository), or a clear skip.

A user's clone has no ``../shared``: every test that needs it skips with a reason that says
what is missing and where to put it, and everything else still runs.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
ARTICLES = SHARED / "data" / "articles"
NER_DATA = SHARED / "data" / "ner"
SEED_ARTICLE = ARTICLES / "br24-putin-waffenruhe.txt"
SEED_GOLD = ARTICLES / "br24-putin-waffenruhe.gold.json"


def need(path: Path) -> Path:
    """``path`` if it exists, else skip the test and say where the data belongs."""
    if not path.exists():
        pytest.skip(
            f"needs the shared development data at {path} (put the shared/ folder beside the "
            f"repository, as {SHARED})"
        )
    return path


@cache
def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def read_text(path: Path) -> str:
    return _read_text(need(path))


def read_json(path: Path) -> Any:
    return json.loads(read_text(path))


def seed_gold() -> dict[str, Any]:
    """The hand-made gold of the seed BR24 article."""
    gold: dict[str, Any] = read_json(SEED_GOLD)
    return gold


def seed_text() -> str:
    """The seed BR24 article as scraped, page furniture included."""
    return read_text(SEED_ARTICLE)
