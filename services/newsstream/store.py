"""Elasticsearch adapter: one client factory that knows about auth, CA certificates and retries."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.serializer import OrjsonSerializer

from newsstream.settings import Settings


def make_es(settings: Settings, **overrides: Any) -> Elasticsearch:
    """A client for ``NEWSSTREAM_ES_URL`` with user/password or API key and CA from settings.

    The client retries connection errors and 429/502/503/504 itself a few times; callers that
    must never lose a write (the indexer) add their own unbounded back-off on top. JSON goes
    through orjson both ways (requests, ``helpers.bulk`` actions, responses): the standard
    library's encoder was the largest single cost of a bulk write on the client side.
    """
    kwargs: dict[str, Any] = {
        "serializer": OrjsonSerializer(),
        "request_timeout": 30,
        "retry_on_timeout": True,
        "max_retries": 3,
        "retry_on_status": (429, 502, 503, 504),
    }
    if settings.es_api_key is not None:
        kwargs["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username and settings.es_password is not None:
        kwargs["basic_auth"] = (settings.es_username, settings.es_password.get_secret_value())
    if settings.es_ca_certs is not None:
        kwargs["ca_certs"] = str(settings.es_ca_certs)
    kwargs.update(overrides)
    # A comma-separated URL list names several nodes of one cluster; the client fails over.
    hosts = [url.strip() for url in settings.es_url.split(",") if url.strip()]
    return Elasticsearch(hosts, **kwargs)
