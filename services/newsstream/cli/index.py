"""``newsstream index [--until-idle]``: run the indexer (enriched topic -> Elasticsearch)."""

from __future__ import annotations

import argparse
from typing import Any

from newsstream.cli.options import add_until_idle
from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("index", help="index enriched articles and quotes into Elasticsearch")
    add_until_idle(parser)
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.indexer.service import run_indexer

    return run_indexer(settings, until_idle=args.until_idle)
