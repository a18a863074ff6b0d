"""``newsstream analyze PATH_OR_URL [--json]``: entities and quotations of one article."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from newsstream.messages import EnrichedArticle
from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "analyze", help="show entities and attributed quotations of one article file or URL"
    )
    parser.add_argument("source", metavar="PATH_OR_URL", help="HTML or plain-text file, or URL")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.extractor.analyze import analyze

    result = analyze(args.source, settings)
    if args.json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), ensure_ascii=False) + "\n")
    else:
        render(result)
    return 0


def render(result: EnrichedArticle) -> None:
    """Readable tables of entities and quotations."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{result.title or '(no title)'}[/bold]")
    if result.teaser:
        console.print(result.teaser, style="italic")
    entities = Table(title=f"Entities ({len(result.entities)})")
    for column in ("canonical", "label", "count", "as written"):
        entities.add_column(column)
    for ent in sorted(result.entities, key=lambda e: (-e.count, e.canonical)):
        entities.add_row(ent.canonical, ent.label, str(ent.count), ent.text)
    console.print(entities)
    quotes = Table(title=f"Quotations ({len(result.quotes)})", show_lines=True)
    for column in ("#", "speaker", "role", "cue", "quotation"):
        quotes.add_column(column, overflow="fold")
    for i, quote in enumerate(result.quotes, 1):
        quotes.add_row(
            str(i), quote.speaker or "-", quote.speaker_role or "", quote.cue or "", quote.quote
        )
    console.print(quotes)
    console.print(f"model {result.nlp.model} {result.nlp.model_version}", style="dim")
