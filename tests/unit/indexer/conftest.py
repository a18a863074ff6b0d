"""Fixtures for the indexer unit tests: the shared gold article as an EnrichedArticle."""

from __future__ import annotations

import pytest
from tests.support.samples import enriched_from_gold
from tests.support.shared import seed_gold, seed_text

from newsstream.messages import EnrichedArticle


@pytest.fixture(scope="session")
def gold_article() -> EnrichedArticle:
    return enriched_from_gold(seed_text(), seed_gold())
