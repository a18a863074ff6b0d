"""``newsstream setup``: the one-shot preparation before the services start.

Kafka topics; with a superuser in ``NEWSSTREAM_ES_ADMIN_*`` (the Docker route) the services'
least-privilege role and user; index templates and aliases; Kibana's saved objects. Every step
is idempotent. Peers start in any order, so a step that fails because one is not ready yet is
retried for a while (tenacity); a wrong password is not "not ready" and fails at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from newsstream.errors import ConfigError, ElasticsearchAuthError, NewsstreamError
from newsstream.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How long setup waits for a peer that is still starting.
READY_WAIT_S = 300.0


def _not_ready(exc: BaseException) -> bool:
    """Worth another try: a peer still starting (connection refused, 5xx, 429), not bad input."""
    from elasticsearch import ApiError, AuthenticationException, AuthorizationException
    from kafka.errors import KafkaError

    if isinstance(exc, AuthenticationException | AuthorizationException | ConfigError):
        return False
    if isinstance(exc, ApiError):
        return exc.meta.status >= 500 or exc.meta.status == 429
    return isinstance(exc, KafkaError | ConnectionError | OSError | NewsstreamError) or (
        type(exc).__module__.startswith("elastic_transport")
    )


def until_ready(step: Callable[[], T]) -> T:
    """Run ``step``, retrying while a peer is not ready (up to ``READY_WAIT_S``)."""
    runner = retry(
        retry=retry_if_exception(_not_ready),
        stop=stop_after_delay(READY_WAIT_S),
        wait=wait_exponential(max=10),
        reraise=True,
        before_sleep=lambda state: log.warning(
            "setup step not ready, retrying",
            extra={"reason": repr(state.outcome.exception())[:300] if state.outcome else ""},
        ),
    )(step)
    return runner()


def set_kibana_password(settings: Settings) -> None:
    """Give Kibana's ``kibana_system`` user the password Kibana logs in with (superuser only)."""
    from newsstream.indexer.access import admin_settings
    from newsstream.store import make_es

    if settings.kibana_system_password is None:
        raise ConfigError("NEWSSTREAM_KIBANA_SYSTEM_PASSWORD is not set")
    admin = admin_settings(settings)
    if admin is None:
        raise ConfigError("NEWSSTREAM_ES_ADMIN_USERNAME / _PASSWORD are needed to set it")
    password = settings.kibana_system_password.get_secret_value()
    es = make_es(admin)
    _auth_guard(lambda: until_ready(lambda: es.security.change_password(
        username="kibana_system", password=password
    )), admin)  # fmt: skip


def _auth_guard(step: Callable[[], T], settings: Settings) -> T:
    from elasticsearch import AuthenticationException, AuthorizationException

    try:
        return step()
    except (AuthenticationException, AuthorizationException) as exc:
        raise ElasticsearchAuthError(
            f"Elasticsearch refused user {settings.es_username!r} (HTTP {exc.meta.status})"
        ) from exc


def setup(settings: Settings, *, kibana: bool = True) -> None:
    """Topics, role and user (when a superuser is given), templates and aliases, Kibana objects."""
    from newsstream.indexer.access import admin_settings, ensure_service_user
    from newsstream.indexer.kibana import import_saved_objects
    from newsstream.indexer.setup import ensure_indices
    from newsstream.reach import require_elasticsearch, require_kafka
    from newsstream.store import make_es
    from newsstream.topics import ensure_topics

    admin = admin_settings(settings)
    es_settings = admin or settings
    es = make_es(es_settings)
    require_kafka(settings)
    require_elasticsearch(es_settings, es)
    until_ready(lambda: ensure_topics(settings))
    if admin is not None:
        _auth_guard(lambda: until_ready(lambda: ensure_service_user(es, settings)), admin)
    _auth_guard(lambda: until_ready(lambda: ensure_indices(es, settings)), es_settings)
    if kibana:
        # Saved objects belong to Kibana, which the services' role may not touch.
        import_saved_objects(settings.kibana_url, es_settings)
