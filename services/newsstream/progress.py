"""Progress for long work: a bar (done of total, rate, ETA) or a spinner, only for a person.

Both draw on stderr with rich when stderr is a terminal and do nothing otherwise, so logs,
CI output and ``--json`` stdout stay clean. Long steps: jar and dictionary downloads, model
training, ``stack up`` waiting for health, ``reprocess``/``reindex``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


def interactive() -> bool:
    """A person watches stderr (a terminal), so drawing progress helps rather than pollutes."""
    return sys.stderr.isatty()


class Bar(Protocol):
    def update(self, done: float, total: float | None = None, note: str = "") -> None: ...


class _NoBar:
    def update(self, done: float, total: float | None = None, note: str = "") -> None:
        return None


class _RichBar:
    def __init__(self, progress: Any, task: Any) -> None:
        self._progress = progress
        self._task = task

    def update(self, done: float, total: float | None = None, note: str = "") -> None:
        fields: dict[str, Any] = {"completed": done, "note": note}
        if total is not None:
            fields["total"] = total
        self._progress.update(self._task, **fields)


@contextmanager
def bar(description: str, total: float | None = None, unit: str = "") -> Iterator[Bar]:
    """A progress bar with rate and time remaining; ``update(done, total)`` moves it."""
    if not interactive():
        yield _NoBar()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        _rate_column(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(description, total=total, note="")
        yield _RichBar(progress, task)


def _rate_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Items per second, or a dash until rich has measured a speed."""

        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("–/s" if speed is None else f"{speed:,.1f}/s")

    return RateColumn()


@contextmanager
def spinner(description: str) -> Iterator[None]:
    """A spinner with elapsed time for a step whose size is unknown (a Maven download)."""
    if not interactive():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"{description} …"):
        yield
