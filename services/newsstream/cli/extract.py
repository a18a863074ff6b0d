"""``newsstream extract [--until-idle]``: run an extractor worker (raw -> enriched topic)."""

from __future__ import annotations

import argparse
from typing import Any

from newsstream.cli.options import add_until_idle
from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "extract", help="extract entities and quotations from raw articles (a Kafka worker)"
    )
    add_until_idle(parser)
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.extractor.service import run_extractor

    return run_extractor(settings, until_idle=args.until_idle)
