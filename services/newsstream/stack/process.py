"""PID-file bookkeeping for the local stack's JVMs.

``stack down`` must stop exactly the processes ``stack up`` started and nothing else: a PID is
only trusted when ``/proc/<pid>/cmdline`` still contains the service's own data directory, so a
recycled PID of some unrelated process is never signalled.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PidFile:
    path: Path
    #: A string that the process's command line must contain (its config/data path).
    marker: str

    def read(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def write(self, pid: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{pid}\n")

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def running_pid(self) -> int | None:
        """The recorded PID if that process is alive and is really ours, else None."""
        pid = self.read()
        if pid is None:
            return None
        return pid if is_our_process(pid, self.marker) else None


def is_alive(pid: int) -> bool:
    """The process exists and is not a zombie (whatever it is running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def is_our_process(pid: int, marker: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
        return False
    return state != "Z" and marker.encode() in cmdline


def terminate(pid: int, marker: str, *, timeout_s: float = 30.0) -> bool:
    """SIGTERM, wait up to ``timeout_s``, then SIGKILL. True if the process is gone."""
    if not is_our_process(pid, marker):
        return True
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_our_process(pid, marker):
            return True
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        if not is_our_process(pid, marker):
            return True
        time.sleep(0.1)
    return False


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (from /proc), or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"(no log at {path})"
