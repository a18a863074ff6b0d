"""``newsstream feeds ...`` through the real CLI entry point: exit codes and what it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsstream import settings as settings_module
from newsstream.cli import main
from newsstream.outlets.files import read_feeds_file
from newsstream.poller.feeds import FeedSchedule
from newsstream.poller.state import PollerState
from newsstream.settings import Settings

OPML = b"""<?xml version="1.0"?><opml version="1.0"><body>
<outline text="Eins" xmlUrl="https://eins.example/rss"/>
<outline text="Zwei" xmlUrl="https://zwei.example/atom"/></body></opml>"""


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    s = Settings(_env_file=None, state_dir=tmp_path, log_format="console")  # type: ignore[call-arg]
    monkeypatch.setattr(settings_module, "get_settings", lambda: s)
    return s


def test_outlets_cli_add_remove_import(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://rss.example.de/top"
    assert main(["feeds", "add", url, "--outlet", "Beispiel", "--host", "www.example.de",
                 "--interval", "10m"]) == 0  # fmt: skip
    feeds = read_feeds_file(tmp_path / "feeds.yaml")
    added = next(f for f in feeds if f.url == url)
    assert added.interval == 600 and "www.example.de" in added.hosts
    assert any(f.outlet == "BR24" for f in feeds)  # started from the default feeds
    assert main(["feeds", "add", url, "--outlet", "Nochmal"]) == 2  # duplicate
    assert main(["feeds", "add", "ftp://x", "--outlet", "X"]) == 2
    (tmp_path / "abos.opml").write_bytes(OPML)
    assert main(["feeds", "import-opml", str(tmp_path / "abos.opml")]) == 0
    assert main(["feeds", "import-opml", str(tmp_path / "abos.opml")]) == 0  # idempotent
    (tmp_path / "kaputt.opml").write_bytes(b"<opml><body><outline")
    assert main(["feeds", "import-opml", str(tmp_path / "kaputt.opml")]) == 2
    assert main(["feeds", "remove", url]) == 0
    assert main(["feeds", "remove", url]) == 2
    urls = [f.url for f in read_feeds_file(tmp_path / "feeds.yaml")]
    assert urls.count("https://eins.example/rss") == 1 and url not in urls
    out = capsys.readouterr()
    assert "already in" in out.err and "not well-formed XML" in out.err


def test_outlets_cli_validate_names_lines_and_exits_2(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("feeds:\n  - url: https://a.example/r\n    outlet: A\n    intervall: 5\n")
    assert main(["feeds", "validate", str(bad)]) == 2
    assert f"{bad}:4: unknown key 'intervall'" in capsys.readouterr().err
    assert main(["feeds", "validate"]) == 0  # no file of one's own: the defaults are checked


def test_outlets_cli_list_shows_the_pollers_view(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://www.tagesschau.de/xml/rss2/"
    state = PollerState(settings.state_dir)
    state.save_feed(url, FeedSchedule(interval_s=300, next_due=2e9, failures=2))
    state.record_outcome(url, error=None)
    state.record_outcome(url, error="http_503: HTTP 503 for ...")
    state.close()
    assert main(["feeds", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    row = next(r for r in listed["feeds"] if r["url"] == url)
    assert row["outlet"] == "tagesschau" and row["failures"] == 2
    assert row["last_success"] is not None and row["last_error"].startswith("http_503")
    assert row["next_poll"] == 2e9 and row["interval_s"] == 300
    assert main(["feeds", "list"]) == 0 and "19 feeds" in capsys.readouterr().out
