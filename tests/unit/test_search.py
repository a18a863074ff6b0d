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
