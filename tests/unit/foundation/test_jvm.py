"""``newsstream.jvm``: a missing Java is a JvmError (NLP side), a StackError for the stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsstream import jvm
from newsstream.errors import JvmError, StackError
from newsstream.settings import Settings
from newsstream.stack import artifacts


def test_jvm_missing_java_home_is_a_jvm_error(tmp_path: Path) -> None:
    settings = Settings(java_home=tmp_path / "no-jdk")
    with pytest.raises(JvmError, match="NEWSSTREAM_JAVA_HOME"):
        jvm.java_bin(settings)
    with pytest.raises(StackError, match="NEWSSTREAM_JAVA_HOME"):
        artifacts.java_bin(settings)


def test_jvm_java_home_given_is_used(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "java").write_text("", encoding="utf-8")
    assert jvm.java_bin(Settings(java_home=tmp_path)) == str(tmp_path / "bin" / "java")
