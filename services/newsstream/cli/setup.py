"""``newsstream setup``: the one-shot preparation the Docker route runs before the services.

Creates the Kafka topics, installs the index templates and aliases, and imports the Kibana
saved objects. ``--kibana-password-only`` sets the kibana_system password Kibana logs in with.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from tenacity import retry, stop_after_delay, wait_exponential

from newsstream.errors import ConfigError
from newsstream.settings import Settings

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    parser = sub.add_parser("setup", help="create topics, index templates, Kibana saved objects")
    parser.add_argument("--skip-kibana", action="store_true", help="do not import saved objects")
    parser.add_argument(
        "--kibana-password-only",
        action="store_true",
        help="only set the kibana_system password (NEWSSTREAM_KIBANA_SYSTEM_PASSWORD)",
    )
    parser.set_defaults(func=handle)


@retry(stop=stop_after_delay(300), wait=wait_exponential(max=10), reraise=True)
def _with_retries(step: Any, *args: Any) -> Any:
    """Services start in any order; a step that fails because a peer is not ready is retried."""
    return step(*args)


def set_kibana_password(settings: Settings) -> None:
    from newsstream.store import make_es

    if settings.kibana_system_password is None:
        raise ConfigError("NEWSSTREAM_KIBANA_SYSTEM_PASSWORD is not set")
    password = settings.kibana_system_password.get_secret_value()
    es = make_es(settings)
    _with_retries(lambda: es.security.change_password(username="kibana_system", password=password))


def setup(settings: Settings, *, kibana: bool = True) -> None:
    from newsstream.bus import ensure_topics
    from newsstream.indexer.kibana import import_saved_objects
    from newsstream.indexer.setup import ensure_indices
    from newsstream.store import make_es

    _with_retries(ensure_topics, settings)
    _with_retries(ensure_indices, make_es(settings), settings)
    if kibana:
        import_saved_objects(settings.kibana_url, settings)


def handle(args: argparse.Namespace, settings: Settings) -> int:
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
