"""``newsstream search QUERY [--quotes] [--speaker NAME] [--entity NAME] [--since DATE] ...``."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

from newsstream.settings import Settings

_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """An ISO date or date-time (naive = UTC), or a relative age such as ``24h``, ``7d``, ``2w``."""
    text = value.strip()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: amount})
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not a date: {value!r} (use 2024-05-31, 2024-05-31T12:00+02:00, 24h or 7d)"
            ) from None
        parsed = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return number


def register(sub: Any) -> None:
    parser = sub.add_parser("search", help="search indexed articles or quotations")
    parser.add_argument("query", nargs="?", default="", help='words, "a phrase", -excluded')
    parser.add_argument("--quotes", action="store_true", help="search quotations, not articles")
    parser.add_argument("--speaker", metavar="NAME", help="full name or surname of a speaker")
    parser.add_argument("--entity", metavar="NAME", help="canonical name of a mentioned entity")
    parser.add_argument("--since", metavar="DATE", type=parse_since, help="date, or 24h / 7d")
    parser.add_argument("--limit", metavar="N", type=_positive, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from elasticsearch import ApiError, NotFoundError, TransportError

    from newsstream.search import search
    from newsstream.store import make_es

    try:
        result = search(
            make_es(settings),
            settings,
            args.query,
            quotes=args.quotes,
            speaker=args.speaker,
            entity=args.entity,
            since=args.since,
            limit=args.limit,
        )
    except NotFoundError:
        index = settings.quotes_alias if args.quotes else settings.articles_alias
        print(f"newsstream: no index {index!r} yet; run `newsstream index`", file=sys.stderr)
        return 1
    except (ApiError, TransportError) as exc:
        print(f"newsstream: search failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, default=str))
    else:
        _print_table(result.total, result.hits, quotes=args.quotes)
    return 0


def _snippet(hit: dict[str, Any], fields: tuple[str, ...]) -> str:
    """The first highlight fragment (matches in bold), else the start of the first field."""
    for name in fields:
        fragments = hit.get("highlight", {}).get(name)
        if fragments:
            return str(fragments[0]).replace("<em>", "[bold]").replace("</em>", "[/bold]")
    from rich.markup import escape

    return escape(str(hit.get(fields[0]) or "")[:160])


def _print_table(total: int, hits: list[dict[str, Any]], *, quotes: bool) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{total} {'quotations' if quotes else 'articles'}", show_lines=True)
    table.add_column("score", justify="right")
    table.add_column("published")
    if quotes:
        table.add_column("speaker")
        table.add_column("quotation")
        table.add_column("article")
    else:
        table.add_column("title")
        table.add_column("match")
    for hit in hits:
        score = f"{hit['score']:.2f}" if isinstance(hit.get("score"), float) else "-"
        published = str(hit.get("published_at") or "")[:16].replace("T", " ")
        if quotes:
            who = escape(str(hit.get("speaker") or "?"))
            if hit.get("speaker_role"):
                who += f"\n[dim]{escape(str(hit['speaker_role']))}[/dim]"
            row = [who, _snippet(hit, ("quote",)), escape(str(hit.get("title") or ""))]
        else:
            row = [escape(str(hit.get("title") or "")), _snippet(hit, ("body", "teaser", "title"))]
        table.add_row(score, published, *row)
    Console().print(table)
