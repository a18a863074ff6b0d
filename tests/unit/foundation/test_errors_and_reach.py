"""A stopped service is one clear line, not a traceback: reachability probes and the CLI's errors.

The probes run against ports nothing listens on (no services needed); the CLI is run as a user
runs it, in a subprocess, and timed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsstream.errors import (
    ElasticsearchUnavailableError,
    KafkaUnavailableError,
    NewsstreamError,
)
from newsstream.obs import ConsoleFormatter, resolve_log_format
from newsstream.reach import require_elasticsearch, require_kafka
from newsstream.settings import Settings


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_require_kafka_names_the_address_and_the_fix_within_a_second() -> None:
    port = _closed_port()
    began = time.monotonic()
    with pytest.raises(KafkaUnavailableError) as caught:
        require_kafka(_settings(kafka_bootstrap=f"127.0.0.1:{port}"))
    assert time.monotonic() - began < 1.0
    line = caught.value.for_humans()
    assert line.startswith("[NS012]")
    assert f"127.0.0.1:{port}" in line
    assert "newsstream stack up" in line and "NEWSSTREAM_KAFKA_BOOTSTRAP" in line


def test_require_kafka_accepts_any_listening_bootstrap_server(listening_port: int) -> None:
    closed = _closed_port()
    require_kafka(_settings(kafka_bootstrap=f"127.0.0.1:{closed},127.0.0.1:{listening_port}"))


def test_require_kafka_fix_for_a_remote_broker_does_not_suggest_the_local_stack() -> None:
    with pytest.raises(KafkaUnavailableError) as caught:
        require_kafka(_settings(kafka_bootstrap="kafka.invalid:9092"), timeout_s=1.0)
    assert "stack up" not in caught.value.fix
    assert "NEWSSTREAM_KAFKA_BOOTSTRAP" in caught.value.fix


def test_require_elasticsearch_names_the_url_and_the_fix() -> None:
    port = _closed_port()
    with pytest.raises(ElasticsearchUnavailableError) as caught:
        require_elasticsearch(_settings(es_url=f"http://127.0.0.1:{port}"))
    line = caught.value.for_humans()
    assert line.startswith("[NS013]") and f"http://127.0.0.1:{port}" in line
    assert "Connection refused" in line and "NEWSSTREAM_ES_URL" in line


def test_error_json_has_code_message_and_fix() -> None:
    err = NewsstreamError("boom", fix="do this")
    assert err.to_json() == {"code": "NS000", "message": "boom", "fix": "do this"}
    assert err.for_humans() == "[NS000] boom - do this"


def test_console_log_lines_keep_their_fields() -> None:
    record = logging.LogRecord("newsstream.poller", logging.WARNING, "f", 1, "feed poll failed",
                               None, None)  # fmt: skip
    record.feed = "https://example.org/rss"
    record.kind = "timeout"
    line = ConsoleFormatter().format(record)
    assert "feed poll failed" in line
    assert "feed=https://example.org/rss" in line and "kind=timeout" in line


def test_log_format_auto_is_console_on_a_terminal_and_json_otherwise() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    class Pipe:
        def isatty(self) -> bool:
            return False

    assert resolve_log_format("auto", Tty()) == "console"
    assert resolve_log_format("auto", Pipe()) == "json"
    assert resolve_log_format("json", Tty()) == "json"


# --- the CLI as a user runs it ------------------------------------------------------------


def _cli(*args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSTREAM_")}
    environ.update(env)
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "newsstream", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parent,  # no .env here
        check=False,
    )
    return done, time.monotonic() - began


def _down_env(tmp_path: Path) -> dict[str, str]:
    return {
        "NEWSSTREAM_KAFKA_BOOTSTRAP": f"127.0.0.1:{_closed_port()}",
        "NEWSSTREAM_ES_URL": f"http://127.0.0.1:{_closed_port()}",
        "NEWSSTREAM_STATE_DIR": str(tmp_path / "state"),
        "NEWSSTREAM_METRICS_ENABLED": "false",
    }


@pytest.mark.parametrize(
    "args",
    [("poll", "--once"), ("search", "x"), ("run", "--until-idle", "--no-status"), ("reprocess",)],
)
def test_cli_with_services_down_says_one_line_and_exits_1_fast(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    done, seconds = _cli(*args, **_down_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert seconds < 15
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 3, done.stderr
    assert "Traceback" not in done.stderr
    assert "[NS012]" in done.stderr or "[NS013]" in done.stderr
    assert "127.0.0.1:" in done.stderr and "newsstream stack up" in done.stderr


def test_cli_json_command_prints_the_error_as_json_on_stdout(tmp_path: Path) -> None:
    done, _ = _cli("search", "x", "--json", **_down_env(tmp_path))
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "NS013"
    assert "NEWSSTREAM_ES_URL" in error["fix"]


def test_cli_empty_feed_setting_polls_the_default_feeds() -> None:
    done, _ = _cli(
        "poll", "--help", NEWSSTREAM_FEEDS="", NEWSSTREAM_ALLOWED_HOSTS=""
    )  # settings load: an empty value must not be an error either
    assert done.returncode == 0
    settings = Settings(_env_file=None, feeds="")  # type: ignore[call-arg]
    assert settings.feeds and all(f.startswith("https://") for f in settings.feeds)
