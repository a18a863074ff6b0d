"""Pytest fixtures for the local feed server; ``tests/conftest.py`` imports them.

from tests.support.fixtures import feed_server  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.support.feedserver import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started :class:`FeedServer` on 127.0.0.1 (ephemeral port), stopped after the test."""
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()
