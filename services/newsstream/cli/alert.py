"""``newsstream alert [--until-idle]``: the alerter (watches matched, alerts delivered)."""

from __future__ import annotations

import argparse
from typing import Any

from newsstream.cli.options import add_until_idle
from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "alert", help="match indexed articles against the watches and deliver the alerts"
    )
    add_until_idle(parser)
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.alerts.service import run_alerter

    return run_alerter(settings, until_idle=args.until_idle)
