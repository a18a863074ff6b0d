"""The shipped Kibana saved objects parse and only use fields the index templates define,
with the type each panel needs (Kibana cannot run here, so this is what guards them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from newsstream.indexer.kibana import DEFAULT_NDJSON, for_settings, load_objects
from newsstream.indexer.mappings import ARTICLE_PROPERTIES, QUOTE_PROPERTIES, field_type
from newsstream.settings import Settings

PROPERTIES = {"newsstream-articles": ARTICLE_PROPERTIES, "newsstream-quotes": QUOTE_PROPERTIES}
SORTABLE = {"keyword", "date", "integer", "long", "boolean"}
AGG_TYPES = {"terms": {"keyword"}, "date_histogram": {"date"}}


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return load_objects(DEFAULT_NDJSON)


def _by_type(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["type"] == kind]


def _data_view(obj: dict[str, Any]) -> str:
    refs = [r for r in obj["references"] if r["type"] == "index-pattern"]
    assert len(refs) == 1, obj["id"]
    assert refs[0]["id"] in PROPERTIES, obj["id"]
    return str(refs[0]["id"])


def test_kibana_objects_every_line_parses() -> None:
    lines = [line for line in DEFAULT_NDJSON.read_text(encoding="utf-8").splitlines() if line]
    for line in lines:
        obj = json.loads(line)
        assert {"id", "type", "attributes", "references"} <= set(obj)
    assert len(lines) >= 10


def test_kibana_objects_data_views_time_field(objects: list[dict[str, Any]]) -> None:
    views = {o["id"]: o for o in _by_type(objects, "index-pattern")}
    assert set(views) == set(PROPERTIES)
    for view_id, view in views.items():
        time_field = view["attributes"]["timeFieldName"]
        assert time_field == "published_at"
        assert field_type(PROPERTIES[view_id], time_field) == "date"


def test_kibana_objects_saved_searches(objects: list[dict[str, Any]]) -> None:
    searches = {o["attributes"]["title"]: o for o in _by_type(objects, "search")}
    assert {"Latest articles", "Quotes by speaker"} <= set(searches)
    for search in searches.values():
        props = PROPERTIES[_data_view(search)]
        for column in search["attributes"]["columns"]:
            assert field_type(props, column) is not None, column
        for field, _order in search["attributes"]["sort"]:
            assert field_type(props, field) in SORTABLE, field
        source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        assert source["indexRefName"] == search["references"][0]["name"]


def test_kibana_objects_visualisation_fields_have_needed_types(
    objects: list[dict[str, Any]],
) -> None:
    used: dict[str, str] = {}
    for vis in _by_type(objects, "visualization"):
        props = PROPERTIES[_data_view(vis)]
        state = json.loads(vis["attributes"]["visState"])
        for agg in state["aggs"]:
            field = agg["params"].get("field")
            if field is None:
                continue
            assert field_type(props, field) in AGG_TYPES[agg["type"]], (vis["id"], field)
            used[state["title"]] = field
    assert used == {
        "Articles over time": "published_at",
        "Top persons": "entities_per",
        "Top organisations": "entities_org",
        "Top places": "entities_loc",
        "Most-quoted speakers": "speaker",
        "Speakers by role": "speaker_role",
    }


def test_kibana_objects_dashboard_references_resolve(objects: list[dict[str, Any]]) -> None:
    (board,) = _by_type(objects, "dashboard")
    assert board["attributes"]["title"] == "News monitor"
    ids = {(o["type"], o["id"]) for o in objects}
    refs = {r["name"]: r for r in board["references"]}
    for panel in json.loads(board["attributes"]["panelsJSON"]):
        ref = refs[panel["panelRefName"]]
        assert (ref["type"], ref["id"]) in ids
        assert panel["type"] == ref["type"]
    titles = {
        o["attributes"]["title"] for o in objects if (o["type"], o["id"]) in
        {(r["type"], r["id"]) for r in board["references"]}
    }  # fmt: skip
    assert "Latest quotations" in titles and "Most-quoted speakers" in titles


def test_kibana_objects_data_view_titles_follow_settings(objects: list[dict[str, Any]]) -> None:
    settings = Settings(articles_alias="x-articles", quotes_alias="x-quotes")
    titles = {
        o["id"]: o["attributes"]["title"]
        for o in for_settings(objects, settings)
        if o["type"] == "index-pattern"
    }
    assert titles == {"newsstream-articles": "x-articles", "newsstream-quotes": "x-quotes"}
