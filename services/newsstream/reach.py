"""Is Kafka, is Elasticsearch there? Answer within seconds, and say what to do when not.

Every command that needs a service asks here first. Without this, a stopped broker shows up
as half a minute of client-library reconnect noise followed by a traceback; with it, the
user reads one line naming the address tried and the fix, and the command exits 1.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsstream.errors import (
    ElasticsearchAuthError,
    ElasticsearchUnavailableError,
    KafkaUnavailableError,
)
from newsstream.settings import Settings

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

#: How long one probe may take; the issue's promise is an answer well within 15 s.
PROBE_TIMEOUT_S = 5.0
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _is_local(host: str | None) -> bool:
    return (host or "").lower() in _LOOPBACK


def kafka_fix(settings: Settings) -> str:
    """The sentence that tells the user how to get a broker at the configured address."""
    hosts = [_split_host_port(s)[0] for s in _servers(settings)]
    if all(_is_local(h) for h in hosts):
        return (
            "start the local stack with `newsstream stack up` (or `docker compose up -d`), "
            "or point NEWSSTREAM_KAFKA_BOOTSTRAP at your broker"
        )
    return "check that the broker runs and that NEWSSTREAM_KAFKA_BOOTSTRAP names it"


def es_fix(settings: Settings) -> str:
    if _is_local(urlsplit(settings.es_url).hostname):
        return (
            "start the local stack with `newsstream stack up` (or `docker compose up -d`), "
            "or point NEWSSTREAM_ES_URL at your cluster"
        )
    return "check that Elasticsearch runs and that NEWSSTREAM_ES_URL names it"


def _servers(settings: Settings) -> list[str]:
    return [s.strip() for s in settings.kafka_bootstrap.split(",") if s.strip()]


def _split_host_port(server: str) -> tuple[str, int]:
    host, _, port = server.rpartition(":")
    if not host:
        return server.strip("[]"), 9092
    return host.strip("[]"), int(port) if port.isdigit() else 9092


def require_kafka(settings: Settings, *, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """Return when some bootstrap server accepts a connection; else :class:`KafkaUnavailableError`.

    A TCP connect is enough to tell "nothing listens there" (the common case: the stack is not
    up) from "a broker is there"; the Kafka client itself would retry for 30 s and log every try.
    """
    reason = "no bootstrap server configured"
    for server in _servers(settings):
        host, port = _split_host_port(server)
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                return
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
    raise KafkaUnavailableError(
        f"no Kafka broker answers at {settings.kafka_bootstrap} ({reason})",
        fix=kafka_fix(settings),
    )


def require_elasticsearch(
    settings: Settings, es: Elasticsearch | None = None, *, timeout_s: float = PROBE_TIMEOUT_S
) -> None:
    """Return when Elasticsearch answers a cluster-health request with our credentials."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError, AuthenticationException, AuthorizationException

    from newsstream.store import make_es

    client = (es or make_es(settings)).options(request_timeout=timeout_s, max_retries=0)
    try:
        client.cluster.health()
    except (AuthenticationException, AuthorizationException) as exc:
        raise ElasticsearchAuthError(
            f"Elasticsearch at {settings.es_url} refused newsstream's credentials "
            f"(HTTP {exc.meta.status})"
        ) from exc
    except TransportError as exc:
        raise ElasticsearchUnavailableError(
            f"Elasticsearch does not answer at {settings.es_url} ({_transport_reason(exc)})",
            fix=es_fix(settings),
        ) from exc
    except ApiError as exc:
        raise ElasticsearchUnavailableError(
            f"Elasticsearch at {settings.es_url} answered HTTP {exc.meta.status}",
            fix=es_fix(settings),
        ) from exc


def _transport_reason(exc: Exception) -> str:
    """'Connection refused' rather than the transport's nested repr of the urllib3 error."""
    text = f"{exc} {exc!r} {getattr(exc, 'message', '')}"
    for known in ("Connection refused", "timed out", "Name or service not known", "certificate"):
        if known.lower() in text.lower():
            return known
    return type(exc).__name__
