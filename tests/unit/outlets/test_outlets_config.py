"""The feeds file: every problem with its line, never a stack trace; the defaults are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsstream.errors import FeedsFileError
from newsstream.outlets.config import (
    FeedConfig,
    dump_feeds_yaml,
    host_allowed,
    load_feeds_yaml,
    outlet_for_url,
    parse_duration,
    parse_feeds_yaml,
)
from newsstream.outlets.files import DEFAULT_FEEDS_FILE, configured_feeds, write_feeds_file
from newsstream.settings import Settings

GOOD = """\
version: 1
feeds:
  - url: https://rss.example.de/rss/Topthemen
    outlet: Beispielzeitung
    interval: 5m
    hosts: [www.example.de, "*.cdn.example.de"]
    language: DE
    user_agent: test-agent/1.0
  - url: https://other.example.org/feed
    outlet: Other
    enabled: false
"""


def test_outlets_config_reads_every_key() -> None:
    first, second = load_feeds_yaml(GOOD)
    assert first.interval == 300.0 and first.language == "de"
    assert first.article_hosts() == {"rss.example.de", "www.example.de", "*.cdn.example.de"}
    assert first.user_agent == "test-agent/1.0" and first.enabled
    assert second.enabled is False and second.interval is None


def test_outlets_config_reports_every_problem_with_its_line() -> None:
    text = """\
version: 1
feeds:
  - url: https://a.example/rss
    outlet: A
    intervall: 5
  - url: https://A.example/rss#top
    outlet: B
  - url: ftp://x.example/feed
    outlet: C
  - url: https://d.example/rss
    outlet: D
    hosts: [https://www.d.example/]
  - url: https://e.example/rss
    outlet: E
    interval: 0
colour: blue
"""
    feeds, problems = parse_feeds_yaml(text)
    by_line = {p.line: p.reason for p in problems}
    assert "unknown key 'intervall'" in by_line[5]
    assert "duplicate feed" in by_line[6] and "first on line 3" in by_line[6]
    assert "not an http(s) URL" in by_line[8]
    assert "not a host name" in by_line[12]
    assert "at least 1 second" in by_line[15]
    assert "unknown key 'colour'" in by_line[16]
    assert [f.outlet for f in feeds] == []  # D's and E's values are bad: nothing half-valid


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("feeds:\n  - url: [\n", 3, "not valid YAML"),
        ("feeds: {url: x}\n", 1, "'feeds' must be a list"),
        ("", 1, "empty"),
        ("- just a list\n", 1, "expected a mapping"),
        ("feeds:\n  - https://bare.example/rss\n", 2, "expected a mapping"),
        ("feeds:\n  - url: https://x.example/rss\n", 2, "outlet"),
        (
            "feeds:\n  - url: https://x.example/rss\n    outlet: X\n    enabled: vielleicht\n",
            4,
            "enabled",
        ),
    ],
)
def test_outlets_config_bad_files_are_clear_errors(text: str, line: int, reason: str) -> None:
    with pytest.raises(FeedsFileError) as caught:
        load_feeds_yaml(text, "f.yaml")
    assert caught.value.code == "NS080" and caught.value.exit_code == 2
    assert any(f"line {line}: " in p and reason in p for p in caught.value.problems), (
        caught.value.problems
    )


def test_outlets_config_round_trips_through_the_file_format() -> None:
    feeds = load_feeds_yaml(GOOD)
    assert load_feeds_yaml(dump_feeds_yaml(feeds)) == feeds


def test_outlets_config_default_file_is_valid_and_honest() -> None:
    feeds = load_feeds_yaml(DEFAULT_FEEDS_FILE.read_text(encoding="utf-8"))
    outlets = {f.outlet for f in feeds if f.enabled}
    assert {"BR24", "tagesschau", "ZDFheute", "Deutschlandfunk", "Süddeutsche Zeitung"} <= outlets
    assert any(not f.enabled for f in feeds)  # the unverified ones are kept, not polled
    sz = next(f for f in feeds if f.outlet == "Süddeutsche Zeitung")
    assert host_allowed("www.sueddeutsche.de", sz.article_hosts())  # pages on another host
    br = next(f for f in feeds if f.outlet == "BR24")
    assert "www.br.de" in br.article_hosts()


def test_outlets_config_precedence(tmp_path: Path) -> None:
    base = Settings(_env_file=None, state_dir=tmp_path)  # type: ignore[call-arg]
    assert configured_feeds(base).origin == "newsstream's default feeds"
    write_feeds_file(tmp_path / "feeds.yaml", [FeedConfig(url="https://a.example/r", outlet="A")])
    chosen = configured_feeds(base)
    assert [f.outlet for f in chosen.feeds] == ["A"] and chosen.origin.endswith("feeds.yaml")
    listed = base.model_copy(update={"feeds": ["https://rss.b.example/x"]})
    assert [f.outlet for f in configured_feeds(listed).feeds] == ["b.example"]


def test_outlets_config_small_rules() -> None:
    assert parse_duration("1h") == 3600 and parse_duration(90) == 90
    with pytest.raises(ValueError):
        parse_duration("soon")
    assert outlet_for_url("https://www.tagesschau.de/xml/rss2/") == "tagesschau.de"
    assert host_allowed("img.cdn.example.de", frozenset({"*.cdn.example.de"}))
    assert not host_allowed("evilcdn.example.de", frozenset({"*.cdn.example.de"}))


def test_outlets_config_child_processes_keep_reading_the_feeds_file(tmp_path: Path) -> None:
    """``newsstream run`` children must not get the default list as explicit NEWSSTREAM_FEEDS
    (it would hide the feeds file); an explicit list is passed on."""
    from newsstream.roles import settings_env

    base = Settings(_env_file=None, state_dir=tmp_path)  # type: ignore[call-arg]
    assert "NEWSSTREAM_FEEDS" not in settings_env(base)
    listed = base.model_copy(update={"feeds": ["https://a.example/r", "https://b.example/r"]})
    assert settings_env(listed)["NEWSSTREAM_FEEDS"] == "https://a.example/r,https://b.example/r"


def test_outlets_config_watcher_follows_the_file_and_ignores_a_broken_edit(
    tmp_path: Path,
) -> None:
    import os

    from newsstream.outlets.files import FeedsFileWatcher

    settings = Settings(_env_file=None, state_dir=tmp_path)  # type: ignore[call-arg]
    path = tmp_path / "feeds.yaml"
    write_feeds_file(path, [FeedConfig(url="https://a.example/r", outlet="A")])
    watcher = FeedsFileWatcher(settings)
    assert watcher.changed() is None
    write_feeds_file(path, [FeedConfig(url="https://a.example/r", outlet="A"),
                            FeedConfig(url="https://b.example/r", outlet="B", enabled=False),
                            FeedConfig(url="https://c.example/r", outlet="C")])  # fmt: skip
    os.utime(path, (1e9, 1e9))  # a different mtime, whatever the clock's resolution
    assert [f.outlet for f in watcher.changed() or []] == ["A", "C"]
    assert watcher.changed() is None  # once per change
    path.write_text("feeds:\n  - url: [\n", encoding="utf-8")
    os.utime(path, (2e9, 2e9))
    assert watcher.changed() is None  # invalid: logged, the poller keeps its feeds
