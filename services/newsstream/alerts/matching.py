"""Matching a batch of indexed articles against every watch, and deciding what is new (pure).

The alerter sends one ``_msearch`` per batch of ``news.indexed`` records: first the batch's
article metadata, then every watch's stored query on article documents filtered to the
batch's article ids, and for speaker watches also the speakers' quotation documents of those
articles. This module builds that request, reads the answers back into matches, and turns
matches into alerts with the alerter's memory of what each (watch, article) pair has already
been alerted for. ``watch test`` builds its request here too, with a date instead of ids.

Only watches that can match the batch are searched (``candidates``: a speaker watch whose
speaker's words are not among the batch's speakers cannot match; Elasticsearch decides the
rest).

What is "new": a speaker watch alerts for quotations it has not alerted for in this article
before (fingerprint: speaker and normalised text, so an edit elsewhere in the article changes
nothing); any other watch alerts once per article.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from newsstream.alerts.watches import Watch
from newsstream.messages import Alert, AlertQuote, Indexed, alert_key
from newsstream.settings import Settings

#: Article fields an alert reports (read once per batch, not once per watch).
META_FIELDS = ["article_id", "revision", "url", "title", "published_at", "outlet", "entities",
               "entity_texts"]  # fmt: skip
QUOTE_FIELDS = ["article_id", "revision", "position", "quote", "speaker", "speaker_role"]
#: Quotations read per search of speaker watches (at most every quotation of a batch).
QUOTES_PER_SEARCH = 10_000
#: Watches per search of the ``_msearch`` (see ``plan_msearch``).
WATCHES_PER_SEARCH = 100
#: The evidence of a watch without a speaker: the article matched.
ARTICLE_EVIDENCE = "article"


@dataclass(frozen=True)
class Step:
    """What one search of the ``_msearch`` was for, and for which watches."""

    kind: Literal["meta", "articles", "quotes"]
    watch_ids: tuple[str, ...] = ()


@dataclass
class Match:
    """One watch matching one article, with the speaker's quotations there (if any)."""

    watch: Watch
    article: dict[str, Any]
    quotes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Failure:
    """A search of the ``_msearch`` that Elasticsearch answered with an error."""

    watch_ids: tuple[str, ...]
    status: int
    error: str

    @property
    def retriable(self) -> bool:
        return retriable_status(self.status)


def retriable_status(status: object) -> bool:
    """A search refused for now (overload, a node away), not for its content."""
    code = int(status) if isinstance(status, int | str) and str(status).isdigit() else 500
    return code in (408, 429) or code >= 500


def _search(index: str, query: dict[str, Any], size: int, **extra: Any) -> list[dict[str, Any]]:
    body = {"query": query, "size": size, "track_total_hits": False, **extra}
    return [{"index": index}, body]


def _named(queries: Sequence[tuple[str, dict[str, Any]]], in_batch: dict[str, Any]) -> Any:
    """The batch filter AND (any of the named queries): each hit says which ones matched."""
    should = [{"bool": {"filter": [query], "_name": name}} for name, query in queries]
    return {"bool": {"filter": [in_batch, {"bool": {"should": should, "minimum_should_match": 1}}]}}


def plan_msearch(
    watches: Sequence[Watch],
    article_ids: Iterable[str],
    settings: Settings,
    *,
    group: int = WATCHES_PER_SEARCH,
) -> tuple[list[dict[str, Any]], list[Step]]:
    """The ``_msearch`` lines for a batch and what each search is for.

    Watches go ``group`` to a search: each watch's stored query, unchanged, is one named
    clause (``_name`` = watch id) beside the batch filter, and Elasticsearch reports per hit
    which clauses matched (``matched_queries``). The answer is the same as one search per
    watch; it saves the per-search overhead (measured in docs/alerts.md).
    """
    ids = sorted(set(article_ids))
    in_batch = {"terms": {"article_id": ids}}
    lines = _search(settings.articles_alias, {"bool": {"filter": [in_batch]}}, len(ids),
                    _source=META_FIELDS)  # fmt: skip
    steps = [Step("meta")]
    size = max(1, group)
    for i in range(0, len(watches), size):
        chunk = watches[i : i + size]
        query = _named([(w.watch_id, w.articles_query) for w in chunk], in_batch)
        lines += _search(settings.articles_alias, query, len(ids), _source=False)
        steps.append(Step("articles", tuple(w.watch_id for w in chunk)))
    speakers = [w for w in watches if w.quotes_query is not None]
    for i in range(0, len(speakers), size):
        chunk = speakers[i : i + size]
        query = _named([(w.watch_id, w.quotes_query or {}) for w in chunk], in_batch)
        lines += _search(settings.quotes_alias, query, QUOTES_PER_SEARCH, _source=QUOTE_FIELDS,
                         sort=[{"article_id": "asc"}, {"position": "asc"}])  # fmt: skip
        steps.append(Step("quotes", tuple(w.watch_id for w in chunk)))
    return lines, steps


def read_responses(
    steps: Sequence[Step], responses: Sequence[Mapping[str, Any]], watches: Sequence[Watch]
) -> tuple[list[Match], list[Failure]]:
    """Matches (watch x article, with quotations) and the searches that failed."""
    by_id = {w.watch_id: w for w in watches}
    meta: dict[str, dict[str, Any]] = {}
    pairs: list[tuple[str, str]] = []
    quotes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    failures: list[Failure] = []
    for step, response in zip(steps, responses, strict=True):
        if "error" in response:
            error = response["error"]
            reason = error.get("reason", error) if isinstance(error, dict) else error
            failures.append(Failure(step.watch_ids, int(response.get("status", 500)), str(reason)))
            continue
        for hit in response["hits"]["hits"]:
            mine = [w for w in hit.get("matched_queries", []) if w in step.watch_ids]
            if step.kind == "meta":
                meta[str(hit["_id"])] = dict(hit.get("_source", {}))
            elif step.kind == "articles":
                pairs.extend((watch_id, str(hit["_id"])) for watch_id in mine)
            else:
                source = dict(hit["_source"])
                for watch_id in mine:
                    quotes.setdefault((watch_id, str(source["article_id"])), []).append(source)
    matches = [
        Match(by_id[watch_id], meta[article_id], quotes.get((watch_id, article_id), []))
        for watch_id, article_id in pairs
        if article_id in meta and watch_id in by_id  # gone meanwhile: nothing to report
    ]
    return matches, failures


#: Above Latin Extended-B, Elasticsearch's standard tokenizer and Python's ``\w`` disagree on
#: word boundaries (CJK, Thai): a name with such characters is never ruled out.
_LATIN_MAX = 0x24F
_WORD = re.compile(r"\w+")


def name_tokens(text: str) -> frozenset[str]:
    """Words of a name, case-folded loosely (upper, then lower: "ı" and "I" fold alike)."""
    return frozenset(_WORD.findall(text.upper().lower()))


@dataclass(frozen=True)
class BatchNames:
    """The words of every speaker and entity name in a batch (from ``news.indexed``)."""

    speakers: frozenset[str]
    entities: frozenset[str]


def batch_names(records: Iterable[Indexed]) -> BatchNames | None:
    """The batch's name words; None if a record does not say (then no watch is ruled out)."""
    speakers: set[str] = set()
    entities: set[str] = set()
    for record in records:
        if record.speakers is None or record.entities is None:
            return None
        for name in record.speakers:
            speakers |= name_tokens(name)
        for name in record.entities:
            entities |= name_tokens(name)
    return BatchNames(frozenset(speakers), frozenset(entities))


def _may_be_among(name: str, words: frozenset[str]) -> bool:
    if any(ord(c) > _LATIN_MAX for c in name):
        return True
    wanted = name_tokens(name)
    return not wanted or wanted <= words


def candidates(watches: Sequence[Watch], names: BatchNames | None) -> list[Watch]:
    """The watches that can match the batch: a superset of those that do.

    A speaker watch's clauses (the name equal to a speaker or a surname, ignoring case, or
    as a phrase inside one) can only hold if every word of the name is a word of some
    speaker of the batch; likewise each entity. Ruling the others out before searching is
    the percolator's idea (extract the terms a query needs, index them) done here on the
    names the indexer announces; Elasticsearch still decides every match, so the answers
    are those of searching every watch - only the automaton-built case-insensitive term
    queries of hopeless watches are not built (they were most of the search time).
    """
    if names is None:
        return list(watches)
    return [
        w
        for w in watches
        if (not w.speaker or _may_be_among(w.speaker, names.speakers))
        and all(_may_be_among(e, names.entities) for e in w.entities)
    ]


def quote_fingerprint(quote: Mapping[str, Any]) -> str:
    """Same speaker, same words: the same quotation, wherever an edit moved it."""
    text = " ".join(str(quote.get("quote") or "").split()).lower()
    speaker = " ".join(str(quote.get("speaker") or "").split()).lower()
    return hashlib.sha256(f"{speaker}\n{text}".encode()).hexdigest()[:16]


def evidence_of(match: Match) -> dict[str, dict[str, Any] | None]:
    """Fingerprint -> quotation (None for the plain "article matched" evidence)."""
    if match.watch.speaker and match.quotes:
        return {quote_fingerprint(q): q for q in match.quotes}
    return {ARTICLE_EVIDENCE: None}


def matched_entities(watch: Watch, article: Mapping[str, Any]) -> list[str]:
    """The watch's entities as the article names them (canonical name where there is one)."""
    found: list[str] = []
    for name in watch.entities:
        wanted = name.lower()
        pool = [*article.get("entities", []), *article.get("entity_texts", [])]
        found.append(next((e for e in pool if str(e).lower() == wanted), name))
    return found


def alert_id_for(key: str, new: Iterable[str]) -> str:
    return hashlib.sha256(f"{key}\n{','.join(sorted(new))}".encode()).hexdigest()[:32]


def new_alerts(
    matches: Iterable[Match],
    seen: Mapping[str, set[str]],
    *,
    indexed_at: Mapping[str, datetime],
    now: datetime,
) -> list[Alert]:
    """An alert for every match that has evidence the pair was not alerted for yet.

    Deterministic: the same match against the same memory gives the same ``alert_id``, so a
    batch matched twice (a crash before the commit) is recognised downstream.
    """
    alerts: list[Alert] = []
    for match in matches:
        article, watch = match.article, match.watch
        article_id = str(article["article_id"])
        key = alert_key(watch.watch_id, article_id)
        evidence = evidence_of(match)
        prior = seen.get(key, set())
        new = set(evidence) - prior
        if not new:
            continue
        quotes = [
            AlertQuote(
                quote=str(q.get("quote") or ""),
                speaker=q.get("speaker"),
                speaker_role=q.get("speaker_role"),
                position=int(q.get("position") or 0),
                new=fp in new,
            )
            for fp, q in evidence.items()
            if q is not None
        ]
        alerts.append(
            Alert(
                alert_id=alert_id_for(key, new),
                watch_id=watch.watch_id,
                watch=watch.name,
                article_id=article_id,
                revision=int(article.get("revision") or 0),
                url=str(article.get("url") or ""),
                title=str(article.get("title") or ""),
                outlet=article.get("outlet"),
                published_at=article.get("published_at"),
                indexed_at=indexed_at.get(article_id),
                matched_at=now,
                quotes=quotes,
                entities=matched_entities(watch, article),
                evidence=sorted(prior | set(evidence)),
            )
        )
    return alerts


def history_request(
    watch: Watch, settings: Settings, *, since: datetime | None, limit: int
) -> dict[str, Any]:
    """``watch test``: the watch's stored query over the whole index (newest first)."""
    filters: list[dict[str, Any]] = [watch.articles_query]
    if since is not None:
        filters.append({"range": {"published_at": {"gte": since.isoformat()}}})
    return {
        "query": {"bool": {"filter": filters}},
        "size": limit,
        "track_total_hits": True,
        "_source": META_FIELDS,
        "sort": [{"published_at": {"order": "desc", "unmapped_type": "date"}}],
    }


def history_quotes_request(watch: Watch, article_ids: Sequence[str]) -> dict[str, Any] | None:
    """The speaker's quotations in the articles ``watch test`` found (None without speaker)."""
    if watch.quotes_query is None or not article_ids:
        return None
    in_batch = {"terms": {"article_id": sorted(set(article_ids))}}
    return {
        "query": {"bool": {"filter": [watch.quotes_query, in_batch]}},
        "size": QUOTES_PER_SEARCH,
        "_source": QUOTE_FIELDS,
        "sort": [{"position": "asc"}],
    }
