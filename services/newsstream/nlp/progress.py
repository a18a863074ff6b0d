"""Training progress: a rich progress bar on a terminal, one line per evaluation otherwise.

Registered as the spaCy logger ``newsstream.ProgressLogger.v1`` (``[training.logger]`` in
``configs/ner.cfg``). spaCy calls ``log_step`` once per update, with the evaluation scores at
every ``eval_frequency`` step and ``None`` in between. A log file (CI, ``make test``) gets only
the evaluation lines: step, dev F1 and the estimated time left.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Any

from spacy import registry

LogStep = Callable[[dict[str, Any] | None], None]
Finalize = Callable[[], None]


def eta_seconds(step: int, total: int, elapsed: float) -> float:
    """Time left if the remaining steps go at the pace so far (pure)."""
    if step <= 0 or total <= step:
        return 0.0
    return elapsed / step * (total - step)


def _eval_line(step: int, total: int, f1: float, best: float, eta: float) -> str:
    return f"step {step}/{total}  dev F1 {f1:.3f} (best {best:.3f})  ETA {eta / 60:.1f} min"


def _plain(total: int, stream: IO[str]) -> tuple[LogStep, Finalize]:
    started = time.perf_counter()
    best = 0.0

    def log_step(info: dict[str, Any] | None) -> None:
        nonlocal best
        if info is None:
            return
        f1 = float(info.get("score") or 0.0)
        best = max(best, f1)
        eta = eta_seconds(int(info["step"]), total, time.perf_counter() - started)
        print(_eval_line(int(info["step"]), total, f1, best, eta), file=stream, flush=True)

    return log_step, lambda: None


def _rich(total: int, stream: IO[str]) -> tuple[LogStep, Finalize]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("training"),
        BarColumn(),
        TextColumn("step {task.completed}/{task.total}"),
        TextColumn("dev F1 {task.fields[f1]}"),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=False,
    )
    task = progress.add_task("train", total=total, f1="-")
    progress.start()
    best = 0.0
    calls = 0

    def log_step(info: dict[str, Any] | None) -> None:
        nonlocal best, calls
        # spaCy calls once for step 0 too: the n-th call is step n - 1.
        calls += 1
        progress.update(task, completed=min(calls - 1, total))
        if info is not None:
            f1 = float(info.get("score") or 0.0)
            best = max(best, f1)
            progress.update(task, f1=f"{f1:.3f} (best {best:.3f})")

    return log_step, progress.stop


@registry.loggers("newsstream.ProgressLogger.v1")
def progress_logger(total: int = 0) -> Callable[..., tuple[LogStep, Finalize]]:
    """spaCy logger factory; ``total`` is the step count (``training.max_steps``)."""

    def setup(nlp: Any, stdout: IO[str] = sys.stdout, stderr: IO[str] = sys.stderr) -> Any:
        stream = sys.stderr
        return _rich(total, stream) if stream.isatty() else _plain(total, stream)

    return setup
