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


#: Attributes every LogRecord has; anything else on a record came in through ``extra=``.
_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class ConsoleFormatter(logging.Formatter):
    """``12:00:01 WARNING newsstream.poller: feed poll failed feed=... kind=timeout``.

    The ``extra=`` fields are what say which feed failed and why; a human format that drops
    them (as ``logging.Formatter`` does) hides exactly the part the reader needs.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}
        if fields:
            text += " " + " ".join(f"{k}={_console_value(v)}" for k, v in fields.items())
        return text


def _console_value(value: object) -> str:
    text = str(value)
    return repr(text) if (" " in text or not text) else text


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record, not at set-up time (a
    test runner swaps and closes its capture streams; a bound stream would then be closed)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        return None


def resolve_log_format(fmt: str, stream: object = None) -> str:
    """``auto``: readable lines for a person at a terminal, JSON lines for files and collectors."""
    if fmt != "auto":
        return fmt
    isatty = getattr(stream or sys.stderr, "isatty", None)
    return "console" if callable(isatty) and isatty() else "json"


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Send every log record (ours and the libraries') to stderr, JSON unless a person reads it."""
    global _configured
    if _configured:
        return
    handler = _StderrHandler()
    if resolve_log_format(fmt, sys.stderr) == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # kafka-python is chatty at INFO about every connection; keep its warnings (rebalances).
    logging.getLogger("kafka").setLevel(max(logging.WARNING, root.level))
    # ...but its group membership story (join, sync, assignment, revocation) is a few lines
    # per rebalance and is what a stalled consumer's log must show.
    logging.getLogger("kafka.coordinator").setLevel(root.level)
    # The ES transport warns about every retried request; our own lines say what we retry.
    logging.getLogger("elastic_transport").setLevel(max(logging.ERROR, root.level))
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
