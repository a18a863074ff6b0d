"""Options shared by several subcommands, so they read and behave the same everywhere."""

from __future__ import annotations

import argparse


def add_until_idle(parser: argparse.ArgumentParser) -> None:
    """``--until-idle`` (contract): process until the input is quiet, commit, exit 0."""
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="exit 0 once the topic had no new message for NEWSSTREAM_IDLE_SECONDS",
    )
