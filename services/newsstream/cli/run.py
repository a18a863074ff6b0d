"""``newsstream run [--until-idle]``: poller, extractors, indexer and alerter on one machine."""

from __future__ import annotations

import argparse
from typing import Any

from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "run", help="poller, extractors, indexer and alerter as one supervised product"
    )
    parser.add_argument(
        "--until-idle", action="store_true", help="poll once, drain every stage, commit, exit 0"
    )
    parser.add_argument("--feed", action="append", metavar="URL", help="feed URL (repeatable)")
    parser.add_argument("--extractors", type=int, default=None, help="extractor processes")
    parser.add_argument("--no-status", action="store_true", help="no live status table")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.supervisor import run_pipeline

    if args.feed:
        settings = settings.model_copy(update={"feeds": list(args.feed)})
    if args.extractors is not None and args.extractors < 1:
        raise SystemExit(2)
    return run_pipeline(
        settings, until_idle=args.until_idle, extractors=args.extractors, live=not args.no_status
    )
