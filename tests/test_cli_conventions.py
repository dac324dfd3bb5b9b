"""The CLI conventions of CONTRIBUTING.md ("CLI conventions"), checked over every command: one meaning
per option name, and every flag an error message or help text suggests exists."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any, get_type_hints

import pytest
import typer.main

import gpla
from gpla.cli import app

# `--json PATH` was documented for alpha and cfa before `--json` meant "print JSON on stdout"; it stays
# there as the older spelling of `--json-out` (CONTRIBUTING, "CLI conventions").
JSON_PATH_EXCEPTIONS = {"alpha", "cfa"}
RANDOM_COMMANDS = {"pca", "alpha", "efa", "compare-systems", "evaluate-calibrate", "evaluate-validate",
                   "lexicon build", "lexicon corpus", "bench safety"}  # fmt: skip


def _commands() -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(command: Any, name: str) -> None:
        if hasattr(command, "commands"):
            for sub_name, sub in command.commands.items():
                walk(sub, f"{name} {sub_name}".strip())
        else:
            found[name] = command

    walk(typer.main.get_command(app), "")
    return found


COMMANDS = _commands()


def _options(command: Any) -> dict[str, Any]:
    return {opt: param for param in command.params for opt in param.opts if opt.startswith("--")}


def _is_path(command: Any, param: Any) -> bool:
    return "Path" in str(get_type_hints(command.callback)[param.name])


def test_every_flag_named_in_the_source_exists() -> None:
    """Error hints and help texts name CLI flags; each must be an option of some command."""
    known = {"--help"} | {opt for command in COMMANDS.values() for opt in _options(command)}
    unknown = []
    for path in sorted(Path(gpla.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", node.value):
                    if flag not in known and not flag.startswith("--s"):  # "--s": a matplotlib line style
                        unknown.append(f"{path.name}:{node.lineno} {flag}")
    assert not unknown, unknown


def test_no_error_hint_names_only_a_python_keyword() -> None:
    """A hint such as "pass missing='listwise'" also names the flag: "(--missing listwise)"."""
    bare = []
    for path in sorted(Path(gpla.__file__).parent.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in re.finditer(r"(?:pass|[Uu]se|policy:) (\w+)='(\w+)'", line):
                rest = line[match.end():] + " " + _next_line(path, number)
                if not re.search(rf"\(--[a-z-]+ {match.group(2)}\)", rest):
                    bare.append(f"{path.name}:{number} {match.group(0)}")
    assert not bare, bare


def _next_line(path: Path, number: int) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[number] if number < len(lines) else ""


@pytest.mark.parametrize("name", sorted(RANDOM_COMMANDS))
def test_random_commands_take_seed(name: str) -> None:
    assert "--seed" in _options(COMMANDS[name])


def test_a_command_that_seeds_anything_takes_seed() -> None:
    seeded = {name for name, command in COMMANDS.items() if "random_state" in inspect.getsource(command.callback)}
    assert seeded <= {name for name, command in COMMANDS.items() if "--seed" in _options(command)}
    assert seeded <= RANDOM_COMMANDS


def test_option_names_keep_one_meaning() -> None:
    for name, command in COMMANDS.items():
        options = _options(command)
        for param in command.params:
            primary = param.opts[0]
            if primary in ("--values", "--factors"):  # a list or a number, never a file
                assert not _is_path(command, param), f"{name} {primary}"
            if primary == "--model":  # a model spec; a lavaan file is --syntax
                assert not _is_path(command, param), name
            if "--syntax" in param.opts:
                assert primary == "--syntax", name
        if "--json" in options and name not in JSON_PATH_EXCEPTIONS:
            assert options["--json"].is_flag, f"{name}: --json prints JSON on stdout"
        if "--json-out" in options:
            assert _is_path(command, options["--json-out"]), name
        assert not {o for o in options if o.startswith("--missing") or o.startswith("--na")} - {"--missing"}, name
    for name in JSON_PATH_EXCEPTIONS:
        assert _options(COMMANDS[name])["--json"] is _options(COMMANDS[name])["--json-out"]


def test_analysis_commands_share_data_and_columns() -> None:
    for name in ("pca", "efa", "compare-systems"):
        assert {"--data", "--columns"} <= set(_options(COMMANDS[name])), name
    for name in ("alpha", "cfa", "omega", "invariance"):
        assert {"--data", "--syntax"} <= set(_options(COMMANDS[name])), name
