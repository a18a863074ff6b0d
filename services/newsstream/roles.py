"""The roles ``newsstream run`` supervises: how each is started, where it logs, how its
progress and latest problem are read.

Each role is a ``python -m newsstream ...`` child with exactly the supervisor's settings
(``settings_env``), its own JSON-lines log file, and a ``/metrics`` endpoint the status table
reads.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from newsstream.settings import Settings

log = logging.getLogger("newsstream.supervisor")


@dataclass(frozen=True)
class Stage:
    """How to read a role's progress from its Prometheus metrics."""

    processed: tuple[tuple[str, dict[str, str]], ...]
    errors: tuple[str, ...]


STAGES: dict[str, Stage] = {
    "poller": Stage(
        processed=(
            ("newsstream_poller_articles_total", {"outcome": "new"}),
            ("newsstream_poller_articles_total", {"outcome": "updated"}),
        ),
        errors=("newsstream_poller_errors_total",),
    ),
    "extractor": Stage(
        processed=(("newsstream_extractor_articles_total", {}),),
        errors=("newsstream_extractor_dead_letters_total",),
    ),
    "indexer": Stage(
        processed=(("newsstream_indexer_messages_total", {}),),
        errors=("newsstream_indexer_dead_letters_total", "newsstream_indexer_retries_total"),
    ),
    "alerter": Stage(
        processed=(("newsstream_alerter_articles_total", {}),),
        errors=("newsstream_alerter_dead_letters_total", "newsstream_alerter_watch_errors_total"),
    ),
}


@dataclass
class Role:
    name: str
    stage: str
    argv: list[str]
    metrics_port: int
    env: dict[str, str]
    #: The role's own log file (stdout and stderr, JSON lines); the table says where.
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    #: Exits of the watchdog (a stalled, unassigned or spinning consumer), all restarted.
    stalls: int = 0
    #: Exits in a row that came soon after a start (a role that cannot start).
    failed_starts: int = 0
    stopping: bool = False
    next_start: float = 0.0
    started_at: float = 0.0
    exit_code: int | None = None
    history: list[tuple[float, float]] = field(default_factory=list)
    #: Last figures read from the role's /metrics (kept when it has stopped answering).
    figures: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        cmd = [sys.executable, "-m", "newsstream", *self.argv]
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("ab") as out:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                out.write(f"--- {stamp} newsstream {' '.join(self.argv)}\n".encode())
                self.proc = subprocess.Popen(
                    cmd, env=self.env, start_new_session=True, stdout=out, stderr=out
                )
        else:
            self.proc = subprocess.Popen(cmd, env=self.env, start_new_session=True)
        self.exit_code = None
        self.started_at = time.monotonic()
        log.info("role started", extra={"role": self.name, "pid": self.proc.pid})

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        self.stopping = True
        if self.running and self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)

    def last_error(self) -> str:
        """The role's latest warning or error, from the end of its log ("" if none)."""
        return last_problem(self.log_path) if self.log_path is not None else ""


#: How much of a role's log is read to find its latest problem.
_TAIL_BYTES = 64 * 1024
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b.*")


def last_problem(path: Path) -> str:
    """The newest problem line of a JSON-lines log: a warning/error, our one-line error, or the
    last line of a traceback. Plain text, at most 200 characters."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - _TAIL_BYTES))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        text = line.strip()
        if text.startswith("newsstream: ") or _EXCEPTION_LINE.match(text):
            return text.removeprefix("newsstream: ")[:200]
        if text.startswith("{"):
            try:
                record = json.loads(text)
            except ValueError:
                continue
            if record.get("level") in ("WARNING", "ERROR", "CRITICAL"):
                detail = record.get("error") or record.get("kind") or record.get("reason") or ""
                message = str(record.get("message", ""))
                return (f"{message}: {detail}" if detail else message)[:200]
    return ""


def settings_env(settings: Settings, **overrides: object) -> dict[str, str]:
    """Environment that makes a child process read exactly ``settings`` (plus overrides)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSTREAM_")}
    values = settings.model_dump()
    if "feeds" not in settings.model_fields_set:
        # the default list must not reach the child as an explicit NEWSSTREAM_FEEDS: that
        # would hide the feeds file (newsstream.outlets.files: the list wins over the file)
        values.pop("feeds")
    values.update(overrides)
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, list | tuple | set | frozenset):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, Path):
            value = str(value)
        env[f"NEWSSTREAM_{name.upper()}"] = str(value)
    for secret in ("es_password", "es_api_key", "es_admin_password", "kibana_system_password"):
        raw = getattr(settings, secret)
        if raw is not None:
            env[f"NEWSSTREAM_{secret.upper()}"] = raw.get_secret_value()
    return env


def plan_roles(settings: Settings, *, until_idle: bool, extractors: int) -> list[Role]:
    poll_args = ["poll", "--once"] if until_idle else ["poll"]
    roles = [Role("poller", "poller", poll_args, settings.metrics_port_poller, {})]
    for i in range(extractors):
        port = settings.metrics_port_extractor + 10 * i if settings.metrics_port_extractor else 0
        roles.append(Role(f"extractor-{i + 1}", "extractor", ["extract"], port, {}))
    roles.append(Role("indexer", "indexer", ["index"], settings.metrics_port_indexer, {}))
    roles.append(Role("alerter", "alerter", ["alert"], settings.metrics_port_alerter, {}))
    for role in roles:
        port_setting = f"metrics_port_{role.stage}"
        # Children write JSON lines to their own files: readable with jq, parseable for the table.
        role.env = settings_env(settings, log_format="json", **{port_setting: role.metrics_port})
        role.log_path = run_logs_dir(settings) / f"{role.name}.log"
    return roles


def run_logs_dir(settings: Settings) -> Path:
    """Where ``newsstream run`` keeps one log file per role."""
    return settings.state_dir / "logs" / "run"


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples of a role's /metrics endpoint by sample name ({} when it does not answer)."""
    from prometheus_client.parser import text_string_to_metric_families

    if port <= 0:
        return {}
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=1) as resp:
            text = resp.read().decode("utf-8")
    except OSError:
        return {}
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples


def _total(
    samples: dict[str, list[tuple[dict[str, str], float]]],
    name: str,
    labels: dict[str, str] | None = None,
) -> float:
    return sum(
        value
        for got, value in samples.get(name, [])
        if all(got.get(k) == v for k, v in (labels or {}).items())
    )


def role_figures(role: Role) -> tuple[float, float]:
    """(processed, errors) from the role's /metrics; the last known ones if it is silent."""
    samples = scrape(role.metrics_port)
    if samples:
        stage = STAGES[role.stage]
        processed = sum(_total(samples, name, labels) for name, labels in stage.processed)
        errors = sum(_total(samples, name) for name in stage.errors)
        role.figures = (processed, errors)
    return role.figures
