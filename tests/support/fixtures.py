"""Pytest fixtures for the local feed server; ``tests/conftest.py`` imports them.

from tests.support.fixtures import feed_server  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.feedserver import FeedServer

from newsstream.settings import Settings


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started :class:`FeedServer` on 127.0.0.1 (ephemeral port), stopped after the test."""
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


def local_settings(server: FeedServer, state_dir: Path, **overrides: Any) -> Settings:
    """Settings that poll ``server`` (127.0.0.1 explicitly allowed) with state in ``state_dir``."""
    values: dict[str, Any] = {
        "feeds": [server.feed_url],
        "allowed_private_networks": ["127.0.0.1/32"],
        "state_dir": state_dir,
        "metrics_enabled": False,
        "http_timeout_s": 2.0,
        "poll_interval_s": 60.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
