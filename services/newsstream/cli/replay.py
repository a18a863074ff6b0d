"""``newsstream reprocess`` and ``newsstream reindex``: replay the compacted topics."""

from __future__ import annotations

import argparse
from typing import Any

from newsstream.settings import Settings


def register(sub: Any) -> None:
    reprocess = sub.add_parser(
        "reprocess", help="re-extract every article from the raw topic with the current model"
    )
    reprocess.set_defaults(func=handle_reprocess)
    reindex = sub.add_parser(
        "reindex", help="rebuild Elasticsearch from the enriched topic; swap aliases atomically"
    )
    reindex.add_argument("--delete-old", action="store_true", help="delete the replaced indices")
    reindex.set_defaults(func=handle_reindex)


def handle_reprocess(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.replay import reprocess

    return reprocess(settings)


def handle_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.replay import reindex

    result = reindex(settings, delete_old=args.delete_old)
    print(
        f"reindexed {result.messages} messages in {result.seconds:.1f}s into "
        f"{result.articles_index} and {result.quotes_index}; "
        f"aliases swapped from {', '.join(result.old_indices) or 'nothing'}"
    )
    return 0
