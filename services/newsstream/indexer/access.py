"""Least privilege in Elasticsearch: the role and user every newsstream service runs as.

``newsstream setup`` (with a superuser's credentials in ``NEWSSTREAM_ES_ADMIN_*``) creates the
role ``newsstream_writer`` and the user ``NEWSSTREAM_ES_USERNAME``. The role can do everything
newsstream needs on its own indices and nothing elsewhere: no other index, no security API,
no cluster settings. The superuser stays with the one-shot setup.
"""

from __future__ import annotations

import logging
from typing import Any

from elasticsearch import Elasticsearch

from newsstream.errors import ConfigError
from newsstream.settings import Settings

log = logging.getLogger(__name__)

ROLE = "newsstream_writer"

#: Cluster privileges: health and node info (``monitor``), and the index templates that the
#: indexer installs idempotently at start (``manage_index_templates``).
CLUSTER_PRIVILEGES = ("monitor", "manage_index_templates")


def index_patterns(settings: Settings) -> list[str]:
    """The indices behind newsstream's aliases: ``news-articles*`` and ``news-quotes*``.

    The ``*`` covers the versioned indices (``-v1``, ``-r2024…``) and the temporary
    ``-building`` aliases of ``reindex``.
    """
    aliases = (settings.articles_alias, settings.quotes_alias)
    return sorted({f"{alias}*" for alias in aliases})


def role_body(settings: Settings) -> dict[str, Any]:
    """The ``newsstream_writer`` role (pure, so its limits are unit-tested)."""
    return {
        "cluster": list(CLUSTER_PRIVILEGES),
        "indices": [{"names": index_patterns(settings), "privileges": ["all"]}],
        "metadata": {"managed_by": "newsstream setup"},
    }


def ensure_service_user(admin: Elasticsearch, settings: Settings) -> str:
    """Create or update the role and the services' user; returns the user name."""
    if not settings.es_username or settings.es_password is None:
        raise ConfigError(
            "NEWSSTREAM_ES_ADMIN_* is set, so setup creates the services' own user, but "
            "NEWSSTREAM_ES_USERNAME / NEWSSTREAM_ES_PASSWORD are missing"
        )
    if settings.es_username == settings.es_admin_username:
        raise ConfigError("the services must not run as the superuser: use another user name")
    admin.security.put_role(name=ROLE, **role_body(settings))
    admin.security.put_user(
        username=settings.es_username,
        password=settings.es_password.get_secret_value(),
        roles=[ROLE],
        full_name="newsstream services",
    )
    log.info(
        "Elasticsearch role and user ready", extra={"role": ROLE, "user": settings.es_username}
    )
    return settings.es_username


def admin_settings(settings: Settings) -> Settings | None:
    """``settings`` with the superuser as the client's credentials (None if none is set)."""
    if not settings.es_admin_username or settings.es_admin_password is None:
        return None
    return settings.model_copy(
        update={
            "es_username": settings.es_admin_username,
            "es_password": settings.es_admin_password,
            "es_api_key": None,
        }
    )
