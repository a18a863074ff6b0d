"""Fixtures for the indexer unit tests: the shared gold article as an EnrichedArticle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsstream.indexer.samples import enriched_from_gold
from newsstream.messages import EnrichedArticle

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "articles"


@pytest.fixture(scope="session")
def gold_article() -> EnrichedArticle:
    body = (SHARED / "br24-putin-waffenruhe.txt").read_text(encoding="utf-8")
    gold = json.loads((SHARED / "br24-putin-waffenruhe.gold.json").read_text(encoding="utf-8"))
    return enriched_from_gold(body, gold)
