"""The ``newsstream`` command: a thin argparse layer; each subcommand module calls one function.

Exit codes (contract): 0 ok, 1 runtime failure, 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from newsstream import __version__
from newsstream.errors import NewsstreamError

if TYPE_CHECKING:
    from newsstream.settings import Settings

#: Subcommand modules under ``newsstream.cli``; each has ``register(subparsers)``
#: (``options`` is not one: it holds arguments that several subcommands share).
COMMANDS = (
    "stack", "setup", "poll", "feeds", "extract", "analyze", "index", "search", "model", "run",
    "replay", "watch", "alert",
)  # fmt: skip

log = logging.getLogger("newsstream.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsstream",
        description="Who is mentioned in the news, and who said what - searchable in seconds.",
    )
    parser.add_argument("--version", action="version", version=f"newsstream {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"newsstream.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"newsstream.cli.{name}":
                raise
            continue  # a subcommand still being built; the others keep working
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    from newsstream.obs import configure_logging, set_metrics_host
    from newsstream.settings import get_settings

    try:
        settings = get_settings()
    except Exception as exc:  # pydantic validation of NEWSSTREAM_* values
        print(f"newsstream: invalid settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    set_metrics_host(settings.metrics_host)
    try:
        return int(args.func(args, settings) or 0)
    except KeyboardInterrupt:
        return 130
    except NewsstreamError as exc:
        return report_error(exc, as_json=bool(getattr(args, "json", False)))
    except Exception as exc:
        translated = translate_client_error(exc, settings)
        if translated is None:
            raise
        return report_error(translated, as_json=bool(getattr(args, "json", False)))


def report_error(exc: NewsstreamError, *, as_json: bool) -> int:
    """One line on stderr (code, what, fix); with ``--json`` also a JSON object on stdout."""
    if as_json:
        print(json.dumps({"error": exc.to_json()}, ensure_ascii=False))
    print(f"newsstream: {exc.for_humans()}", file=sys.stderr)
    return exc.exit_code


def translate_client_error(exc: Exception, settings: Settings) -> NewsstreamError | None:
    """A Kafka or Elasticsearch client failure that escaped a command, as one of ours.

    The services were reachable when the command started (``newsstream.reach``); this covers
    the ones that went away mid-command, so the user still reads a line, not a traceback.
    """
    from elastic_transport import TransportError
    from kafka.errors import KafkaError

    from newsstream.errors import ElasticsearchUnavailableError, KafkaUnavailableError
    from newsstream.reach import es_fix, kafka_fix

    if isinstance(exc, KafkaError):
        return KafkaUnavailableError(
            f"Kafka at {settings.kafka_bootstrap} failed: {type(exc).__name__}: {exc}"[:400],
            fix=kafka_fix(settings),
        )
    if isinstance(exc, TransportError):
        return ElasticsearchUnavailableError(
            f"Elasticsearch at {settings.es_url} failed: {type(exc).__name__}"[:400],
            fix=es_fix(settings),
        )
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
