"""Import newsstream's Kibana saved objects (package data, written by ``kibana/generate.py``).

Called by the docker-compose setup service after Elasticsearch is up: it waits until
Kibana's ``/api/status`` says "available", rewrites the data views' titles to the configured
aliases, and posts the file to ``/api/saved_objects/_import?overwrite=true`` (idempotent).
Authentication is the same as for Elasticsearch (Kibana checks the user against it).
"""

from __future__ import annotations

import json
import logging
import time
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from newsstream.errors import KibanaError
from newsstream.settings import Settings

log = logging.getLogger(__name__)

#: The saved objects ship inside the package (``importlib.resources``), so an installed
#: newsstream - a wheel, the Docker image - has them without the repository beside it.
DEFAULT_NDJSON: Traversable = resources.files("newsstream.indexer").joinpath(
    "saved_objects/newsstream.ndjson"
)

#: Data view id -> which alias (settings attribute) its title must be.
DATA_VIEW_ALIASES = {
    "newsstream-articles": "articles_alias",
    "newsstream-quotes": "quotes_alias",
    "newsstream-alerts": "alerts_alias",
}


def load_objects(path: Path | Traversable = DEFAULT_NDJSON) -> list[dict[str, Any]]:
    """The saved objects, one JSON object per non-empty line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def for_settings(objects: list[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    """The objects with each data view's title set to the configured alias (pure)."""
    result = []
    for obj in objects:
        attr = DATA_VIEW_ALIASES.get(obj.get("id", ""))
        if obj.get("type") == "index-pattern" and attr:
            obj = {**obj, "attributes": {**obj["attributes"], "title": getattr(settings, attr)}}
        result.append(obj)
    return result


def _client(kibana_url: str, settings: Settings, timeout: float) -> httpx.Client:
    headers = {"kbn-xsrf": "newsstream"}
    auth: tuple[str, str] | None = None
    if settings.es_api_key is not None:
        headers["Authorization"] = f"ApiKey {settings.es_api_key.get_secret_value()}"
    elif settings.es_username and settings.es_password is not None:
        auth = (settings.es_username, settings.es_password.get_secret_value())
    verify: bool | str = str(settings.es_ca_certs) if settings.es_ca_certs else True
    return httpx.Client(
        base_url=kibana_url.rstrip("/"), headers=headers, auth=auth, verify=verify, timeout=timeout
    )


class _NotYet(Exception):
    """Kibana answered, but is not available yet (or did not answer)."""


def _kibana_status(client: httpx.Client) -> None:
    try:
        response = client.get("/api/status")
    except httpx.HTTPError as exc:
        raise _NotYet(str(exc)) from exc
    if response.status_code != 200:
        raise _NotYet(f"HTTP {response.status_code}")
    try:
        level = response.json().get("status", {}).get("overall", {}).get("level")
    except ValueError as exc:
        raise _NotYet("not JSON") from exc
    if level != "available":
        raise _NotYet(f"overall level {level!r}")


def wait_for_kibana(client: httpx.Client, timeout_s: float) -> None:
    """Poll ``/api/status`` until the overall level is "available"."""
    runner: Retrying = Retrying(
        retry=retry_if_exception_type(_NotYet),
        stop=stop_after_delay(timeout_s),
        wait=wait_fixed(2.0),
        sleep=lambda seconds: time.sleep(seconds),
        reraise=True,
    )
    try:
        runner(_kibana_status, client)
    except _NotYet as exc:
        raise KibanaError(f"Kibana not available after {timeout_s:.0f}s ({exc})") from exc


def import_saved_objects(
    kibana_url: str,
    settings: Settings,
    *,
    path: Path | Traversable = DEFAULT_NDJSON,
    timeout_s: float = 300.0,
) -> None:
    """Wait for Kibana, then import (overwrite) the data views, searches and dashboard."""
    objects = for_settings(load_objects(path), settings)
    body = "\n".join(json.dumps(obj, ensure_ascii=False) for obj in objects) + "\n"
    with _client(kibana_url, settings, timeout=60.0) as client:
        wait_for_kibana(client, timeout_s)
        response = client.post(
            "/api/saved_objects/_import",
            params={"overwrite": "true"},
            files={"file": ("newsstream.ndjson", body.encode("utf-8"), "application/ndjson")},
        )
    if response.status_code != 200:
        raise KibanaError(f"import refused: HTTP {response.status_code}: {response.text[:500]}")
    result = response.json()
    if not result.get("success"):
        raise KibanaError(f"import failed: {json.dumps(result.get('errors', []))[:1000]}")
    log.info("Kibana saved objects imported", extra={"count": result.get("successCount")})
