"""The README cannot drift: its commands parse, its settings table is the settings object, and
every error code is unique and listed in its troubleshooting table."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import shlex
from pathlib import Path

import pytest

import newsstream
from newsstream import errors
from newsstream.cli import build_parser
from newsstream.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)


def _readme_commands() -> list[str]:
    """Every ``newsstream ...`` line in the README's code blocks (comments stripped)."""
    commands = []
    for block in _code_blocks(README):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            while words and ENV_ASSIGNMENT.match(words[0]):
                words = words[1:]
            if (words and words[0].endswith("bin/newsstream")) or words[:1] == ["newsstream"]:
                commands.append(shlex.join(words[1:]))
    return commands


def _section(title: str) -> str:
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", README, re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Options of ``parser`` and of every nested subcommand (``model train --out``)."""
    found = {o for action in parser._actions for o in action.option_strings}
    for sub in _subparsers(parser).values():
        found |= _option_strings(sub)
    return found


def test_readme_has_commands_to_check() -> None:
    assert len(_readme_commands()) >= 6


@pytest.mark.parametrize("command", _readme_commands())
def test_every_readme_command_parses(command: str) -> None:
    try:
        build_parser().parse_args(shlex.split(command))
    except SystemExit as exc:
        if exc.code != 0:  # --help/--version exit 0
            pytest.fail(f"README command does not parse: newsstream {command}")


def test_commands_table_names_real_subcommands_and_options() -> None:
    subcommands = _subparsers(build_parser())
    rows = re.findall(r"^\| `newsstream ([a-z-]+)([^`]*)` \|", _section("Commands"), re.M)
    assert len(rows) >= 10
    for name, rest in rows:
        assert name in subcommands, f"README lists `newsstream {name}`, which does not exist"
        options = _option_strings(subcommands[name])
        for option in re.findall(r"--[a-z][a-z-]*", rest):
            assert option in options, f"`newsstream {name}` has no option {option}"
    listed = {name for name, _ in rows}
    assert set(subcommands) <= listed, f"not in the commands table: {set(subcommands) - listed}"


def test_settings_table_is_the_settings_object() -> None:
    documented = set(re.findall(r"`(NEWSSTREAM_[A-Z0-9_]+)`", _section("Settings")))
    fields = {f"NEWSSTREAM_{name.upper()}" for name in Settings.model_fields}
    assert documented - fields == set(), f"README documents unknown settings: {documented - fields}"
    assert fields - documented == set(), f"settings missing from README: {fields - documented}"


def _all_error_classes() -> list[type[errors.NewsstreamError]]:
    for module in pkgutil.walk_packages(newsstream.__path__, "newsstream."):
        if not module.name.endswith("__main__"):  # it runs the CLI when imported
            importlib.import_module(module.name)
    found: list[type[errors.NewsstreamError]] = []
    todo: list[type[errors.NewsstreamError]] = [errors.NewsstreamError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_class_lives_in_errors_py_with_a_unique_code() -> None:
    classes = _all_error_classes()
    outside = [c.__qualname__ for c in classes if c.__module__ != "newsstream.errors"]
    assert not outside, f"error classes outside errors.py: {outside}"
    own_codes = [c.__dict__["code"] for c in classes if "code" in c.__dict__]
    duplicates = {code for code in own_codes if own_codes.count(code) > 1}
    assert not duplicates, f"codes used twice: {duplicates}"


def test_every_error_code_is_in_the_troubleshooting_table() -> None:
    table = _section("Troubleshooting")
    listed = set(re.findall(r"^\| `?(NS\d{3})`? \|", table, re.M))
    codes = {c.code for c in _all_error_classes()}
    assert codes - listed == set(), (
        f"codes missing from the troubleshooting table: {codes - listed}"
    )
    assert listed - codes == set(), f"the table lists codes that do not exist: {listed - codes}"
