"""``newsstream feeds list | add URL --outlet NAME | remove URL | import-opml FILE | validate``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from newsstream.errors import FeedsFileError
from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("feeds", help="the feeds file: list (with health), add, remove, ...")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    show = verbs.add_parser("list", help="configured feeds and the poller's view of each")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(func=handle_list)
    add = verbs.add_parser("add", help="add a feed to the feeds file")
    add.add_argument("url", metavar="URL")
    add.add_argument("--outlet", metavar="NAME", required=True, help="display name")
    add.add_argument("--interval", metavar="SECONDS", help="poll at most this often (300, 5m)")
    add.add_argument("--host", action="append", default=[], metavar="HOST",
                     help="another host its article pages live on (repeatable)")  # fmt: skip
    add.add_argument("--language", metavar="CODE", help="ISO 639-1, e.g. de")
    add.add_argument("--user-agent", metavar="UA", help="User-Agent for this outlet only")
    add.add_argument("--disabled", action="store_true", help="add it, but do not poll it")
    add.set_defaults(func=handle_add)
    remove = verbs.add_parser("remove", help="remove a feed from the feeds file")
    remove.add_argument("url", metavar="URL")
    remove.set_defaults(func=handle_remove)
    opml = verbs.add_parser("import-opml", help="add the feeds of an OPML export")
    opml.add_argument("file", metavar="FILE", type=Path)
    opml.add_argument("--language", metavar="CODE", help="language of feeds that name none")
    opml.set_defaults(func=handle_import)
    check = verbs.add_parser("validate", help="check a feeds file: every problem with its line")
    check.add_argument("file", metavar="FILE", nargs="?", type=Path)
    check.set_defaults(func=handle_validate)


def _age(ts: float | None, now: float) -> str:
    if ts is None:
        return "-"
    delta = ts - now
    word = "in " if delta > 0 else ""
    delta = abs(delta)
    text = f"{delta:.0f}s" if delta < 120 else f"{delta / 60:.0f}m" if delta < 7200 else (
        f"{delta / 3600:.0f}h")  # fmt: skip
    return f"{word}{text}" if word else f"{text} ago"


def handle_list(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from newsstream.feedadmin import list_feeds

    origin, rows = list_feeds(settings)
    if args.json:
        print(json.dumps({"origin": origin, "feeds": [r.to_json() for r in rows]},
                         ensure_ascii=False))  # fmt: skip
        return 0
    now = time.time()
    table = Table(title=f"{len(rows)} feeds ({escape(origin)})")
    for column in ("outlet", "feed", "every", "last success", "failures", "last error", "next"):
        table.add_column(column, overflow="fold")
    for r in rows:
        error = f"{_age(r.last_error_at, now)}: {r.last_error}" if r.last_error else "-"
        table.add_row(
            escape(r.outlet) + ("" if r.enabled else " [dim](disabled)[/dim]"),
            escape(r.url), f"{r.interval_s:.0f}s", _age(r.last_success, now),
            str(r.failures), escape(error[:120]), _age(r.next_poll, now),
        )  # fmt: skip
    Console().print(table)
    return 0


def handle_add(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from newsstream.feedadmin import add_feed
    from newsstream.outlets.config import FeedConfig

    try:
        feed = FeedConfig(
            url=args.url, outlet=args.outlet, interval=args.interval, hosts=args.host,
            language=args.language, user_agent=args.user_agent, enabled=not args.disabled,
        )  # fmt: skip
    except ValidationError as exc:
        reasons = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise FeedsFileError(f"not a valid feed: {reasons}") from None
    path = add_feed(settings, feed)
    print(f"added {feed.url} ({feed.outlet}) to {path}")
    _warn_env(settings)
    return 0


def handle_remove(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.feedadmin import remove_feed

    path, feed = remove_feed(settings, args.url)
    print(f"removed {feed.url} ({feed.outlet}) from {path}")
    _warn_env(settings)
    return 0


def handle_import(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.feedadmin import import_opml

    path, added, known = import_opml(settings, args.file, language=args.language)
    print(f"imported {len(added)} feed(s) into {path} ({known} already there)")
    for feed in added:
        print(f"  + {feed.outlet}: {feed.url}")
    _warn_env(settings)
    return 0


def handle_validate(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.feedadmin import validate_file

    try:
        path, feeds = validate_file(settings, args.file)
    except FeedsFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"newsstream: {exc.for_humans()}", file=sys.stderr)
        return exc.exit_code
    enabled = sum(f.enabled for f in feeds)
    print(f"{path}: {len(feeds)} feeds ({enabled} enabled), no problem found")
    return 0


def _warn_env(settings: Settings) -> None:
    if "feeds" in settings.model_fields_set:
        print("note: NEWSSTREAM_FEEDS is set and replaces the feeds file until it is unset",
              file=sys.stderr)  # fmt: skip
