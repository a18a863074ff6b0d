"""Every error class lives in ``newsstream.errors`` and has its own code."""

from __future__ import annotations

import inspect

from newsstream import errors


def test_error_codes_are_unique() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.NewsstreamError)
    ]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), sorted(codes)
    assert {"NS012", "NS025", "NS031", "NS050", "NS051"} <= set(codes)
