"""``newsstream search`` end to end: the CLI against an index filled by the real indexer."""

from __future__ import annotations

import json

import pytest
from tests.support.samples import enriched_from_gold

from newsstream import settings as settings_module
from newsstream.bus import make_producer
from newsstream.cli import main
from newsstream.indexer.service import run_indexer
from newsstream.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def indexed(ns_settings: Settings, gold: dict[str, object], gold_text: str) -> Settings:
    settings = ns_settings.model_copy(update={"idle_seconds": 2.0, "index_bulk_max_wait_s": 0.2})
    article = enriched_from_gold(gold_text, gold)
    producer = make_producer(settings)
    producer.send(
        settings.topic_enriched, key=article.article_id.encode(), value=article.to_bytes()
    )
    producer.flush(timeout=30)
    producer.close()
    assert run_indexer(settings, until_idle=True) == 0
    from newsstream.store import make_es

    make_es(settings).indices.refresh(index=[settings.articles_alias, settings.quotes_alias])
    return settings


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings,
    *argv: str,
) -> tuple[int, str]:  # fmt: skip
    monkeypatch.setattr(settings_module, "get_settings", lambda: settings)
    code = main(["search", *argv])
    return code, capsys.readouterr().out


def test_search_cli_json_quotes_by_speaker(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _cli(
        monkeypatch, capsys, indexed, "--quotes", "--speaker", "Gerhard Mangott", "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert result["total"] == 6 and len(result["hits"]) == 6
    hit = result["hits"][0]
    assert hit["speaker"] == "Gerhard Mangott" and "quote" in hit
    assert {"score", "highlight"} <= set(hit)


def test_search_cli_json_articles(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _cli(monkeypatch, capsys, indexed, "Mangott", "--since", "2024-05-01", "--json")
    result = json.loads(out)
    assert code == 0 and result["total"] == 1
    assert result["hits"][0]["title"].startswith("Putins Angebot")
    assert any("<em>Mangott</em>" in f for f in result["hits"][0]["highlight"]["body"])
    code, out = _cli(monkeypatch, capsys, indexed, "Mangott", "--since", "2024-06-01", "--json")
    assert json.loads(out)["total"] == 0


def test_search_cli_table(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _cli(monkeypatch, capsys, indexed, "Frieden", "--quotes", "--limit", "3")
    assert code == 0
    assert "Mangott" in out and "quotations" in out


def test_search_cli_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["search", "x", "--since", "yesterday"])
    assert exc.value.code == 2
