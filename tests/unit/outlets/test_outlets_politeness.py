"""robots.txt decisions and the feed's own scheduling hints (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsstream.outlets.politeness import MAX_FLOOR_S, feed_hints, next_allowed, skip_hours_of
from newsstream.outlets.robots import MAX_ROBOTS_BYTES, policy_for, robots_url
from newsstream.poller.feeds import parse_feed

UA = "newsstream/0.1 (+https://github.com/newsstream/newsstream)"
RULES = b"User-agent: *\nDisallow: /intern/\n\nUser-agent: newsstream\nDisallow: /archiv/\n"


def test_outlets_robots_rules_for_our_agent() -> None:
    policy = policy_for(200, RULES, "text/plain")
    assert not policy.can_fetch("https://x.example/archiv/a", UA)
    assert policy.can_fetch("https://x.example/intern/a", UA)  # our group replaces '*'
    assert not policy.can_fetch("https://x.example/intern/a", "otherbot/1.0")


@pytest.mark.parametrize(
    ("status", "body", "ctype", "allowed", "note"),
    [
        (404, b"", None, True, "unavailable"),
        (403, b"", None, True, "unavailable"),
        (503, b"", None, False, "unreachable"),
        (None, b"", None, False, "unreachable"),
        (
            200,
            b"<!DOCTYPE html><html><body>Seite nicht gefunden</body></html>",
            "text/html",
            True,
            "html",
        ),
        (200, b"<html><p>Disallow: /</p></html>", "text/plain", True, "html"),
        (200, b"\xff\xfe\x00garbage\x00", "text/plain", True, ""),
    ],
)
def test_outlets_robots_answers(
    status: int | None, body: bytes, ctype: str | None, allowed: bool, note: str
) -> None:
    policy = policy_for(status, body, ctype)
    assert policy.can_fetch("https://x.example/a", UA) is allowed
    assert policy.note == note


def test_outlets_robots_huge_file_is_cut_not_refused() -> None:
    huge = RULES + b"Disallow: /unwichtig-" + b"x" * (5 * 1024 * 1024)
    policy = policy_for(200, huge[:MAX_ROBOTS_BYTES], "text/plain", truncated=True)
    assert policy.note == "truncated"
    assert not policy.can_fetch("https://x.example/archiv/a", UA)
    assert robots_url("https://x.example:8443/a/b?c=1") == "https://x.example:8443/robots.txt"


FEED = b"""<?xml version="1.0"?><rss version="2.0"
 xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>T</title>
<language>de-DE</language><ttl>30</ttl>
<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>
<skipHours><hour>1</hour><hour>2</hour><hour>3</hour></skipHours>
<item><title>a</title><link>https://x.example/a</link></item></channel></rss>"""


def test_outlets_feed_hints_are_floors() -> None:
    parsed = parse_feed(FEED, "https://x.example/feed")
    assert parsed.hints.ttl_s == 1800 and parsed.hints.update_period_s == 900
    assert parsed.hints.floor_s == 1800  # the larger of the two
    assert parsed.hints.skip_hours == {1, 2, 3} and parsed.language == "de"
    absurd = feed_hints(b"", {"ttl": "525600"})
    assert absurd.floor_s == MAX_FLOOR_S
    assert feed_hints(b"", {"ttl": "-5", "sy_updateperiod": "sometimes"}).floor_s == 0


def test_outlets_skip_hours_move_the_next_poll() -> None:
    at = datetime(2024, 5, 29, 1, 30, tzinfo=UTC).timestamp()
    moved = next_allowed(at, frozenset({1, 2, 3}))
    assert datetime.fromtimestamp(moved, tz=UTC) == datetime(2024, 5, 29, 4, 0, tzinfo=UTC)
    assert next_allowed(at, frozenset({5})) == at
    every = b"<skipHours>" + b"".join(b"<hour>%d</hour>" % h for h in range(24)) + b"</skipHours>"
    assert skip_hours_of(every) == frozenset()  # a feed cannot switch itself off
