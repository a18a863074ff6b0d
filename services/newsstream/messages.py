"""Message models for the Kafka topics and their JSON wire form (contract: DESIGN.md).

``Article`` is the value of ``news.articles.raw``; ``EnrichedArticle`` (the raw fields plus
entities, quotes and NLP provenance) the value of ``news.articles.enriched``;
``DeadLetter`` the value of ``news.dead-letter``. All are keyed by ``article_id``.
``IndexableArticle`` is how the indexer reads ``news.articles.enriched``: without the
entities' offsets, which it does not use (both are an ``EnrichedBase``).
``Indexed`` (``news.indexed``, keyed by article id) says which revision the indexer has made
searchable; ``Alert`` (``news.alerts``, keyed ``watch_id/article_id``) is one watch's match.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal, Protocol, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

#: 2: ``outlet``, ``story_id``, ``duplicate_of``; ``source``/``source_error`` renamed to
#: ``body_from``/``body_error`` (version-1 messages are still read: see ``Article``).
SCHEMA_VERSION = 2

EntityLabel = Literal["PER", "ORG", "LOC", "MISC"]

#: Query parameters that only track the reader; they never make a different article.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "mc_cid", "mc_eid", "at_medium", "at_campaign", "xtor", "wt_mc"}
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def canonicalize_url(url: str) -> str:
    """Normalise a URL so that the same article always gets the same id.

    Lower-cases scheme and host, drops the fragment, default ports and tracking parameters
    (``utm_*`` and friends), and sorts the remaining query parameters.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS
    )
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def article_id_for(canonical_url: str) -> str:
    """Stable article id: a hash of the canonical URL (never of the feed GUID alone)."""
    return hashlib.sha256(canonicalize_url(canonical_url).encode("utf-8")).hexdigest()[:32]


def content_hash_for(title: str, body: str) -> str:
    """Hash of the cleaned title and body; a new revision is published only when it changes."""
    return hashlib.sha256(f"{title.strip()}\n\n{body.strip()}".encode()).hexdigest()


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        return cls.model_validate_json(data)


class Article(_Message):
    """A cleaned article revision as published by the poller to ``news.articles.raw``."""

    schema_version: int = SCHEMA_VERSION
    article_id: str
    revision: int = Field(ge=1)
    url: str
    canonical_url: str
    feed_url: str | None = None
    guid: str | None = None
    title: str
    teaser: str = ""
    body: str
    authors: list[str] = Field(default_factory=list)
    published_at: AwareDatetime | None = None
    modified_at: AwareDatetime | None = None
    fetched_at: AwareDatetime = Field(default_factory=utc_now)
    categories: list[str] = Field(default_factory=list)
    #: Detected from the text (``newsstream.outlets.language``), the declared one as fallback.
    language: str | None = "de"
    content_hash: str
    #: The outlet's display name from the feeds file (None in version-1 messages).
    outlet: str | None = None
    #: Where ``body`` came from: the fetched page, or the feed entry when the page could not
    #: be used (error, robots.txt). Called ``source`` in version 1, which readers took for
    #: the outlet.
    body_from: Literal["page", "feed"] = Field(
        "page", validation_alias=AliasChoices("body_from", "source")
    )
    #: Why the page could not be used when ``body_from == "feed"``.
    body_error: str | None = Field(
        None, validation_alias=AliasChoices("body_error", "source_error")
    )
    #: The story this article tells: the article id of the first article seen with this text
    #: (its own id when it is no copy). Copies of one agency story share it.
    story_id: str | None = None
    #: For a later copy: the article id it copies (the story's first article); else None.
    duplicate_of: str | None = None

    @property
    def source(self) -> str:
        """Deprecated name of ``body_from`` (schema 1), kept for code that still reads it."""
        return self.body_from

    @property
    def source_error(self) -> str | None:
        """Deprecated name of ``body_error`` (schema 1)."""
        return self.body_error

    @property
    def outlet_name(self) -> str:
        """The outlet, or for a version-1 message the host of its feed (else of its URL)."""
        if self.outlet:
            return self.outlet
        return (urlsplit(self.feed_url or self.url).hostname or "").lower()

    @property
    def story(self) -> str:
        """``story_id``, or the article's own id for a message that has none (version 1)."""
        return self.story_id or self.article_id


class EntityRef(BaseModel):
    """An entity without its occurrences: what the indexer reads (see ``IndexableArticle``)."""

    text: str
    label: EntityLabel
    canonical: str
    start: int
    end: int
    count: int = 1


class Entity(EntityRef):
    #: Every occurrence (start, end) of the entity in the body, the first one included.
    offsets: list[tuple[int, int]] = Field(default_factory=list)


class Quote(BaseModel):
    quote: str
    speaker: str | None
    speaker_role: str | None = None
    cue: str | None = None
    start: int
    end: int
    paragraph: int
    #: "PER", "ORG", or None when the speaker is unnamed ("ein Sprecher") or unknown.
    speaker_type: str | None = None


class NlpInfo(BaseModel):
    model: str
    model_version: str
    extracted_at: AwareDatetime = Field(default_factory=utc_now)
    elapsed_ms: float
    #: How many chunks an over-long body was split into for the model (1 = not split).
    chunks: int = 1
    #: Why the model was not run (``"language:en"``: a language it does not cover); None = run.
    skipped: str | None = None


class EnrichedBase(Article):
    """What ``EnrichedArticle`` and ``IndexableArticle`` share: the raw article's fields,
    entities (with or without their offsets), quotations and NLP provenance."""

    entities: Sequence[EntityRef] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    nlp: NlpInfo


class EnrichedArticle(EnrichedBase):
    """An article with entities, quotations and NLP provenance (``news.articles.enriched``)."""

    entities: list[Entity] = Field(default_factory=list)


class IndexableArticle(EnrichedBase):
    """An ``EnrichedArticle`` as the indexer reads it: everything but the entities' offsets.

    No document has the offsets, and they were a fifth of what parsing an enriched message
    cost (76 pairs in a typical article: 75 -> 60 us with them skipped); a field the model does
    not declare is skipped by the JSON parser without building a Python object. Every other
    field is validated as in ``EnrichedArticle``; only a message whose offsets alone are
    malformed is indexed here where ``EnrichedArticle`` would refuse it (a tolerant reader:
    nothing the indexer writes depends on them).
    """

    entities: list[EntityRef] = Field(default_factory=list)


#: The stage that gave up on a message.
Stage = Literal["poller", "extractor", "indexer", "alerter", "notifier"]

#: See ``DeadLetter.payload_truncated``; well below the bus's largest message.
DEAD_LETTER_PAYLOAD_BYTES = 1024 * 1024


class _TopicPartition(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...


class ConsumedRecord(Protocol):
    """What the roles keep of a consumed Kafka record (its place, key and value)."""

    @property
    def tp(self) -> _TopicPartition: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


class DeadLetter(_Message):
    """A message a stage could not process, with the original bytes so it can be replayed."""

    stage: Stage
    error: str
    error_type: str
    source_topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    payload_b64: str
    #: Size and SHA-256 of the whole original message; ``payload_b64`` holds at most
    #: ``DEAD_LETTER_PAYLOAD_BYTES`` of it (``payload_truncated``): the rest is in the source
    #: topic at ``offset``, and a letter can never be refused for its own size.
    payload_size: int = 0
    payload_sha256: str = ""
    payload_truncated: bool = False
    failed_at: AwareDatetime = Field(default_factory=utc_now)

    @classmethod
    def wrap(
        cls,
        *,
        stage: Stage,
        error: BaseException,
        payload: bytes,
        source_topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
        key: bytes | str | None = None,
    ) -> DeadLetter:
        key_text = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
        kept = payload[:DEAD_LETTER_PAYLOAD_BYTES]
        return cls(
            stage=stage,
            error=str(error)[:4000],
            error_type=type(error).__name__,
            source_topic=source_topic,
            partition=partition,
            offset=offset,
            key=(key_text or "")[:1000] or None,
            payload_b64=base64.b64encode(kept).decode("ascii"),
            payload_size=len(payload),
            payload_sha256=hashlib.sha256(payload).hexdigest(),
            payload_truncated=len(kept) < len(payload),
        )

    @classmethod
    def of_record(cls, stage: Stage, error: BaseException, record: ConsumedRecord) -> DeadLetter:
        """The dead letter of a record a role consumed and cannot process."""
        return cls.wrap(
            stage=stage,
            error=error,
            payload=record.value or b"",
            source_topic=record.tp.topic,
            partition=record.tp.partition,
            offset=record.offset,
            key=record.key,
        )

    @property
    def payload(self) -> bytes:
        return base64.b64decode(self.payload_b64)


class Indexed(_Message):
    """An article revision the indexer has written and refreshed: searchable from now on."""

    article_id: str
    revision: int
    indexed_at: AwareDatetime = Field(default_factory=utc_now)
    #: The speakers and entity names (canonical and as written) of this revision, so the
    #: alerter can skip watches that cannot match it; None = not known (match everything).
    speakers: list[str] | None = None
    entities: list[str] | None = None


class AlertQuote(BaseModel):
    """A quotation that made a watch match; ``new`` if no earlier alert of the pair had it."""

    quote: str
    speaker: str | None = None
    speaker_role: str | None = None
    position: int = 0
    new: bool = True


class Alert(_Message):
    """One watch matching one article: what matched, where, and what was alerted before.

    ``evidence`` holds the fingerprints of everything alerted so far for this (watch, article)
    pair, this alert's included: the compacted topic's latest value per key is therefore the
    alerter's whole memory of the pair, and a restarted alerter rebuilds it from the topic.
    """

    schema_version: int = SCHEMA_VERSION
    alert_id: str
    watch_id: str
    watch: str
    article_id: str
    revision: int
    url: str
    title: str
    outlet: str | None = None
    published_at: AwareDatetime | None = None
    indexed_at: AwareDatetime | None = None
    matched_at: AwareDatetime = Field(default_factory=utc_now)
    quotes: list[AlertQuote] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)

    @property
    def key(self) -> str:
        return alert_key(self.watch_id, self.article_id)


def alert_key(watch_id: str, article_id: str) -> str:
    """The ``news.alerts`` key of a (watch, article) pair."""
    return f"{watch_id}/{article_id}"
