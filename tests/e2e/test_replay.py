"""Kafka is the system of record: re-extraction and index rebuilds replay the compacted topics."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch
from tests.e2e.helpers import count, produce_raw, raw_article, run_cli, topic_records
from tests.support.corpus import make_corpus

from newsstream.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _extracted_at(es: Elasticsearch, settings: Settings) -> dict[str, str]:
    es.indices.refresh(index=settings.articles_alias)
    hits = es.search(index=settings.articles_alias, size=100, source=["extracted_at"])
    return {h["_id"]: h["_source"]["extracted_at"] for h in hits["hits"]["hits"]}


def test_replay_reprocess_then_reindex_keeps_every_document_once(
    ns_settings: Settings, es: Elasticsearch
) -> None:
    produce_raw(ns_settings, [raw_article(v) for v in make_corpus(10, quotes=2)])
    assert run_cli(ns_settings, "extract", "--until-idle").returncode == 0
    assert run_cli(ns_settings, "index", "--until-idle").returncode == 0
    before = _extracted_at(es, ns_settings)
    assert len(before) == 10

    # Re-extraction (as after a model upgrade): same revisions, newer results overwrite.
    done = run_cli(ns_settings, "reprocess")
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(topic_records(ns_settings, ns_settings.topic_enriched)) == 20
    assert run_cli(ns_settings, "index", "--until-idle").returncode == 0
    after = _extracted_at(es, ns_settings)
    assert after.keys() == before.keys()
    assert all(after[k] > before[k] for k in before)
    assert count(es, ns_settings.quotes_alias) == 20

    # Rebuild into new indices; the aliases move in one step, nothing is lost or doubled.
    old_indices = set(es.indices.get_alias(name=ns_settings.articles_alias))
    rebuilt = run_cli(ns_settings, "reindex")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    new_indices = set(es.indices.get_alias(name=ns_settings.articles_alias))
    assert new_indices and new_indices.isdisjoint(old_indices)
    assert count(es, ns_settings.articles_alias) == 10
    assert count(es, ns_settings.quotes_alias) == 20
    # The consumer groups that served one run are gone; the live groups are untouched.
    assert _groups_like(ns_settings, "-reprocess-") == []
    assert _groups_like(ns_settings, "-reindex-") == []


def _groups_like(settings: Settings, part: str) -> list[str]:
    from kafka import KafkaAdminClient

    from newsstream.bus import bootstrap_servers

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(settings))
    try:
        prefixes = (settings.extractor_group, settings.indexer_group)
        return [
            g["group_id"]
            for g in admin.list_groups()
            if g["group_id"].startswith(prefixes) and part in g["group_id"]
        ]
    finally:
        admin.close()
