"""``newsstream watch add | list | remove | test``: the watchlists the alerter matches."""

from __future__ import annotations

import argparse
import json
from typing import Any

from newsstream.cli.search import _positive, parse_since
from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("watch", help="watches: alert when a speaker, entity or query matches")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a watch (every criterion given must hold)")
    add.add_argument("name", help="1-64 letters, digits, '_', '.', '-'")
    add.add_argument("--speaker", metavar="NAME", help="quoted speaker (full name or surname)")
    add.add_argument("--entity", metavar="NAME", action="append", help="mentioned (repeatable)")
    add.add_argument("--query", metavar="QUERY", help="query-string syntax over title and body")
    add.add_argument("--outlet", metavar="NAME", help="the article's outlet")
    add.add_argument("--notify", metavar="TARGET", action="append",
                     help="webhook:URL, console or email:ADDRESS (repeatable)")  # fmt: skip
    add.add_argument("--secret", metavar="KEY", help="HMAC key of the webhook signature")
    add.set_defaults(func=handle_add)
    listing = actions.add_parser("list", help="list the watches")
    listing.add_argument("--json", action="store_true", help="one JSON array (secrets included)")
    listing.set_defaults(func=handle_list)
    remove = actions.add_parser("remove", help="remove a watch (its alerts stop at once)")
    remove.add_argument("name")
    remove.set_defaults(func=handle_remove)
    test = actions.add_parser("test", help="what the watch matches among indexed articles")
    test.add_argument("name")
    test.add_argument("--since", metavar="DATE", type=parse_since, help="date, or 24h / 7d")
    test.add_argument("--limit", metavar="N", type=_positive, default=20)
    test.add_argument("--json", action="store_true", help="print one JSON object")
    test.set_defaults(func=handle_test)


def handle_add(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.alerts.manage import WatchSpec, add_watch

    spec = WatchSpec(args.speaker, args.entity, args.query, args.outlet, args.notify, args.secret)
    watch = add_watch(settings, args.name, spec)
    print(f"watch {watch.name!r} added (id {watch.watch_id})")
    if any(t.startswith("webhook:") for t in watch.notify):
        print(f"webhook signature key (X-Newsstream-Signature, HMAC-SHA256): {watch.secret}")
    return 0


def handle_list(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from newsstream.alerts.manage import list_watches

    watches = list_watches(settings)
    if args.json:
        print(json.dumps([w.public() for w in watches], ensure_ascii=False))
        return 0
    table = Table(title=f"{len(watches)} watches")
    for column in ("name", "speaker", "entities", "query", "outlet", "notify", "created (UTC)"):
        table.add_column(column)
    for w in watches:
        cells = [w.name, w.speaker or "", ", ".join(w.entities), w.query or "", w.outlet or "",
                 "\n".join(w.notify), w.created_at.isoformat(timespec="minutes")]  # fmt: skip
        table.add_row(*(escape(c) for c in cells))
    Console().print(table)
    return 0


def handle_remove(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.alerts.manage import remove_watch

    remove_watch(settings, args.name)
    print(f"watch {args.name!r} removed")
    return 0


def handle_test(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from newsstream.alerts.manage import try_watch

    result = try_watch(settings, args.name, since=args.since, limit=args.limit)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
        return 0
    table = Table(title=f"watch {args.name}: {result['total']} articles", show_lines=True)
    for column in ("published (UTC)", "matched", "article"):
        table.add_column(column)
    for m in result["matches"]:
        quotes = [f"{q['speaker']}: „{q['quote']}“" for q in m["quotes"]]
        what = "\n".join(quotes) or ", ".join(m["entities"]) or "query"
        when = str(m.get("published_at") or "")[:16].replace("T", " ")
        table.add_row(when, escape(what), escape(f"{m['title']}\n{m['url']}"))
    Console().print(table)
    return 0
