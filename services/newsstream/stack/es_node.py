"""The local Elasticsearch node: one real ES 8 node on 127.0.0.1, security off (loopback only).

Elasticsearch refuses to run as root. CI and fresh machines here run as root, so the node is
started inside a user namespace (``unshare --user``) where it runs as an ordinary uid while
the kernel still lets it use root's files outside; as a normal user it is started directly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from newsstream.errors import StackError
from newsstream.settings import Settings
from newsstream.stack.artifacts import StackPaths, java_home
from newsstream.stack.process import PidFile
from newsstream.stack.topology import EsNode, Topology


def config_dir(node: EsNode) -> Path:
    return node.state_dir / "config"


def pid_file(node: EsNode) -> PidFile:
    return PidFile(node.state_dir / "es.pid", marker=f"-Dnewsstream.conf={config_dir(node)}")


def log_path(node: EsNode) -> Path:
    return node.state_dir / "logs" / "newsstream.log"  # named after the cluster


def elasticsearch_yml(settings: Settings, topology: Topology, node: EsNode) -> str:
    root = node.state_dir
    nodes = topology.es_node_list(settings)
    if len(nodes) == 1:
        discovery = ["discovery.type: single-node"]
    else:
        seeds = ", ".join(f"127.0.0.1:{n.transport_port}" for n in nodes)
        masters = ", ".join(n.node_name for n in nodes if n.master)
        roles = "[master, data, ingest]" if node.master else "[data, ingest]"
        discovery = [
            f"discovery.seed_hosts: [{seeds}]",
            f"cluster.initial_master_nodes: [{masters}]",
            f"node.roles: {roles}",
        ]
    return "\n".join(
        [
            "cluster.name: newsstream",
            f"node.name: {node.node_name}",
            "network.host: 127.0.0.1",
            f"http.port: {node.http_port}",
            f"transport.port: {node.transport_port}",
            *discovery,
            # Local, loopback-only developer node; the Docker route runs with security on.
            "xpack.security.enabled: false",
            # Never turn indices read-only because a developer's disk is nearly full.
            "cluster.routing.allocation.disk.threshold_enabled: false",
            "action.destructive_requires_name: false",
            f"path.data: {root / 'data'}",
            f"path.logs: {root / 'logs'}",
            "",
        ]
    )


def prepare(settings: Settings, topology: Topology, node: EsNode, paths: StackPaths) -> Path:
    conf = config_dir(node)
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "jvm.options.d").mkdir(exist_ok=True)
    for name in ("jvm.options", "log4j2.properties"):
        shutil.copyfile(paths.es_home / "config" / name, conf / name)
    (conf / "elasticsearch.yml").write_text(elasticsearch_yml(settings, topology, node))
    heap = settings.es_heap_mb if not topology.cluster else min(settings.es_heap_mb, 768)
    # The marker property lets `stack down` recognise this very process by its command line.
    (conf / "jvm.options.d" / "newsstream.options").write_text(
        f"-Xms{heap}m\n-Xmx{heap}m\n-Dnewsstream.conf={conf}\n"
    )
    for sub in ("data", "logs", "tmp"):
        (node.state_dir / sub).mkdir(parents=True, exist_ok=True)
    return conf


def _launch_prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if not unshare:
        raise StackError("running as root needs `unshare` (util-linux) to start Elasticsearch")
    return [unshare, "--user", "--map-user=1000", "--map-group=1000", "--"]


def start(
    settings: Settings, topology: Topology, node: EsNode, paths: StackPaths, *, timeout_s: float
) -> int:
    """Start the node as a daemon; returns once ES says it started (or raises with the log)."""
    conf = prepare(settings, topology, node, paths)
    root = node.state_dir
    pids = pid_file(node)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(root),
        "ES_JAVA_HOME": str(java_home(settings)),
        "ES_PATH_CONF": str(conf),
        "ES_TMPDIR": str(root / "tmp"),
        "LANG": "C.UTF-8",
    }
    cmd = [
        *_launch_prefix(),
        str(paths.es_home / "bin" / "elasticsearch"),
        "-d",
        "-p",
        str(pids.path),
    ]
    with open(root / "logs" / "stdout.log", "ab") as out:
        try:
            done = subprocess.run(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=root,
                timeout=timeout_s,
                check=False,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"Elasticsearch did not start within {timeout_s:.0f}s") from exc
    pid = pids.read()
    if done.returncode != 0 or pid is None:
        raise StackError(f"Elasticsearch failed to start (exit {done.returncode})")
    return pid


def request(port: int, path: str, timeout: float = 3.0) -> dict[str, Any] | None:
    """GET a JSON endpoint of a local node; None when it does not answer."""
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data: dict[str, Any] = json.loads(resp.read())
            return data
    except (urllib.error.URLError, OSError, ValueError):
        return None


def healthy(node: EsNode) -> bool:
    """The node answers and the cluster it is in is at least yellow (every primary there)."""
    health = request(node.http_port, "/_cluster/health?wait_for_status=yellow&timeout=2s", 5)
    return health is not None and health.get("status") in {"green", "yellow"}


def cluster_health(node: EsNode) -> dict[str, Any] | None:
    return request(node.http_port, "/_cluster/health", 3)
