"""Prometheus metrics of the indexer (served by ``start_metrics_server`` on its own port)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "newsstream_indexer_messages_total", "Messages read from the enriched topic", ["outcome"]
)
DOCS = Counter(
    "newsstream_indexer_docs_total",
    "Documents written to Elasticsearch",
    ["index", "result"],  # result: written | stale (older revision, 409) | deleted
)
BULK_SECONDS = Histogram(
    "newsstream_indexer_bulk_seconds",
    "Latency of one bulk request",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RETRIES = Counter(
    "newsstream_indexer_retries_total", "Bulk retries after a retriable failure", ["reason"]
)
DEAD_LETTERS = Counter(
    "newsstream_indexer_dead_letters_total", "Messages sent to the dead-letter topic", ["reason"]
)
LAG = Gauge("newsstream_indexer_lag", "Messages in the enriched topic not yet consumed")
HEAP_TRIMS = Counter(
    "newsstream_indexer_heap_trims_total",
    "Times the indexer gave a backlog's freed heap memory back to the operating system",
)
