"""Pure modules stay pure: importing one loads no network or service client library.

Each module is imported in a fresh interpreter (so nothing else has loaded the libraries
first) and ``sys.modules`` is checked. Pure logic - text cleaning, quotation finding, entity
handling, documents, mappings, batch planning, the fetch rules - must be testable and usable
without Kafka, Elasticsearch, HTTP or Prometheus.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PURE = (
    "newsstream.text.clean",
    "newsstream.text.decode",
    "newsstream.messages",
    "newsstream.poller.feeds",
    "newsstream.poller.guard",
    "newsstream.poller.article",
    "newsstream.poller.recovery",
    "newsstream.extractor.quotes",
    "newsstream.extractor.entities",
    "newsstream.indexer.documents",
    "newsstream.indexer.mappings",
    "newsstream.indexer.batch",
    "newsstream.indexer.ops",
    "newsstream.search",
    "newsstream.outlets.config",
    "newsstream.outlets.opml",
    "newsstream.outlets.robots",
    "newsstream.outlets.politeness",
    "newsstream.outlets.language",
    "newsstream.outlets.dedupe",
    "newsstream.alerts.watches",
    "newsstream.alerts.matching",
    "newsstream.alerts.payload",
    "newsstream.alerts.mappings",
)
IO_LIBRARIES = ("httpx", "httpcore", "kafka", "elasticsearch", "elastic_transport",
                "prometheus_client", "psutil")  # fmt: skip


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_io_library(module: str) -> None:
    code = (
        "import importlib, json, sys; importlib.import_module(sys.argv[1]); "
        f"print(json.dumps([m for m in {list(IO_LIBRARIES)!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, module], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == [], f"{module} pulls in I/O libraries"
