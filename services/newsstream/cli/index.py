"""``newsstream index [--until-idle]``: run the indexer (enriched topic -> Elasticsearch)."""

from __future__ import annotations

import argparse
from typing import Any

from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("index", help="index enriched articles and quotes into Elasticsearch")
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="exit 0 once the topic had no new message for NEWSSTREAM_IDLE_SECONDS",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.indexer.service import run_indexer

    return run_indexer(settings, until_idle=args.until_idle)
