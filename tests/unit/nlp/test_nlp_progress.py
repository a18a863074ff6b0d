"""Training progress: ETA arithmetic and the quiet one-line-per-evaluation log."""

from __future__ import annotations

import io

import pytest

from newsstream.nlp import progress


def test_progress_eta_from_pace_so_far() -> None:
    assert progress.eta_seconds(100, 600, 50.0) == pytest.approx(250.0)
    assert progress.eta_seconds(0, 600, 5.0) == 0.0
    assert progress.eta_seconds(600, 600, 5.0) == 0.0


def test_progress_plain_log_prints_only_evaluations() -> None:
    stream = io.StringIO()
    log_step, finish = progress._plain(600, stream)
    log_step(None)
    log_step({"step": 200, "score": 0.61})
    log_step(None)
    log_step({"step": 400, "score": 0.59})
    finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("step 200/600  dev F1 0.610 (best 0.610)  ETA ")
    assert "dev F1 0.590 (best 0.610)" in lines[1]
