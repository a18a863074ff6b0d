"""The one settings object. Every ``NEWSSTREAM_*`` environment variable is named here.

Nothing else in the package reads a ``NEWSSTREAM_*`` variable: services receive a
:class:`Settings` instance, so tests can build one with explicit values and never leak state
between runs. (``newsstream run`` copies the rest of the environment to its children, and
writes their ``NEWSSTREAM_*`` variables from this object: ``roles.settings_env``.)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: BR24's public RSS feeds, served from ``nachrichtenfeeds.br.de`` (RSS 2.0): the BR24 front
#: page ("Startseite", board QXAPkQJ), Wirtschaft and Wissen. Kept in this one place; override
#: with ``NEWSSTREAM_FEEDS``. (The same boards exist as RSS 1.0 under ``/rdf/boards/<id>``.)
DEFAULT_FEEDS: tuple[str, ...] = (
    "https://nachrichtenfeeds.br.de/rss/nachrichten/seiten/QXAPkQJ",
    "https://nachrichtenfeeds.br.de/rss/nachrichten/seiten/QXAPwyN",
    "https://nachrichtenfeeds.br.de/rss/nachrichten/seiten/QXAPyRp",
)
#: The BR24 feeds link to articles on www.br.de, a different host than the feeds' own; with
#: BR24 feeds and no ``NEWSSTREAM_ALLOWED_HOSTS``, these hosts are allowed too.
DEFAULT_ARTICLE_HOSTS: tuple[str, ...] = ("www.br.de",)

CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Runtime configuration, read once from ``NEWSSTREAM_*`` variables (and ``.env``)."""

    # env_ignore_empty: ``NEWSSTREAM_FEEDS=`` (as in a copied .env.example) means "the default",
    # never "an empty list": an empty feed list would leave the poller silently idle.
    model_config = SettingsConfigDict(
        env_prefix="NEWSSTREAM_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )

    # --- connections (contract names) -------------------------------------------------
    kafka_bootstrap: str = "localhost:9092"
    es_url: str = "http://localhost:9200"
    es_username: str | None = None
    es_password: SecretStr | None = None
    es_api_key: SecretStr | None = None
    es_ca_certs: Path | None = None
    #: A superuser that only ``newsstream setup`` uses, to create the least-privilege role and
    #: user (``es_username``/``es_password``) that every service runs as. Docker route only.
    es_admin_username: str | None = None
    es_admin_password: SecretStr | None = None
    #: Kibana, for importing newsstream's saved objects (``newsstream setup``).
    kibana_url: str = "http://localhost:5601"
    #: Docker route only: the password ``newsstream setup`` gives Kibana's kibana_system user.
    kibana_system_password: SecretStr | None = None

    # --- feeds and fetching -----------------------------------------------------------
    #: Feed URLs; when set, they replace the feeds file (kept for one-list setups and tests).
    feeds: CommaList = Field(default_factory=lambda: list(DEFAULT_FEEDS))
    #: The feeds file (per-feed outlet, interval floor, hosts, language, user agent);
    #: None = ``<state_dir>/feeds.yaml`` if it exists, else newsstream's default feeds.
    feeds_file: Path | None = None
    #: Hosts articles may be fetched from. Empty means: the hosts of ``feeds``.
    allowed_hosts: CommaList = Field(default_factory=list)
    #: Networks (CIDR) that may be fetched although private/loopback. Tests allow 127.0.0.1/32.
    allowed_private_networks: CommaList = Field(default_factory=list)
    poll_interval_s: float = 60.0
    poll_max_interval_s: float = 3600.0
    http_timeout_s: float = 10.0
    http_max_redirects: int = 5
    http_max_bytes: int = 5 * 1024 * 1024
    fetch_concurrency: int = 16
    fetch_per_host_concurrency: int = 4
    user_agent: str = "newsstream/0.1 (+https://github.com/newsstream/newsstream)"

    # --- NLP ---------------------------------------------------------------------------
    spacy_model: str | None = None
    #: NER training corpora (``model train/ensure``); None = the repo's ../shared/data/ner.
    ner_data_dir: Path | None = None
    #: Bodies longer than this many characters are split into chunks for spaCy (not truncated).
    max_body_chars: int = 100_000
    #: Languages the entity model covers: articles in others are indexed without entities
    #: and quotations (and counted).
    nlp_languages: CommaList = Field(default_factory=lambda: ["de"])
    #: BLAS threads of a process that runs the model (0 = the library's default, one per
    #: core). Workers scale by process: two threads each made two workers on two cores spin
    #: for each other's cores (``docs/scaling.md``, session 13).
    nlp_blas_threads: int = Field(1, ge=0)

    # --- places on disk -------------------------------------------------------------
    state_dir: Path = Path.home() / ".local" / "state" / "newsstream"
    cache_dir: Path = Path.home() / ".cache" / "newsstream"

    # --- Kafka topics and groups (contract defaults) ----------------------------------
    topic_raw: str = "news.articles.raw"
    topic_enriched: str = "news.articles.enriched"
    topic_dead_letter: str = "news.dead-letter"
    #: Article revisions the indexer has made searchable (written and refreshed): the
    #: alerter's input. Compacted, keyed by article id.
    topic_indexed: str = "news.indexed"
    #: One alert per (watch, article) and new evidence; compacted, keyed ``watch_id/article_id``.
    topic_alerts: str = "news.alerts"
    topic_partitions: int = 6
    #: Replication of new topics; unset = follow the cluster (3 and 2 from three brokers on,
    #: else 1 and 1). Existing topics with fewer replicas make ``setup`` refuse, with the reason.
    topic_replication_factor: int | None = None
    topic_min_insync_replicas: int | None = None
    extractor_group: str = "newsstream-extractor"
    indexer_group: str = "newsstream-indexer"
    #: The alerter's two groups: matching (``news.indexed``), delivery (``news.alerts``).
    alerter_group: str = "newsstream-alerter"
    notifier_group: str = "newsstream-notifier"

    # --- Elasticsearch aliases (contract defaults) ------------------------------------
    articles_alias: str = "news-articles"
    quotes_alias: str = "news-quotes"
    watches_alias: str = "news-watches"
    alerts_alias: str = "news-alerts"

    # --- alerts (``newsstream watch`` / ``newsstream alert``) ----------------------------
    #: Delivery attempts per alert and target before the alert goes to the dead-letter topic.
    alert_max_tries: int = 8
    #: Longest back-off between two delivery attempts (exponential from 0.5 s, with jitter).
    alert_retry_max_s: float = 30.0
    #: Time-out of one webhook request or SMTP conversation.
    alert_timeout_s: float = 10.0
    #: Refuse webhooks to private and loopback addresses too (link-local ones are always
    #: refused). Off by default: a receiver on the user's own machine or network is legitimate.
    alert_deny_private: bool = False
    #: The matcher starts a match (one ``_msearch`` of every candidate watch) at most this
    #: often; what the indexer announces meanwhile is matched together. A match's cost grows
    #: far more slowly than its batch, so this bounds the alerter's Elasticsearch load at the
    #: price of at most this much latency (docs/alerts.md). 0: match every poll.
    alert_match_every_s: float = Field(default=0.5, ge=0.0, le=10.0)
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "newsstream@localhost"
    smtp_starttls: bool = False

    # --- worker tuning -----------------------------------------------------------------
    extract_batch_size: int = 32
    extract_batch_wait_ms: int = 500
    index_bulk_max_docs: int = 500
    index_bulk_max_bytes: int = 5 * 1024 * 1024
    index_bulk_max_wait_s: float = 1.0
    #: Bulk requests the indexer keeps in flight at once under a backlog, one writer thread
    #: each (a trickle of small batches uses the first). Batches that share no article go to
    #: different writers; a batch with an article still being written waits behind it on the
    #: same writer, so each article's writes stay in order.
    index_writers: int = Field(default=2, ge=1, le=8)
    #: While batches keep coming, the indexer refreshes (makes searchable, then announces and
    #: commits) at most this often; a batch written in a lull is refreshed at once, unless
    #: the last refresh is younger than ``index_refresh_min_interval_s``.
    index_refresh_every_s: float = 1.0
    #: Never refresh more often than this, lull or not: a batch written sooner after the last
    #: refresh is made searchable (with whatever came meanwhile) when the interval is up.
    #: At 10 articles/s, refreshing every lull batch meant ~6 refreshes a second per index,
    #: Elasticsearch's largest CPU cost (measured in docs/alerts.md). 0 = every lull batch.
    #: The one exception: the batch that ends a backlog (written while another full batch
    #: waited) is refreshed with it, so the whole burst is not held back by the interval.
    index_refresh_min_interval_s: float = Field(default=0.5, ge=0.0, le=10.0)
    #: ``--until-idle`` exits after the input had no new message for this long.
    idle_seconds: float = 5.0
    #: The watchdog stops a consumer whose positions have not moved for this long while
    #: records wait (``newsstream run`` restarts it).
    stall_seconds: float = 120.0

    # --- local stack (``newsstream stack``) -------------------------------------------
    kafka_heap_mb: int = 512
    es_heap_mb: int = 1024
    java_home: Path | None = None
    stack_start_timeout_s: float = 180.0

    # --- observability -----------------------------------------------------------------
    log_level: str = "INFO"
    #: ``auto``: readable lines when stderr is a terminal, JSON lines otherwise.
    log_format: Literal["auto", "json", "console"] = "auto"
    #: Interface of the /metrics servers; containers set 0.0.0.0 (compose publishes on 127.0.0.1).
    metrics_host: str = "127.0.0.1"
    metrics_port_poller: int = 9101
    metrics_port_extractor: int = 9102
    metrics_port_indexer: int = 9103
    metrics_port_alerter: int = 9104
    #: Set to false to start no /metrics HTTP server (tests running many workers in one process).
    metrics_enabled: bool = True

    _split = field_validator(
        "allowed_hosts", "allowed_private_networks", "nlp_languages", mode="before"
    )(_split_commas)

    @field_validator("feeds", mode="before")
    @classmethod
    def _feeds_or_defaults(cls, value: object) -> object:
        """A feed list that says nothing (``""``, ``" , "``) means the default feeds."""
        value = _split_commas(value)
        return list(DEFAULT_FEEDS) if value == [] else value

    # --- derived values ---------------------------------------------------------------
    @property
    def kafka_port(self) -> int:
        first = self.kafka_bootstrap.split(",")[0]
        return int(first.rsplit(":", 1)[1]) if ":" in first else 9092

    @property
    def es_port(self) -> int:
        return urlsplit(self.es_url.split(",")[0].strip()).port or 9200

    @property
    def effective_allowed_hosts(self) -> frozenset[str]:
        """Hosts that may be fetched: the configured list, else the hosts of the feeds."""
        hosts = self.allowed_hosts or [urlsplit(url).hostname or "" for url in self.feeds]
        feed_hosts = {urlsplit(url).hostname for url in DEFAULT_FEEDS}
        if not self.allowed_hosts and feed_hosts & set(hosts):
            hosts = [*hosts, *DEFAULT_ARTICLE_HOSTS]
        return frozenset(h.lower() for h in hosts if h)

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment exactly once."""
    return Settings()
