"""docker-compose.yml, loaded the way `docker compose` loads it.

No Docker engine runs here, so the file is loaded with compose-go - the library Docker Compose
itself uses - through a 30-line Go program (``tests/compose``): interpolation from
``.env.example``, schema validation and normalisation happen exactly as for a user, and the
checks below read the normalised project. A few checks need the raw text (what a default in
``${VAR:-...}`` would hide once interpolated).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsstream.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]
GO_SRC = ROOT / "tests" / "compose"
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|ENCRYPTIONKEY", re.IGNORECASE)
VAR = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)")
OUR_IMAGE = "newsstream:"

#: Where each stateful service keeps its data (must be a named volume), per profile.
DATA_PATHS = {
    "kafka": "/var/lib/kafka/data",
    "elasticsearch": "/usr/share/elasticsearch/data",
    "kibana": "/usr/share/kibana/data",
    "poller": "/var/lib/newsstream",
}
CLUSTER_DATA_PATHS = {
    **{f"kafka-{i}": "/var/lib/kafka/data" for i in (1, 2, 3)},
    **{f"es-{i}": "/usr/share/elasticsearch/data" for i in (1, 2)},
    "kibana": "/usr/share/kibana/data",
    "poller": "/var/lib/newsstream",
}

pytestmark = pytest.mark.slow


def _composecheck() -> Path:
    """Build the Go loader once per source version (cached under ~/.cache/newsstream)."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("the Go toolchain is needed to load docker-compose.yml with compose-go")
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update((GO_SRC / name).read_bytes())
    cache = Path(os.environ.get("NEWSSTREAM_CACHE_DIR", Path.home() / ".cache" / "newsstream"))
    binary = cache / "tools" / f"composecheck-{digest.hexdigest()[:12]}"
    if not binary.exists():
        binary.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [go, "build", "-mod=readonly", "-o", str(binary), "."],
            cwd=GO_SRC,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"building composecheck failed:\n{done.stderr[-3000:]}"
    return binary


def _load(env_file: Path, *profiles: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(_composecheck()), str(ROOT / "docker-compose.yml"), str(env_file), *profiles],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"compose-go refused docker-compose.yml:\n{done.stderr}"
    data: dict[str, Any] = json.loads(done.stdout)
    return data


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    """The normalised compose project, with .env.example as the user's .env (profile single)."""
    return _load(ROOT / ".env.example")


@pytest.fixture(scope="module")
def cluster_project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The project as a user runs the cluster: .env.example with its cluster lines switched on."""
    text = (ROOT / ".env.example").read_text()
    switched = []
    for line in text.splitlines():
        if line.startswith("COMPOSE_PROFILES="):
            line = "COMPOSE_PROFILES=cluster"
        elif line.startswith("# NEWSSTREAM_DOCKER_"):
            line = line[2:]
        elif line.startswith(("NEWSSTREAM_DOCKER_KAFKA=", "NEWSSTREAM_DOCKER_ES=")):
            continue
        switched.append(line)
    env = tmp_path_factory.mktemp("compose") / "cluster.env"
    env.write_text("\n".join(switched) + "\n")
    return _load(env)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _services(project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = project["services"]
    return services


def test_compose_images_are_pinned_to_exact_versions(project: dict[str, Any]) -> None:
    for name, service in _services(project).items():
        image = service["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest" and re.search(r"\d+\.\d+\.\d+", tag), f"{name}: {image} not pinned"
    dockerfile = (ROOT / "services" / "Dockerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert base and re.search(r":\d+\.\d+\.\d+", base.group(1)), "Dockerfile base not pinned"


def test_compose_binds_every_port_to_loopback(project: dict[str, Any]) -> None:
    ports = [(n, p) for n, s in _services(project).items() for p in s.get("ports") or []]
    assert ports, "expected published ports"
    for name, port in ports:
        assert port.get("host_ip") == "127.0.0.1", (name, port)


def _volumes_hold(project: dict[str, Any], paths: dict[str, str]) -> None:
    services = _services(project)
    for name, path in paths.items():
        mounts = {m["target"]: m for m in services[name].get("volumes") or []}
        assert path in mounts, f"{name}: {path} is not mounted (data lost on `down`)"
        assert mounts[path]["type"] == "volume", (name, mounts[path])
        assert mounts[path]["source"] in project["volumes"], (name, mounts[path])


def test_compose_keeps_every_stateful_path_on_a_named_volume(project: dict[str, Any]) -> None:
    _volumes_hold(project, DATA_PATHS)
    services = _services(project)
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_LOG_DIRS"] == DATA_PATHS["kafka"], "Kafka writes outside its volume"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", kafka["CLUSTER_ID"]), "a fixed cluster id"
    assert services["poller"]["environment"]["NEWSSTREAM_STATE_DIR"] == DATA_PATHS["poller"]


def test_compose_cluster_profile_runs_three_kafka_and_two_elasticsearch_nodes(
    cluster_project: dict[str, Any],
) -> None:
    services = _services(cluster_project)
    assert {"kafka-1", "kafka-2", "kafka-3", "es-1", "es-2"} <= set(services)
    assert not {"kafka", "elasticsearch"} & set(services), "single-node services left running"
    _volumes_hold(cluster_project, CLUSTER_DATA_PATHS)
    voters = {
        services[f"kafka-{i}"]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"] for i in (1, 2, 3)
    }
    assert voters == {"1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"}
    ids = {services[f"kafka-{i}"]["environment"]["KAFKA_NODE_ID"] for i in (1, 2, 3)}
    assert ids == {"1", "2", "3"}
    for i in (1, 2, 3):
        env = services[f"kafka-{i}"]["environment"]
        assert (
            env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
            and env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        )
        assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    roles = {n: services[n]["environment"]["node.roles"] for n in ("es-1", "es-2")}
    assert roles == {"es-1": "master,data,ingest", "es-2": "data,ingest"}
    ours = services["indexer"]["environment"]
    assert ours["NEWSSTREAM_KAFKA_BOOTSTRAP"].count(",") == 2, "every broker named"
    assert ours["NEWSSTREAM_ES_URL"] == "https://es-1:9200,https://es-2:9200"
    ports = [p for s in services.values() for p in s.get("ports") or []]
    assert all(p.get("host_ip") == "127.0.0.1" for p in ports)


def test_compose_has_no_secret_with_a_default_value() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for match in re.finditer(r"(?<!\$)\$\{([A-Z0-9_]+)(:?[-?])?", text):
        name, operator = match.group(1), match.group(2) or ""
        if SECRET_WORDS.search(name):
            assert operator.endswith("?"), f"secret {name} must be required, not defaulted"


def test_compose_variables_are_all_in_env_example() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    declared = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}
    used = set(VAR.findall(text))
    assert used, "compose uses no variables?"
    assert used <= declared, f"missing in .env.example: {sorted(used - declared)}"


def test_compose_literal_values_hold_no_secret(raw: dict[str, Any]) -> None:
    for name, service in raw["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_WORDS.search(str(key)) and "USERNAME" not in str(key):
                assert str(value).startswith("${"), f"{name}.{key} holds a literal secret"


def test_compose_start_order_is_gated_by_health(project: dict[str, Any]) -> None:
    services = _services(project)
    for name, service in services.items():
        for dep, cond in (service.get("depends_on") or {}).items():
            if dep not in services and cond.get("required") is False:
                continue  # a service of the other profile
            condition = cond["condition"]
            assert condition in {"service_healthy", "service_completed_successfully"}, (name, dep)
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{dep} gates {name} but has no healthcheck"
    for core in ("kafka", "elasticsearch", "kibana", "certs"):
        assert "healthcheck" in services[core]


def test_compose_runs_every_role_from_one_image_with_real_subcommands(
    project: dict[str, Any],
) -> None:
    parser = build_parser()
    ours = {n: s for n, s in _services(project).items() if s["image"].startswith(OUR_IMAGE)}
    assert {"setup", "poller", "extractor", "indexer", "kibana-password"} <= set(ours)
    assert ours["extractor"]["deploy"]["replicas"] == 2
    for name, service in ours.items():
        args = parser.parse_args(service["command"])  # SystemExit(2) if not a real subcommand
        assert callable(args.func), name


def test_compose_elasticsearch_speaks_tls_and_services_trust_its_ca(
    project: dict[str, Any],
) -> None:
    services = _services(project)
    es = services["elasticsearch"]["environment"]
    assert es["xpack.security.enabled"] == "true"
    assert es["xpack.security.http.ssl.enabled"] == "true"
    assert services["kibana"]["environment"]["ELASTICSEARCH_HOSTS"].startswith("https://")
    for name, service in services.items():
        if service["image"].startswith(OUR_IMAGE):
            env = service["environment"]
            assert env["NEWSSTREAM_ES_URL"].startswith("https://"), name
            assert env["NEWSSTREAM_ES_CA_CERTS"] == "/certs/ca/ca.crt", name


def test_compose_services_never_run_as_the_superuser(project: dict[str, Any]) -> None:
    for name, service in _services(project).items():
        if not service["image"].startswith(OUR_IMAGE):
            continue
        env = service["environment"]
        assert env["NEWSSTREAM_ES_USERNAME"] not in ("elastic", ""), name
        has_admin = "NEWSSTREAM_ES_ADMIN_PASSWORD" in env
        assert has_admin == (name in {"setup", "kibana-password"}), f"{name} sees the superuser"


def test_compose_feed_list_left_empty_means_the_default_feeds() -> None:
    from newsstream.settings import DEFAULT_FEEDS, Settings

    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert example["NEWSSTREAM_FEEDS"] == ""
    settings = Settings(_env_file=None, feeds=example["NEWSSTREAM_FEEDS"])  # type: ignore[call-arg]
    assert settings.feeds == list(DEFAULT_FEEDS)
