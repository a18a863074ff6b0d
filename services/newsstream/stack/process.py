"""PID-file bookkeeping for the local stack's JVMs.

``stack down`` must stop exactly the processes ``stack up`` started and nothing else: a PID is
only trusted when the process's command line (read with psutil, so this works on macOS as on
Linux) still contains the service's own data directory, so a recycled PID of some unrelated
process is never signalled.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import psutil


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


def _process(pid: int) -> psutil.Process | None:
    try:
        proc = psutil.Process(pid)
        return None if proc.status() == psutil.STATUS_ZOMBIE else proc
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def is_alive(pid: int) -> bool:
    """The process exists and is not a zombie (whatever it is running)."""
    return _process(pid) is not None


def is_our_process(pid: int, marker: str) -> bool:
    """Alive, and its command line carries ``marker`` (so a recycled PID is never ours)."""
    proc = _process(pid)
    if proc is None:
        return False
    try:
        return marker in " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def terminate(pid: int, marker: str, *, timeout_s: float = 30.0) -> bool:
    """SIGTERM, wait up to ``timeout_s``, then SIGKILL. True if the process is gone."""
    if not is_our_process(pid, marker):
        return True
    proc = psutil.Process(pid)
    try:
        proc.terminate()
        proc.wait(timeout=timeout_s)
        return True
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        pass
    try:
        proc.kill()
        proc.wait(timeout=5)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return False
    return True


def kill(pid: int, marker: str) -> bool:
    """SIGKILL at once (fault tests: a crash, not a shutdown). True if it was ours."""
    if not is_our_process(pid, marker):
        return False
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).kill()
    return True


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB, or None if it is gone."""
    proc = _process(pid)
    if proc is None:
        return None
    try:
        return float(proc.memory_info().rss) / (1024 * 1024)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"(no log at {path})"
