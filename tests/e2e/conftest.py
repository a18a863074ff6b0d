"""Child processes of an e2e test log to files under the test's tmp_path; when the test fails,
the tail of every file is attached to its report, so a failure's cause is never lost."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e import helpers

TAIL_CHARS = 6000


@pytest.fixture(autouse=True)
def child_logs(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "child-logs"
    helpers.CHILD_LOGS["dir"] = directory
    try:
        yield directory
    finally:
        helpers.CHILD_LOGS.pop("dir", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call" and report.failed:
        tmp = getattr(item, "funcargs", {}).get("tmp_path")
        directory = (tmp / "child-logs") if isinstance(tmp, Path) else None
        if directory is not None and directory.is_dir():
            for log in sorted(directory.glob("*.log")):
                text = log.read_text(errors="replace")
                report.sections.append((f"child log {log.name} ({log})", text[-TAIL_CHARS:]))
    return report
