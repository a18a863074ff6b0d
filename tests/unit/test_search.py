from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

import pytest

from newsstream.cli.search import parse_since
from newsstream.search import build_query, build_request, speaker_filter, to_result


def test_search_query_uses_stemmed_fields_with_boosts() -> None:
    query = build_query("Waffenruhe Ukraine")
    must = query["bool"]["must"][0]["simple_query_string"]
    assert must["default_operator"] == "and"
    assert "title^3" in must["fields"] and "body" in must["fields"]
    assert must["quote_field_suffix"] == ".exact"
    should = query["bool"]["should"][0]["simple_query_string"]
    assert all(".exact" in f for f in should["fields"])


def test_search_quotes_search_quote_text() -> None:
    must = build_query("Frieden", quotes=True)["bool"]["must"][0]["simple_query_string"]
    assert must["fields"][0] == "quote^3"


def test_search_empty_query_lists_latest() -> None:
    request = build_request("", quotes=True, speaker="Gerhard Mangott")
    assert request["query"]["bool"]["must"] == [{"match_all": {}}]
    assert request["sort"][0] == {"published_at": {"order": "desc", "unmapped_type": "date"}}
    assert "_score" in build_request("Mangott")["sort"]


def test_search_speaker_full_name_or_surname() -> None:
    clause = speaker_filter("Gerhard  Mangott", quotes=True)["bool"]["should"]
    assert {"term": {"speaker": {"value": "Gerhard Mangott", "case_insensitive": True}}} in clause
    assert {
        "term": {"speaker_surname": {"value": "Gerhard Mangott", "case_insensitive": True}}
    } in (clause)
    assert {"match_phrase": {"speaker.text": "Gerhard Mangott"}} in clause
    articles = speaker_filter("Mangott", quotes=False)["bool"]["should"]
    assert {
        "term": {"speaker_surnames": {"value": "Mangott", "case_insensitive": True}}
    } in articles
    assert len(articles) == 2


def test_search_filters_entity_and_since() -> None:
    since = datetime(2024, 5, 1, tzinfo=UTC)
    filters = build_query("x", entity="Nato", since=since)["bool"]["filter"]
    assert {"range": {"published_at": {"gte": "2024-05-01T00:00:00+00:00"}}} in filters
    entity_terms = filters[0]["bool"]["should"]
    assert {"term": {"entities": {"value": "Nato", "case_insensitive": True}}} in entity_terms


def test_search_limit_and_highlight() -> None:
    request = build_request("Mangott", limit=3)
    assert request["size"] == 3 and request["track_total_hits"] is True
    assert set(request["highlight"]["fields"]) == {"title", "teaser", "body"}
    assert set(build_request("x", quotes=True)["highlight"]["fields"]) == {"quote", "title"}


def test_search_result_shape() -> None:
    response = {
        "hits": {
            "total": {"value": 1, "relation": "eq"},
            "hits": [
                {"_source": {"title": "T"}, "_score": 1.5, "highlight": {"title": ["<em>T</em>"]}}
            ],
        }
    }
    result = to_result(response)
    assert json.loads(json.dumps(result.to_json())) == {
        "total": 1,
        "hits": [{"title": "T", "score": 1.5, "highlight": {"title": ["<em>T</em>"]}}],
    }


def test_search_parse_since() -> None:
    now = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert parse_since("2024-05-31") == datetime(2024, 5, 31, tzinfo=UTC)
    assert parse_since("2024-05-31T10:00+02:00").utcoffset() is not None
    assert parse_since("7d", now=now) == datetime(2024, 5, 25, 12, 0, tzinfo=UTC)
    assert parse_since("24h", now=now) == datetime(2024, 5, 31, 12, 0, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_since("yesterday")


# --- the table a person reads ---------------------------------------------------------------


def _render(hits: list[dict[str, object]], *, quotes: bool) -> str:
    """What ``print_table`` shows, recorded by a console that ``print_table`` is handed."""
    from unittest import mock

    import rich.console

    from newsstream.cli.search import print_table

    console = rich.console.Console(record=True, width=200, force_terminal=False)
    with mock.patch.object(rich.console, "Console", return_value=console):
        print_table(len(hits), hits, quotes=quotes)
    return console.export_text()


def test_search_highlight_keeps_brackets_of_the_text_and_bolds_only_matches() -> None:
    from rich.text import Text

    from newsstream.cli.search import highlight_markup

    markup = highlight_markup("[audio] Die <em>Waffenruhe</em> gilt [/b] [1]")
    text = Text.from_markup(markup)
    assert text.plain == "[audio] Die Waffenruhe gilt [/b] [1]"
    bold = [text.plain[s.start : s.end] for s in text.spans if "bold" in str(s.style)]
    assert bold == ["Waffenruhe"]


def test_search_table_shows_url_host_date_and_survives_markup_in_text() -> None:
    hit = {
        "score": 3.5,
        "title": "Putin [Analyse]",
        "url": "https://www.br.de/nachrichten/a-1.html",
        "published_at": "2024-05-31T14:05:00+00:00",
        "highlight": {"body": ["Text mit [/bold] und <em>Nato</em>"]},
    }
    text = _render([hit], quotes=False)
    assert "www.br.de" in text and "https://www.br.de/nachrichten/a-1.html" in text
    assert "2024-05-31 14:05" in text
    assert "Putin [Analyse]" in text and "Text mit [/bold] und Nato" in text


def test_search_quote_table_shows_speaker_role_and_article_link() -> None:
    hit = {
        "score": 1.0,
        "speaker": "Gerhard Mangott",
        "speaker_role": "Politikwissenschaftler",
        "quote": "Das ist [sic] falsch",
        "title": "Titel",
        "url": "https://example.org/x",
        "published_at": "2024-01-02T03:04:05+00:00",
    }
    text = _render([hit], quotes=True)
    assert "Gerhard Mangott" in text and "Politikwissenschaftler" in text
    assert "Das ist [sic] falsch" in text and "example.org" in text


def test_search_collapse_one_hit_per_story_and_outlet_filter() -> None:
    request = build_request("Waffenruhe", collapse=True, outlet="tagesschau")
    assert request["collapse"] == {"field": "story_id"}
    assert request["aggs"]["stories"]["cardinality"]["field"] == "story_id"
    outlet = request["query"]["bool"]["filter"][0]["term"]["outlet"]
    assert outlet == {"value": "tagesschau", "case_insensitive": True}
    assert "collapse" not in build_request("Waffenruhe")
    language = build_request("", language="EN")["query"]["bool"]["filter"][0]["term"]
    assert language == {"language": {"value": "EN", "case_insensitive": True}}
    result = to_result(
        {"hits": {"total": {"value": 7}, "hits": []}, "aggregations": {"stories": {"value": 3}}}
    )
    assert result.stories == 3 and result.to_json() == {"total": 7, "hits": [], "stories": 3}
