"""``newsstream poll [--once] [--feed URL ...]``: feeds -> cleaned article revisions in Kafka."""

from __future__ import annotations

import argparse
import threading
from typing import Any

from newsstream.settings import Settings
from newsstream.shutdown import stop_on_signals


def register(sub: Any) -> None:
    parser = sub.add_parser("poll", help="poll RSS/Atom feeds and publish articles to Kafka")
    parser.add_argument("--once", action="store_true", help="poll every feed once, then exit")
    parser.add_argument(
        "--feed",
        action="extend",
        nargs="+",
        metavar="URL",
        help="a feed URL (repeatable); default: NEWSSTREAM_FEEDS, else the feeds file",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.poller.service import run_poller

    if args.feed:
        # Explicit feeds also define the default allowed hosts (unless configured).
        settings = settings.model_copy(update={"feeds": list(args.feed)})
    with stop_on_signals(threading.Event()) as stop:
        return run_poller(settings, feeds=args.feed or None, once=args.once, stop_event=stop)
