"""Write newsstream's Kibana saved objects: data views, saved searches, the dashboard.

The file is package data (``services/newsstream/indexer/saved_objects/newsstream.ndjson``),
so every install carries it.

The NDJSON in the repository is what gets imported; this script is how it was made, so a
change is a reviewable diff here rather than a hand-edited 10 kB line. Run:
``.venv/bin/python kibana/generate.py``. Field names must exist in the index templates
(``tests/unit/test_kibana_objects.py`` checks that, with the types each panel needs).
Data view titles are the default alias names; the importer substitutes the configured ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = (
    Path(__file__).resolve().parents[1]
    / "services/newsstream/indexer/saved_objects/newsstream.ndjson"
)
CORE = "8.8.0"
ARTICLES_DV = "newsstream-articles"
QUOTES_DV = "newsstream-quotes"
ALERTS_DV = "newsstream-alerts"
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"


def _dv_ref(data_view: str) -> list[dict[str, str]]:
    return [{"id": data_view, "name": INDEX_REF, "type": "index-pattern"}]


def _search_source(query: str = "") -> dict[str, str]:
    source = {
        "query": {"query": query, "language": "kuery"},
        "filter": [],
        "indexRefName": INDEX_REF,
    }
    return {"searchSourceJSON": json.dumps(source)}


def data_view(
    obj_id: str, title: str, name: str, time_field: str = "published_at"
) -> dict[str, Any]:
    return {
        "id": obj_id,
        "type": "index-pattern",
        "coreMigrationVersion": CORE,
        "typeMigrationVersion": "8.0.0",
        "attributes": {"title": title, "name": name, "timeFieldName": time_field},
        "references": [],
    }


def saved_search(
    obj_id: str, title: str, data_view_id: str, columns: list[str], sort: list[list[str]]
) -> dict[str, Any]:
    return {
        "id": obj_id,
        "type": "search",
        "coreMigrationVersion": CORE,
        "typeMigrationVersion": "8.0.0",
        "attributes": {
            "title": title,
            "description": "",
            "columns": columns,
            "sort": sort,
            "kibanaSavedObjectMeta": _search_source(),
        },
        "references": _dv_ref(data_view_id),
    }


def _count() -> dict[str, Any]:
    return {"id": "1", "enabled": True, "type": "count", "params": {}, "schema": "metric"}


def _terms(field: str, size: int, schema: str) -> dict[str, Any]:
    return {
        "id": "2",
        "enabled": True,
        "type": "terms",
        "schema": schema,
        "params": {
            "field": field,
            "size": size,
            "order": "desc",
            "orderBy": "1",
            "otherBucket": False,
            "missingBucket": False,
        },
    }


def _visualization(
    obj_id: str, title: str, data_view_id: str, vis_type: str, params: dict[str, Any], aggs: list
) -> dict[str, Any]:
    vis_state = {"title": title, "type": vis_type, "params": params, "aggs": aggs}
    return {
        "id": obj_id,
        "type": "visualization",
        "coreMigrationVersion": CORE,
        "typeMigrationVersion": "8.5.0",
        "attributes": {
            "title": title,
            "description": "",
            "uiStateJSON": "{}",
            "visState": json.dumps(vis_state),
            "kibanaSavedObjectMeta": _search_source(),
        },
        "references": _dv_ref(data_view_id),
    }


def over_time(obj_id: str, title: str, data_view_id: str) -> dict[str, Any]:
    params = {
        "type": "histogram",
        "addTooltip": True,
        "addLegend": False,
        "legendPosition": "right",
        "times": [],
        "addTimeMarker": False,
        "categoryAxes": [
            {
                "id": "CategoryAxis-1",
                "type": "category",
                "position": "bottom",
                "show": True,
                "scale": {"type": "linear"},
                "labels": {"show": True, "filter": True, "truncate": 100},
                "title": {},
            }
        ],
        "valueAxes": [
            {
                "id": "ValueAxis-1",
                "name": "LeftAxis-1",
                "type": "value",
                "position": "left",
                "show": True,
                "scale": {"type": "linear", "mode": "normal"},
                "labels": {"show": True, "rotate": 0, "filter": False, "truncate": 100},
                "title": {"text": "Articles"},
            }
        ],
        "seriesParams": [
            {
                "show": True,
                "type": "histogram",
                "mode": "stacked",
                "data": {"label": "Articles", "id": "1"},
                "valueAxis": "ValueAxis-1",
            }
        ],
    }
    date_histogram = {
        "id": "2",
        "enabled": True,
        "type": "date_histogram",
        "schema": "segment",
        "params": {
            "field": "published_at",
            "interval": "auto",
            "min_doc_count": 1,
            "extended_bounds": {},
        },
    }
    return _visualization(
        obj_id, title, data_view_id, "histogram", params, [_count(), date_histogram]
    )


def top_table(obj_id: str, title: str, data_view_id: str, field: str) -> dict[str, Any]:
    params = {
        "perPage": 10,
        "showPartialRows": False,
        "showMetricsAtAllLevels": False,
        "showTotal": False,
        "totalFunc": "sum",
        "percentageCol": "",
    }
    return _visualization(
        obj_id, title, data_view_id, "table", params, [_count(), _terms(field, 15, "bucket")]
    )


def pie(obj_id: str, title: str, data_view_id: str, field: str) -> dict[str, Any]:
    params = {
        "type": "pie",
        "addTooltip": True,
        "addLegend": True,
        "legendPosition": "right",
        "isDonut": True,
        "labels": {"show": False, "values": True, "last_level": True, "truncate": 100},
    }
    return _visualization(
        obj_id, title, data_view_id, "pie", params, [_count(), _terms(field, 10, "segment")]
    )


def dashboard(panels: list[tuple[dict[str, Any], int, int, int, int]]) -> dict[str, Any]:
    """The dashboard; ``panels`` are (saved object, x, y, w, h) on Kibana's 48-column grid."""
    panels_json = []
    references = []
    for i, (obj, x, y, w, h) in enumerate(panels):
        ref = f"panel_{i}"
        panels_json.append(
            {
                "version": "8.8.0",
                "type": obj["type"],
                "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(i)},
                "panelIndex": str(i),
                "embeddableConfig": {"enhancements": {}},
                "panelRefName": ref,
            }
        )
        references.append({"id": obj["id"], "name": f"{ref}", "type": obj["type"]})
    return {
        "id": "newsstream-news-monitor",
        "type": "dashboard",
        "coreMigrationVersion": CORE,
        "typeMigrationVersion": "8.9.0",
        "attributes": {
            "title": "News monitor",
            "description": "Who is in the news, and who said what (newsstream)",
            "panelsJSON": json.dumps(panels_json),
            "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
            "timeRestore": True,
            "timeFrom": "now-7d",
            "timeTo": "now",
            "refreshInterval": {"pause": False, "value": 60000},
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": json.dumps(
                    {"query": {"query": "", "language": "kuery"}, "filter": []}
                )
            },
        },
        "references": references,
    }


def build() -> list[dict[str, Any]]:
    articles = data_view(ARTICLES_DV, "news-articles", "News articles")
    quotes = data_view(QUOTES_DV, "news-quotes", "News quotations")
    # Alerts are about when they were raised: the article's own time may be days earlier.
    alerts = data_view(ALERTS_DV, "news-alerts", "Alerts", time_field="matched_at")
    alert_list = saved_search(
        "newsstream-alerts-delivered",
        "Alerts",
        ALERTS_DV,
        ["watch", "status", "speakers", "quotes", "entities", "title", "url", "delivered_to"],
        [["matched_at", "desc"]],
    )
    latest_articles = saved_search(
        "newsstream-latest-articles",
        "Latest articles",
        ARTICLES_DV,
        ["title", "feed", "entities_per", "speakers"],
        [["published_at", "desc"]],
    )
    by_speaker = saved_search(
        "newsstream-quotes-by-speaker",
        "Quotes by speaker",
        QUOTES_DV,
        ["speaker", "speaker_role", "quote", "title"],
        [["speaker", "asc"], ["published_at", "desc"]],
    )
    latest_quotes = saved_search(
        "newsstream-latest-quotations",
        "Latest quotations",
        QUOTES_DV,
        ["speaker", "quote", "title"],
        [["published_at", "desc"]],
    )
    vis = [
        over_time("newsstream-articles-over-time", "Articles over time", ARTICLES_DV),
        top_table("newsstream-top-persons", "Top persons", ARTICLES_DV, "entities_per"),
        top_table("newsstream-top-organisations", "Top organisations", ARTICLES_DV, "entities_org"),
        top_table("newsstream-top-places", "Top places", ARTICLES_DV, "entities_loc"),
        top_table("newsstream-most-quoted", "Most-quoted speakers", QUOTES_DV, "speaker"),
        pie("newsstream-speakers-by-role", "Speakers by role", QUOTES_DV, "speaker_role"),
    ]
    over, persons, orgs, places, quoted, roles = vis
    board = dashboard(
        [
            (over, 0, 0, 48, 12),
            (persons, 0, 12, 16, 15),
            (orgs, 16, 12, 16, 15),
            (places, 32, 12, 16, 15),
            (quoted, 0, 27, 24, 15),
            (roles, 24, 27, 24, 15),
            (latest_quotes, 0, 42, 48, 18),
        ]
    )
    return [articles, quotes, alerts, latest_articles, by_speaker, latest_quotes, alert_list,
            *vis, board]  # fmt: skip


def main() -> None:
    lines = [json.dumps(obj, ensure_ascii=False, sort_keys=True) for obj in build()]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} saved objects to {OUT}")


if __name__ == "__main__":
    main()
