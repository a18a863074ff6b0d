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


#: The article URL renders as a link (Discover, saved searches on the dashboard).
URL_FORMAT = {"url": {"id": "url", "params": {"type": "a", "labelTemplate": "{{value}}"}}}


def data_view(
    obj_id: str, title: str, name: str, time_field: str = "published_at"
) -> dict[str, Any]:
    return {
        "id": obj_id,
        "type": "index-pattern",
        "coreMigrationVersion": CORE,
        "typeMigrationVersion": "8.0.0",
        "attributes": {
            "title": title,
            "name": name,
            "timeFieldName": time_field,
            "fieldFormatMap": json.dumps(URL_FORMAT),
        },
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


def _stories() -> dict[str, Any]:
    """Unique count of ``story_id``: a syndicated story counts once, however many copies."""
    return {
        "id": "1",
        "enabled": True,
        "type": "cardinality",
        "params": {"field": "story_id", "customLabel": "Stories"},
        "schema": "metric",
    }


def _terms(field: str, size: int, schema: str, agg_id: str = "2") -> dict[str, Any]:
    return {
        "id": agg_id,
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


def _histogram_params(label: str, legend: bool) -> dict[str, Any]:
    """Params of a stacked bar chart with one value axis titled ``label``."""
    return {
        "type": "histogram",
        "addTooltip": True,
        "addLegend": legend,
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
                "title": {"text": label},
            }
        ],
        "seriesParams": [
            {
                "show": True,
                "type": "histogram",
                "mode": "stacked",
                "data": {"label": label, "id": "1"},
                "valueAxis": "ValueAxis-1",
            }
        ],
    }


def over_time(
    obj_id: str,
    title: str,
    data_view_id: str,
    *,
    split: str | None = None,
    stories: bool = False,
    size: int = 8,
) -> dict[str, Any]:
    """A stacked bar chart over ``published_at``; ``split``: one series per term of a field;
    ``stories``: counts distinct stories instead of documents."""
    label = "Stories" if stories else "Documents"
    params = _histogram_params(label, legend=split is not None)
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
    aggs = [_stories() if stories else _count(), date_histogram]
    if split is not None:
        aggs.append(_terms(split, size, "group", agg_id="3"))
    return _visualization(obj_id, title, data_view_id, "histogram", params, aggs)


def top_table(
    obj_id: str, title: str, data_view_id: str, field: str, *, stories: bool = False
) -> dict[str, Any]:
    params = {
        "perPage": 10,
        "showPartialRows": False,
        "showMetricsAtAllLevels": False,
        "showTotal": False,
        "totalFunc": "sum",
        "percentageCol": "",
    }
    metric = _stories() if stories else _count()
    return _visualization(
        obj_id, title, data_view_id, "table", params, [metric, _terms(field, 15, "bucket")]
    )


def pie(
    obj_id: str, title: str, data_view_id: str, field: str, *, stories: bool = False
) -> dict[str, Any]:
    params = {
        "type": "pie",
        "addTooltip": True,
        "addLegend": True,
        "legendPosition": "right",
        "isDonut": True,
        "labels": {"show": False, "values": True, "last_level": True, "truncate": 100},
    }
    metric = _stories() if stories else _count()
    return _visualization(
        obj_id, title, data_view_id, "pie", params, [metric, _terms(field, 10, "segment")]
    )


#: Dashboard controls: (id, field, title). Each field exists in both data views, so one
#: selection filters the article and the quotation panels alike.
CONTROLS = (
    ("newsstream-control-outlet", "outlet", "Outlet"),
    ("newsstream-control-speaker", "speakers", "Speaker"),
    ("newsstream-control-entity", "entities", "Entity"),
    ("newsstream-control-language", "language", "Language"),
)


def control_group() -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The dashboard's options-list controls and their data-view references."""
    panels: dict[str, Any] = {}
    references = []
    for order, (cid, field, title) in enumerate(CONTROLS):
        panels[cid] = {
            "order": order,
            "width": "medium",
            "grow": True,
            "type": "optionsListControl",
            "explicitInput": {
                "id": cid,
                "fieldName": field,
                "title": title,
                "selectedOptions": [],
                "singleSelect": False,
                "sort": {"by": "_count", "direction": "desc"},
                "enhancements": {},
            },
        }
        references.append(
            {"id": ARTICLES_DV, "name": f"controlGroup_{cid}:optionsListDataView",
             "type": "index-pattern"}
        )  # fmt: skip
    ignore = {"ignoreFilters": False, "ignoreQuery": False, "ignoreTimerange": False,
              "ignoreValidations": False}  # fmt: skip
    group = {
        "chainingSystem": "HIERARCHICAL",
        "controlStyle": "oneLine",
        "showApplySelections": False,
        "ignoreParentSettingsJSON": json.dumps(ignore),
        "panelsJSON": json.dumps(panels),
    }
    return group, references


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
    controls, control_refs = control_group()
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
            "controlGroupInput": controls,
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": json.dumps(
                    {"query": {"query": "", "language": "kuery"}, "filter": []}
                )
            },
        },
        "references": references + control_refs,
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
        ["title", "outlet", "url", "language", "entities_per", "speakers", "is_copy"],
        [["published_at", "desc"]],
    )
    by_speaker = saved_search(
        "newsstream-quotes-by-speaker",
        "Quotes by speaker",
        QUOTES_DV,
        ["speaker", "speaker_role", "quote", "outlet", "url"],
        [["speaker", "asc"], ["published_at", "desc"]],
    )
    latest_quotes = saved_search(
        "newsstream-latest-quotations",
        "Latest quotations",
        QUOTES_DV,
        ["speaker", "quote", "title", "outlet", "url"],
        [["published_at", "desc"]],
    )
    vis = [
        over_time("newsstream-articles-over-time", "Articles over time", ARTICLES_DV),
        over_time("newsstream-articles-per-outlet", "Articles per outlet over time",
                  ARTICLES_DV, split="outlet", size=12),
        over_time("newsstream-quotes-per-speaker", "Quotations per speaker over time",
                  QUOTES_DV, split="speaker", stories=True),
        over_time("newsstream-entity-trends", "Entity trends (persons)", ARTICLES_DV,
                  split="entities_per", stories=True),
        top_table("newsstream-top-persons", "Top persons", ARTICLES_DV, "entities_per"),
        top_table("newsstream-top-organisations", "Top organisations", ARTICLES_DV, "entities_org"),
        top_table("newsstream-top-places", "Top places", ARTICLES_DV, "entities_loc"),
        top_table("newsstream-most-quoted", "Most-quoted speakers", QUOTES_DV, "speaker",
                  stories=True),
        pie("newsstream-speakers-by-role", "Speakers by role", QUOTES_DV, "speaker_role",
            stories=True),
        top_table("newsstream-outlets", "Outlets", ARTICLES_DV, "outlet"),
    ]  # fmt: skip
    (over, per_outlet, per_speaker, trends, persons, orgs, places, quoted, roles, outlets) = vis
    board = dashboard(
        [
            (per_outlet, 0, 0, 36, 13),
            (outlets, 36, 0, 12, 13),
            (per_speaker, 0, 13, 24, 14),
            (trends, 24, 13, 24, 14),
            (persons, 0, 27, 16, 15),
            (orgs, 16, 27, 16, 15),
            (places, 32, 27, 16, 15),
            (quoted, 0, 42, 24, 15),
            (roles, 24, 42, 24, 15),
            (latest_articles, 0, 57, 48, 18),
            (latest_quotes, 0, 75, 48, 18),
            (over, 0, 93, 48, 10),
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
