"""Observability: structured (JSON) logs and the per-service Prometheus ``/metrics`` endpoint."""

from __future__ import annotations

import logging
import sys

from prometheus_client import start_http_server
from pythonjsonlogger.json import JsonFormatter

_configured = False
#: Interface the /metrics servers bind to; set once from Settings.metrics_host by the CLI.
_metrics_host = "127.0.0.1"


def set_metrics_host(host: str) -> None:
    global _metrics_host
    _metrics_host = host


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Send every log record (ours and the libraries') to stderr, as JSON lines by default."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # kafka-python is chatty at INFO about every connection; keep its warnings.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("elastic_transport").setLevel(max(logging.WARNING, root.level))
    _configured = True


def start_metrics_server(port: int, enabled: bool = True, host: str | None = None) -> None:
    """Serve ``/metrics`` on ``host:port``; a busy port is logged, not fatal."""
    if not enabled or port <= 0:
        return
    try:
        start_http_server(port, addr=host or _metrics_host)
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "metrics endpoint not started", extra={"port": port, "error": str(exc)}
        )
