"""``newsstream setup [--skip-kibana] [--kibana-password-only]``: the one-shot preparation.

Creates the Kafka topics, (with ``NEWSSTREAM_ES_ADMIN_*``) the services' least-privilege
Elasticsearch role and user, the index templates and aliases, and imports the Kibana saved
objects. ``--kibana-password-only`` sets the kibana_system password Kibana logs in with.
"""

from __future__ import annotations

import argparse
from typing import Any

from newsstream.settings import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("setup", help="create topics, index templates, Kibana saved objects")
    parser.add_argument("--skip-kibana", action="store_true", help="do not import saved objects")
    parser.add_argument(
        "--kibana-password-only",
        action="store_true",
        help="only set the kibana_system password (NEWSSTREAM_KIBANA_SYSTEM_PASSWORD)",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from newsstream.provision import set_kibana_password, setup

    if args.kibana_password_only:
        set_kibana_password(settings)
        print("kibana_system password set")
        return 0
    setup(settings, kibana=not args.skip_kibana)
    print(
        "topics, index templates and aliases ready"
        + ("" if args.skip_kibana else "; Kibana objects imported")
    )
    return 0
