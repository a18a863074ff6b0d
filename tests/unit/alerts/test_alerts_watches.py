"""Watch definitions, notify targets and the webhook address rules (pure, no services)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from newsstream.alerts.watches import check_address, check_webhook_url, new_watch, parse_target
from newsstream.errors import BlockedWebhookError, WatchInvalidError
from newsstream.search import entity_filter, speaker_filter

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_watches_criteria_combine_with_and_using_the_search_filters() -> None:
    watch = new_watch("w", speaker="Gerhard  Mangott", entities=["Wladimir Putin", "Nato"],
                      query="Waffenruhe", outlet="BR24", secret="k", created_at=NOW)  # fmt: skip
    filters = watch.articles_query["bool"]["filter"]
    assert filters[0] == speaker_filter("Gerhard Mangott", quotes=False)
    assert filters[1:3] == [entity_filter("Wladimir Putin", quotes=False),
                            entity_filter("Nato", quotes=False)]  # fmt: skip
    assert filters[3]["query_string"]["query"] == "Waffenruhe"
    assert filters[3]["query_string"]["default_operator"] == "AND"
    assert filters[4] == {"term": {"outlet": {"value": "BR24", "case_insensitive": True}}}
    assert watch.quotes_query == speaker_filter("Gerhard Mangott", quotes=True)


def test_watches_without_a_criterion_or_with_a_bad_name_are_refused() -> None:
    with pytest.raises(WatchInvalidError, match="needs --speaker"):
        new_watch("w", notify=["console"], secret="k", created_at=NOW)
    for name in ("", "with space", "-lead", "x" * 65, "a/b"):
        with pytest.raises(WatchInvalidError):
            new_watch(name, speaker="X", secret="k", created_at=NOW)


def test_watches_same_name_added_again_is_a_new_watch() -> None:
    first = new_watch("w", speaker="X", secret="k", created_at=NOW)
    again = new_watch("w", speaker="X", secret="k", created_at=NOW.replace(hour=13))
    assert first.watch_id != again.watch_id


@pytest.mark.parametrize(
    ("target", "normalised"),
    [("console", "console"), ("webhook:https://hooks.example.org/x", "webhook:https://hooks.example.org/x"),
     ("webhook:http://127.0.0.1:8080/hook", "webhook:http://127.0.0.1:8080/hook"),
     ("email:desk@example.org", "email:desk@example.org")],
)  # fmt: skip
def test_watches_targets_accepted(target: str, normalised: str) -> None:
    assert parse_target(target) == normalised


@pytest.mark.parametrize(
    "target",
    ["webhook:ftp://example.org/x", "webhook:file:///etc/passwd", "webhook:gopher://h/",
     "webhook:javascript:alert(1)", "webhook:http://169.254.169.254/latest/meta-data",
     "webhook:http://[fe80::1]/x", "webhook:http://[::ffff:169.254.169.254]/x",
     "webhook:http://0.0.0.0/x", "webhook:http://224.0.0.1/x", "webhook:", "email:nobody",
     "sms:123", "console:x"],
)  # fmt: skip
def test_watches_targets_refused(target: str) -> None:
    with pytest.raises((WatchInvalidError, BlockedWebhookError)):
        parse_target(target)


def test_watches_private_addresses_allowed_unless_denied() -> None:
    for url in ("http://127.0.0.1/h", "http://10.1.2.3/h", "http://[::1]/h"):
        check_webhook_url(url)
        with pytest.raises(BlockedWebhookError, match="DENY_PRIVATE"):
            check_webhook_url(url, deny_private=True)
    check_webhook_url("https://hooks.example.org/h", deny_private=True)  # names: at delivery
    check_address("93.184.216.34", deny_private=True)
    with pytest.raises(BlockedWebhookError):
        check_address("169.254.169.254", deny_private=False)


def test_watches_validation_reason_is_one_readable_line() -> None:
    from newsstream.alerts.store import readable_reason

    raw = (
        "[x-news-articles-v1/Dz7E] org.elasticsearch.index.query.QueryShardException: Failed to "
        "parse query [foo AND]; org.apache.lucene.queryparser.classic.ParseException: Cannot "
        "parse 'foo AND': Encountered \"<EOF>\" at line 1, column 7.\nWas expecting one of:\n"
        "    <NOT> ...; org.apache.lucene.queryparser.classic.ParseException: Cannot parse "
        "'foo AND': Encountered \"<EOF>\" at line 1, column 7.\nWas expecting one of:"
    )
    assert readable_reason(raw) == (
        "Failed to parse query [foo AND]; Cannot parse 'foo AND': Encountered \"<EOF>\" at "
        "line 1, column 7."
    )


def test_watch_store_version_is_none_without_the_right_to_read_index_statistics() -> None:
    """Credentials without ``monitor`` must not stop the alerter: it then reads every time."""
    from types import SimpleNamespace

    from elasticsearch import AuthorizationException

    from newsstream.alerts.store import WatchStore
    from newsstream.settings import Settings

    def refused(**_: object) -> None:
        meta: Any = None
        raise AuthorizationException("action [indices:monitor/stats] is unauthorized", meta, {})

    es = SimpleNamespace(indices=SimpleNamespace(stats=refused))
    assert WatchStore(es, Settings()).version() is None  # type: ignore[arg-type]
