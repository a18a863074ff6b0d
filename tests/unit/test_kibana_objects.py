"""The shipped Kibana saved objects parse and only use fields the index templates define,
with the type each panel needs (Kibana cannot run here, so this is what guards them)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from newsstream.alerts.mappings import ALERT_PROPERTIES
from newsstream.indexer.kibana import (
    DEFAULT_NDJSON,
    for_settings,
    import_saved_objects,
    load_objects,
)
from newsstream.indexer.mappings import ARTICLE_PROPERTIES, QUOTE_PROPERTIES, field_type
from newsstream.settings import Settings

PROPERTIES = {
    "newsstream-articles": ARTICLE_PROPERTIES,
    "newsstream-quotes": QUOTE_PROPERTIES,
    "newsstream-alerts": ALERT_PROPERTIES,
}
#: Articles and quotations by publication; alerts by when they were raised.
TIME_FIELDS = {
    "newsstream-articles": "published_at",
    "newsstream-quotes": "published_at",
    "newsstream-alerts": "matched_at",
}
SORTABLE = {"keyword", "date", "integer", "long", "boolean"}
AGG_TYPES = {"terms": {"keyword"}, "date_histogram": {"date"}, "cardinality": {"keyword"}}


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
        assert time_field == TIME_FIELDS[view_id]
        assert field_type(PROPERTIES[view_id], time_field) == "date"


def test_kibana_objects_saved_searches(objects: list[dict[str, Any]]) -> None:
    searches = {o["attributes"]["title"]: o for o in _by_type(objects, "search")}
    assert {"Latest articles", "Quotes by speaker", "Alerts"} <= set(searches)
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
    used: dict[str, set[str]] = {}
    for vis in _by_type(objects, "visualization"):
        props = PROPERTIES[_data_view(vis)]
        state = json.loads(vis["attributes"]["visState"])
        for agg in state["aggs"]:
            field = agg["params"].get("field")
            if field is None:
                continue
            assert field_type(props, field) in AGG_TYPES[agg["type"]], (vis["id"], field)
            used.setdefault(state["title"], set()).add(field)
    assert used == {
        "Articles over time": {"published_at"},
        "Articles per outlet over time": {"published_at", "outlet"},
        "Quotations per speaker over time": {"published_at", "speaker", "story_id"},
        "Entity trends (persons)": {"published_at", "entities_per", "story_id"},
        "Top persons": {"entities_per"},
        "Top organisations": {"entities_org"},
        "Top places": {"entities_loc"},
        "Most-quoted speakers": {"speaker", "story_id"},
        "Speakers by role": {"speaker_role", "story_id"},
        "Outlets": {"outlet"},
    }


def test_kibana_objects_quotation_counts_count_each_story_once(
    objects: list[dict[str, Any]],
) -> None:
    """Wire copies must not inflate "most quoted": every quotation panel counts stories."""
    for vis in _by_type(objects, "visualization"):
        if _data_view(vis) != "newsstream-quotes":
            continue
        state = json.loads(vis["attributes"]["visState"])
        (metric,) = [a for a in state["aggs"] if a["schema"] == "metric"]
        assert metric["type"] == "cardinality" and metric["params"]["field"] == "story_id"


def test_kibana_objects_every_saved_search_links_the_article(
    objects: list[dict[str, Any]],
) -> None:
    for search in _by_type(objects, "search"):
        assert "url" in search["attributes"]["columns"], search["id"]
    for view in _by_type(objects, "index-pattern"):
        formats = json.loads(view["attributes"]["fieldFormatMap"])
        assert formats["url"]["id"] == "url" and formats["url"]["params"]["type"] == "a"


def test_kibana_objects_dashboard_controls_filter_both_data_views(
    objects: list[dict[str, Any]],
) -> None:
    (board,) = _by_type(objects, "dashboard")
    group = board["attributes"]["controlGroupInput"]
    panels = json.loads(group["panelsJSON"])
    fields = {p["explicitInput"]["fieldName"] for p in panels.values()}
    assert fields == {"outlet", "speakers", "entities", "language"}
    for field in fields:  # one selection filters article and quotation panels alike
        for props in (ARTICLE_PROPERTIES, QUOTE_PROPERTIES):
            assert field_type(props, field) == "keyword", field
    refs = {r["name"]: r for r in board["references"]}
    for control_id in panels:
        ref = refs[f"controlGroup_{control_id}:optionsListDataView"]
        assert ref["type"] == "index-pattern" and ref["id"] in PROPERTIES


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
    assert {"Latest quotations", "Latest articles", "Most-quoted speakers"} <= titles
    assert {"Articles per outlet over time", "Quotations per speaker over time",
            "Entity trends (persons)"} <= titles  # fmt: skip


def test_kibana_objects_data_view_titles_follow_settings(objects: list[dict[str, Any]]) -> None:
    settings = Settings(articles_alias="x-articles", quotes_alias="x-quotes", alerts_alias="x-al")
    titles = {
        o["id"]: o["attributes"]["title"]
        for o in for_settings(objects, settings)
        if o["type"] == "index-pattern"
    }
    assert titles == {
        "newsstream-articles": "x-articles",
        "newsstream-quotes": "x-quotes",
        "newsstream-alerts": "x-al",
    }


class _FakeKibana(BaseHTTPRequestHandler):
    """Just enough of Kibana's HTTP API to see what the importer sends."""

    received: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []
    status_calls: ClassVar[int] = 0

    def do_GET(self) -> None:
        type(self).status_calls += 1
        level = "available" if type(self).status_calls > 1 else "unavailable"
        self._reply(200, {"status": {"overall": {"level": level}}})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, dict(self.headers), body))
        self._reply(200, {"success": True, "successCount": 12})

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_kibana_objects_import_waits_and_posts_ndjson(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("newsstream.indexer.kibana.time.sleep", lambda s: None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeKibana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = Settings(articles_alias="x-articles", quotes_alias="x-quotes")
        import_saved_objects(f"http://127.0.0.1:{server.server_port}", settings, timeout_s=30)
    finally:
        server.shutdown()
    assert _FakeKibana.status_calls == 2  # waited until "available"
    (path, headers, body) = _FakeKibana.received[0]
    assert path == "/api/saved_objects/_import?overwrite=true"
    assert headers["kbn-xsrf"]
    assert b'filename="newsstream.ndjson"' in body
    assert b'"title": "x-articles"' in body and b'"title": "News monitor"' in body
