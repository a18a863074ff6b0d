"""Index templates as data: the one place that says how articles and quotes are stored.

Pure: no client, no I/O. ``setup.py`` installs these as composable index templates named after
the aliases, so a new concrete index behind an alias (``news-articles-v2`` for a reindex) gets the
same mapping without anyone remembering to pass it.

Text fields use the ``german`` analyzer (stemming, so "Verhandlungen" finds "verhandelt"'s
family and "Waffenruhe" finds "Waffenruhen") with an ``exact`` subfield on the ``standard``
analyzer for quoted phrases and for ranking unstemmed matches higher. Every facet is a
``keyword``; ``outlet``, ``language`` and ``story_id`` are on articles and quotations alike,
so a quotation can be filtered by outlet and counted once per story. Mappings are
``strict``: a field the indexer does not know is a bug to surface (as a rejected document in
the dead-letter topic), not a silently guessed dynamic mapping.
"""

from __future__ import annotations

from typing import Any

from newsstream.settings import Settings

#: Bump when the mapping changes incompatibly; new indices are then ``<alias>-v<N>``.
MAPPING_VERSION = 1

_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 1024}
_DATE: dict[str, Any] = {"type": "date"}
_INT: dict[str, Any] = {"type": "integer"}
_LONG: dict[str, Any] = {"type": "long"}


def german_text(*, keyword: bool = False) -> dict[str, Any]:
    """German full text with an unstemmed ``exact`` subfield (and optionally ``keyword``)."""
    fields: dict[str, Any] = {"exact": {"type": "text", "analyzer": "standard"}}
    if keyword:
        fields["keyword"] = {"type": "keyword", "ignore_above": 1024}
    # Offsets in the postings let the unified highlighter find the matches without
    # re-analysing a 7 kB body per hit: highlighting was most of a search's time.
    return {"type": "text", "analyzer": "german", "index_options": "offsets", "fields": fields}


def name_keyword() -> dict[str, Any]:
    """A name facet (keyword) that is also searchable word by word (``.text``)."""
    return {
        "type": "keyword",
        "ignore_above": 1024,
        "fields": {"text": {"type": "text", "analyzer": "standard"}},
    }


#: Facets by entity label; ``documents.py`` fills one list of canonical names per label.
ENTITY_FIELDS: dict[str, str] = {
    "PER": "entities_per",
    "ORG": "entities_org",
    "LOC": "entities_loc",
    "MISC": "entities_misc",
}

ARTICLE_PROPERTIES: dict[str, Any] = {
    "article_id": _KEYWORD,
    "revision": _LONG,
    "schema_version": _INT,
    "url": _KEYWORD,
    "canonical_url": _KEYWORD,
    "feed": _KEYWORD,
    "guid": _KEYWORD,
    "title": german_text(keyword=True),
    "teaser": german_text(),
    "body": german_text(),
    "authors": name_keyword(),
    "categories": _KEYWORD,
    "language": _KEYWORD,
    "content_hash": _KEYWORD,
    # outlets: who published it, where the body came from, which story it tells
    "outlet": _KEYWORD,
    "body_from": _KEYWORD,
    "story_id": _KEYWORD,
    "duplicate_of": _KEYWORD,
    "is_copy": {"type": "boolean"},
    "published_at": _DATE,
    "published_at_estimated": {"type": "boolean"},
    "modified_at": _DATE,
    "fetched_at": _DATE,
    # entities: canonical names per type, all canonical names, and the surface forms
    **{field: name_keyword() for field in ENTITY_FIELDS.values()},
    "entities": name_keyword(),
    "entity_texts": _KEYWORD,
    "entity_count": _INT,
    # quotations summarised on the article
    "speakers": name_keyword(),
    "speaker_surnames": _KEYWORD,
    "speaker_roles": _KEYWORD,
    "quote_count": _INT,
    # NLP provenance
    "nlp_model": _KEYWORD,
    "nlp_model_version": _KEYWORD,
    "extracted_at": _DATE,
    #: why entities and quotations are missing ("language:en"), if they are
    "nlp_skipped": _KEYWORD,
}

QUOTE_PROPERTIES: dict[str, Any] = {
    "quote_id": _KEYWORD,
    "article_id": _KEYWORD,
    "revision": _LONG,
    "position": _INT,
    "quote": german_text(),
    "speaker": name_keyword(),
    "speakers": name_keyword(),
    "speaker_surname": _KEYWORD,
    "speaker_role": _KEYWORD,
    "speaker_type": _KEYWORD,
    "cue": _KEYWORD,
    "paragraph": _INT,
    "start": _INT,
    "end": _INT,
    # the article, for display and filtering without a join
    "title": german_text(keyword=True),
    "url": _KEYWORD,
    "feed": _KEYWORD,
    "outlet": _KEYWORD,
    "language": _KEYWORD,
    "story_id": _KEYWORD,
    "duplicate_of": _KEYWORD,
    "is_copy": {"type": "boolean"},
    "categories": _KEYWORD,
    "published_at": _DATE,
    "entities": name_keyword(),
}


def _template(alias: str, properties: dict[str, Any]) -> dict[str, Any]:
    """A composable template for ``<alias>-*``.

    The priority is the alias length so that two deployments whose names nest
    (``news-articles`` and ``news-articles-test1``) never have overlapping patterns with
    equal priority, which Elasticsearch refuses; the longer, more specific one wins.
    """
    return {
        "index_patterns": [f"{alias}-*"],
        "priority": 100 + len(alias),
        "template": {
            "settings": {
                "number_of_shards": 1,
                "auto_expand_replicas": "0-1",
                "refresh_interval": "1s",
            },
            "mappings": {
                "dynamic": "strict",
                "_meta": {"newsstream_mapping_version": MAPPING_VERSION},
                "properties": properties,
            },
        },
        "_meta": {"managed_by": "newsstream", "mapping_version": MAPPING_VERSION},
    }


def article_template(settings: Settings) -> dict[str, Any]:
    return _template(settings.articles_alias, ARTICLE_PROPERTIES)


def quote_template(settings: Settings) -> dict[str, Any]:
    return _template(settings.quotes_alias, QUOTE_PROPERTIES)


def templates(settings: Settings) -> dict[str, dict[str, Any]]:
    """Template name (= alias name) -> template body, for both aliases."""
    return {
        settings.articles_alias: article_template(settings),
        settings.quotes_alias: quote_template(settings),
    }


def field_type(properties: dict[str, Any], path: str) -> str | None:
    """The mapped type of a dotted field path (``title.keyword``), or None if not mapped."""
    head, _, rest = path.partition(".")
    spec = properties.get(head)
    if spec is None:
        return None
    if not rest:
        return str(spec.get("type", "object"))
    if "properties" in spec:
        return field_type(spec["properties"], rest)
    return field_type(spec.get("fields", {}), rest)
