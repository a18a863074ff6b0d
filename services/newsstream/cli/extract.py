"""``newsstream extract [--until-idle]``: run an extractor worker (raw -> enriched topic)."""

from __future__ import annotations

import argparse
from typing import Any

from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "extract", help="extract entities and quotations from raw articles (a Kafka worker)"
    )
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="exit 0 once the topic had no new message for NEWSSTREAM_IDLE_SECONDS",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.extractor.service import run_extractor

    return run_extractor(settings, until_idle=args.until_idle)
