"""docker-compose.yml cannot run here (no Docker engine), so its structure is checked instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsstream.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|ENCRYPTIONKEY", re.IGNORECASE)
VAR = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_compose_binds_every_port_to_loopback(compose: dict[str, Any]) -> None:
    ports = [p for s in compose["services"].values() for p in s.get("ports", [])]
    assert ports, "expected published ports"
    assert all(str(p).startswith("127.0.0.1:") for p in ports), ports


def test_compose_has_no_inline_secret(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in _env(service).items():
            if SECRET_WORDS.search(key):
                assert value.startswith("${"), f"{name}.{key} holds a literal secret"


def test_compose_variables_are_all_in_env_example(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    declared = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}
    used = set(VAR.findall(text))
    assert used, "compose uses no variables?"
    assert used <= declared, f"missing in .env.example: {sorted(used - declared)}"


def test_compose_start_order_is_gated_by_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dep, cond in (service.get("depends_on") or {}).items():
            condition = cond["condition"]
            assert condition in {"service_healthy", "service_completed_successfully"}, (name, dep)
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{dep} gates {name} but has no healthcheck"
    for core in ("kafka", "elasticsearch", "kibana"):
        assert "healthcheck" in services[core]


def test_compose_runs_every_role_from_one_image_with_real_subcommands(
    compose: dict[str, Any],
) -> None:
    parser = build_parser()
    ours = {n: s for n, s in compose["services"].items() if s.get("image") == "newsstream:latest"}
    assert {"setup", "poller", "extractor", "indexer"} <= set(ours)
    assert ours["extractor"]["deploy"]["replicas"] == 2
    for name, service in ours.items():
        command = service["command"]
        args = parser.parse_args(command)  # SystemExit(2) if it is not a real subcommand
        assert callable(args.func), name


def test_compose_security_is_on_with_secrets_from_env(compose: dict[str, Any]) -> None:
    es = _env(compose["services"]["elasticsearch"])
    assert es["xpack.security.enabled"] == "true"
    assert es["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD")
