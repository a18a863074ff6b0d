"""``newsstream stack up [--brokers N] [--es-nodes N] | down | status | install | kill NODE |
start NODE``."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from newsstream.settings import Settings

ACTIONS = ["up", "down", "status", "install", "kill", "start"]


def register(sub: Any) -> None:
    parser = sub.add_parser("stack", help="local Kafka + Elasticsearch without Docker")
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("node", nargs="?", help="kill/start: a node name from `stack status`")
    parser.add_argument("--brokers", type=int, default=None, help="up: Kafka nodes (cluster: 3)")
    parser.add_argument("--es-nodes", type=int, default=None, help="up: Elasticsearch nodes (2)")
    parser.add_argument("--json", action="store_true", help="status as JSON")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.stack import artifacts, manager

    console = Console(stderr=False)
    if args.action in ("kill", "start") and not args.node:
        console.print(f"newsstream: `stack {args.action}` needs a NODE (see `stack status`)")
        return 2
    if args.action == "install":
        paths = artifacts.install(settings)
        console.print(f"stack installed under {paths.root}")
        return 0
    if args.action == "up":
        return _up(args, settings, console)
    if args.action == "down":
        stopped = manager.down(settings)
        console.print(f"stack down; stopped: {', '.join(stopped) or 'nothing was running'}")
        return 0
    if args.action == "kill":
        done = manager.kill_node(settings, args.node)
        console.print(f"{args.node} {'killed (SIGKILL)' if done else 'was not running'}")
        return 0
    if args.action == "start":
        started = manager.start_node(settings, args.node)
        console.print(f"{args.node} {'started' if started else 'was already running'}")
        return 0
    return _status(args, settings, console)


def _up(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from newsstream.stack import manager, topology

    current = topology.load(settings)
    shape = topology.Topology(
        args.brokers if args.brokers is not None else current.brokers,
        args.es_nodes if args.es_nodes is not None else current.es_nodes,
    )
    began = time.monotonic()
    started = manager.up(settings, shape)
    what = ", ".join(started) if started else "nothing (already running)"
    console.print(f"stack up in {time.monotonic() - began:.1f}s; started: {what}")
    if shape.cluster:
        console.print(
            "a cluster: point every newsstream command at all of its nodes, e.g.\n"
            f"  export NEWSSTREAM_KAFKA_BOOTSTRAP={shape.bootstrap(settings)}\n"
            f"  export NEWSSTREAM_ES_URL={shape.es_url(settings)}",
            highlight=False,
        )
    return 0


def _status(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from newsstream.stack import manager

    rows = manager.status_dicts(settings)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        table = Table(title="newsstream local stack")
        columns = ("node", "role", "version", "port", "pid", "health", "rss MiB", "heap MiB", "log")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(
                str(row["name"]),
                str(row["role"]),
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
