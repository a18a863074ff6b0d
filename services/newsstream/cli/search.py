"""``newsstream search QUERY [--quotes] [--speaker NAME] [--entity NAME] [--outlet NAME]
[--language CODE] [--since DATE] [--collapse] ...``."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from newsstream.errors import SearchError
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
    parser.add_argument("--outlet", metavar="NAME", help="only this outlet (as in feeds list)")
    parser.add_argument("--language", metavar="CODE", help="only this language (de, en, ...)")
    parser.add_argument("--since", metavar="DATE", type=parse_since, help="date, or 24h / 7d")
    parser.add_argument(
        "--collapse", action="store_true", help="one hit per story (syndicated copies folded)"
    )
    parser.add_argument("--limit", metavar="N", type=_positive, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from elasticsearch import ApiError, NotFoundError

    from newsstream.reach import require_elasticsearch
    from newsstream.search import search
    from newsstream.store import make_es

    es = make_es(settings)
    require_elasticsearch(settings, es)
    try:
        result = search(
            es,
            settings,
            args.query,
            quotes=args.quotes,
            speaker=args.speaker,
            entity=args.entity,
            since=args.since,
            limit=args.limit,
            outlet=args.outlet,
            collapse=args.collapse,
            language=args.language,
        )
    except NotFoundError:
        index = settings.quotes_alias if args.quotes else settings.articles_alias
        raise SearchError(
            f"no index {index!r} yet",
            fix="start the pipeline (`newsstream run`) so that the indexer creates it",
        ) from None
    except ApiError as exc:
        raise SearchError(f"Elasticsearch refused the search: {exc.message}"[:300]) from exc
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, default=str))
    else:
        print_table(result.total, result.hits, quotes=args.quotes, stories=result.stories)
    return 0


def highlight_markup(fragment: str) -> str:
    """A highlight fragment as rich markup: matches bold, everything else escaped.

    Article text can hold ``[`` (``[Audio]``, ``[1]``); unescaped, rich would read it as markup
    and fail on it, so only the ``<em>`` tags Elasticsearch added become markup.
    """
    from rich.markup import escape

    parts = re.split(r"(</?em>)", fragment)
    out: list[str] = []
    for part in parts:
        if part == "<em>":
            out.append("[bold]")
        elif part == "</em>":
            out.append("[/bold]")
        else:
            out.append(escape(part))
    return "".join(out)


def _snippet(hit: dict[str, Any], fields: tuple[str, ...]) -> str:
    """The first highlight fragment (matches in bold), else the start of the first field."""
    from rich.markup import escape

    for name in fields:
        fragments = hit.get("highlight", {}).get(name)
        if fragments:
            return highlight_markup(str(fragments[0]))
    return escape(str(hit.get(fields[0]) or "")[:160])


def article_cell(hit: dict[str, Any]) -> str:
    """Title, then the outlet (its host for old documents) and the URL as a link a terminal
    can open; a syndicated copy says so."""
    from rich.markup import escape

    url = str(hit.get("url") or "")
    host = str(hit.get("outlet") or urlsplit(url).hostname or "")
    if hit.get("is_copy"):
        host += " · copy"
    title = escape(str(hit.get("title") or ""))
    if not url:
        return title
    link = escape(url).replace("]", "%5D")
    return f"{title}\n[dim]{escape(host)}[/dim]  [link={link}]{escape(url)}[/link]"


def when(hit: dict[str, Any]) -> str:
    """``2024-05-31 14:05`` from the stored ISO time (UTC, as indexed)."""
    text = str(hit.get("published_at") or "")
    return text[:16].replace("T", " ")


def print_table(
    total: int, hits: list[dict[str, Any]], *, quotes: bool, stories: int | None = None
) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    title = f"{total} {'quotations' if quotes else 'articles'}"
    if stories is not None:
        title += f" in {stories} stories (one shown per story)"
    table = Table(title=title, show_lines=True)
    table.add_column("score", justify="right")
    table.add_column("published (UTC)", no_wrap=True)
    if quotes:
        table.add_column("speaker")
        table.add_column("quotation", ratio=3)
    else:
        table.add_column("match", ratio=3)
    table.add_column("article", ratio=2)
    for hit in hits:
        score = f"{hit['score']:.2f}" if isinstance(hit.get("score"), float) else "-"
        if quotes:
            who = escape(str(hit.get("speaker") or "?"))
            if hit.get("speaker_role"):
                who += f"\n[dim]{escape(str(hit['speaker_role']))}[/dim]"
            row = [who, _snippet(hit, ("quote",))]
        else:
            row = [_snippet(hit, ("body", "teaser", "title"))]
        table.add_row(score, when(hit), *row, article_cell(hit))
    Console().print(table)
