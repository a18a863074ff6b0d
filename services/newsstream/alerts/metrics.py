"""Prometheus metrics of ``newsstream alert`` (matching and delivery), on its own port."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ARTICLES = Counter("newsstream_alerter_articles_total", "Indexed article revisions matched")
ALERTS = Counter("newsstream_alerter_alerts_total", "Alerts produced to the alerts topic")
WATCHES = Gauge("newsstream_alerter_watches", "Watches matched against each batch")
MSEARCH_SECONDS = Histogram(
    "newsstream_alerter_msearch_seconds",
    "Time of one batch's _msearch (every watch against the batch's articles)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MATCH_SECONDS = Histogram(
    "newsstream_alerter_match_seconds",
    "Time to decide one batch against every watch (candidates, _msearch, what is new)",
    buckets=(0.001, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PAIRS = Counter("newsstream_alerter_pairs_total", "(watch, article) pairs decided")
SEARCHED = Counter("newsstream_alerter_watch_searches_total", "Watches searched (candidates)")
WATCH_ERRORS = Counter(
    "newsstream_alerter_watch_errors_total", "Watch searches Elasticsearch refused at run time"
)
DELIVERIES = Counter(
    "newsstream_alerter_deliveries_total", "Notifications by target kind and outcome",
    ["kind", "outcome"],  # outcome: delivered | failed | watch_removed
)  # fmt: skip
DEAD_LETTERS = Counter(
    "newsstream_alerter_dead_letters_total", "Alerts or records sent to the dead-letter topic"
)
RETRIES = Counter("newsstream_alerter_retries_total", "Back-off waits, by reason", ["reason"])
LAG = Gauge("newsstream_alerter_lag", "Records of news.indexed and news.alerts not yet consumed")
