"""``newsstream stack up | down | status | install``."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("stack", help="local Kafka + Elasticsearch without Docker")
    parser.add_argument("action", choices=["up", "down", "status", "install"])
    parser.add_argument("--json", action="store_true", help="status as JSON")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.stack import artifacts, manager

    console = Console(stderr=False)
    began = time.monotonic()
    if args.action == "install":
        paths = artifacts.install(settings)
        console.print(f"stack installed under {paths.root}")
        return 0
    if args.action == "up":
        started = manager.up(settings)
        took = time.monotonic() - began
        what = ", ".join(started) if started else "nothing (already running)"
        console.print(f"stack up in {took:.1f}s; started: {what}")
        return 0
    if args.action == "down":
        stopped = manager.down(settings)
        console.print(f"stack down; stopped: {', '.join(stopped) or 'nothing was running'}")
        return 0
    rows = manager.status_dicts(settings)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        table = Table(title="newsstream local stack")
        for column in ("service", "version", "port", "pid", "health", "rss MiB", "heap MiB", "log"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                str(row["name"]),
                str(row["version"]),
                str(row["port"]),
                str(row["pid"] or "-"),
                "healthy" if row["healthy"] else "down",
                str(row["rss_mb"] or "-"),
                str(row["heap_mb"]),
                str(row["log"]),
            )
        console.print(table)
    return 0 if all(row["healthy"] for row in rows) else 1
