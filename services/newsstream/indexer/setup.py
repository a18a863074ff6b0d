"""Index templates, first indices and aliases: installed idempotently at indexer start.

Clients only ever use the aliases (``news-articles``, ``news-quotes``). The concrete indices
behind them are ``<alias>-v1`` at first; a mapping change is a new pair of indices
(``create_versioned_indices``), filled by a replay, then one atomic alias swap
(``swap_aliases``): searches never see an empty or half-built index.
"""

from __future__ import annotations

import logging
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError

from newsstream.errors import ConfigError
from newsstream.indexer.mappings import templates
from newsstream.settings import Settings

log = logging.getLogger(__name__)

FIRST_SUFFIX = "v1"


def install_templates(es: Elasticsearch, settings: Settings) -> None:
    """Put both composable templates (a PUT overwrites: idempotent by nature)."""
    for name, body in templates(settings).items():
        es.indices.put_index_template(
            name=name,
            index_patterns=body["index_patterns"],
            priority=body["priority"],
            template=body["template"],
            meta=body["_meta"],
        )


def _alias_indices(es: Elasticsearch, alias: str) -> list[str]:
    """Concrete indices behind ``alias`` (empty if the alias does not exist)."""
    try:
        return sorted(es.indices.get_alias(name=alias).body)
    except NotFoundError:
        return []


def _create_index(es: Elasticsearch, index: str, aliases: dict[str, Any] | None = None) -> bool:
    """Create ``index`` from its template; False if it already existed (a racing start)."""
    try:
        if aliases:
            es.indices.create(index=index, aliases=aliases)
        else:
            es.indices.create(index=index)
    except BadRequestError as exc:
        if exc.error == "resource_already_exists_exception":
            return False
        raise
    return True


def _ensure_alias(es: Elasticsearch, alias: str) -> None:
    if _alias_indices(es, alias):
        return
    if es.indices.exists(index=alias):
        raise ConfigError(
            f"Elasticsearch has a concrete index named {alias!r} where newsstream expects an "
            "alias (something wrote to it before the templates were installed); delete it or "
            "choose another alias name"
        )
    index = f"{alias}-{FIRST_SUFFIX}"
    if _create_index(es, index, {alias: {"is_write_index": True}}):
        log.info("index created", extra={"index": index, "alias": alias})
    elif not _alias_indices(es, alias):
        # The index exists without the alias (an interrupted earlier start): attach it.
        es.indices.update_aliases(
            actions=[{"add": {"index": index, "alias": alias, "is_write_index": True}}]
        )


def _update_live_mappings(es: Elasticsearch, settings: Settings) -> None:
    """Add new (additive) fields to the indices already behind the aliases.

    A conflicting change cannot be applied in place; it is logged and needs a reindex.
    """
    for alias, body in templates(settings).items():
        try:
            es.indices.put_mapping(
                index=alias, properties=body["template"]["mappings"]["properties"]
            )
        except BadRequestError as exc:
            log.warning(
                "mapping of live index differs; run a reindex to apply it",
                extra={"alias": alias, "error": str(exc)[:500]},
            )


def ensure_indices(es: Elasticsearch, settings: Settings) -> None:
    """Templates, ``<alias>-v1`` indices and write aliases for articles and quotes (idempotent)."""
    install_templates(es, settings)
    for alias in (settings.articles_alias, settings.quotes_alias):
        _ensure_alias(es, alias)
    _update_live_mappings(es, settings)


def create_versioned_indices(es: Elasticsearch, settings: Settings, suffix: str) -> tuple[str, str]:
    """Create ``<articles_alias>-<suffix>`` and ``<quotes_alias>-<suffix>`` (no aliases yet).

    The templates are (re)installed first so the new indices get the current mapping.
    Returns ``(articles_index, quotes_index)``; existing indices are kept as they are.
    """
    install_templates(es, settings)
    names = (f"{settings.articles_alias}-{suffix}", f"{settings.quotes_alias}-{suffix}")
    for index in names:
        _create_index(es, index)
    return names


def swap_aliases(
    es: Elasticsearch,
    settings: Settings,
    new_articles_index: str,
    new_quotes_index: str,
    *,
    delete_old: bool = False,
) -> list[str]:
    """Point both aliases at the new indices in one atomic ``_aliases`` call.

    The aliases are removed from every index that had them, so readers switch in one step.
    With ``delete_old`` the old indices are deleted in the same call. Returns the old indices.
    """
    actions: list[dict[str, Any]] = []
    old: list[str] = []
    for alias, new in (
        (settings.articles_alias, new_articles_index),
        (settings.quotes_alias, new_quotes_index),
    ):
        for index in _alias_indices(es, alias):
            if index == new:
                continue
            old.append(index)
            if delete_old:
                actions.append({"remove_index": {"index": index}})
            else:
                actions.append({"remove": {"index": index, "alias": alias}})
        actions.append({"add": {"index": new, "alias": alias, "is_write_index": True}})
    es.indices.update_aliases(actions=actions)
    log.info("aliases swapped", extra={"actions": actions})
    return old
