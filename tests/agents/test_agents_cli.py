"""The agent commands reject bad input with one clear message before loading a model. Their happy
path on the real model is in test_agents_llamacpp.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpla.cli import app
from gpla.errors import ConfigError, DataError


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["parse"], "give exactly one of --text or --file"),
        (["parse", "--text", "x", "--file", "y.txt"], "give exactly one of --text or --file"),
        (["parse", "--file", "no/such/file.txt"], "cannot read no/such/file.txt"),
        (["evaluate", "--perception", "I help others."], "give the values to judge with --values"),
        (["generate-values"], "give perceptions with --perception TEXT or --file PATH"),
    ],
)
def test_agent_commands_raise_data_error(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, DataError)
    assert message in str(result.exception)


def test_unknown_style_is_refused_before_a_model_loads() -> None:
    # A spec that cannot load: the style error must come first.
    args = ["generate-values", "--perception", "x", "--style", "magic", "--model", "nonsense"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError)
    assert "style must be auto, fewshot or kaleido, got 'magic'" in str(result.exception)


def test_cli_prints_the_error_without_traceback() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "gpla", "evaluate", "--perception", "x"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert run.returncode == 2
    assert "give the values to judge with --values" in run.stderr and "Traceback" not in run.stderr
