"""``gpla models check`` on the embedded model and on a spec that cannot load."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gpla.cli import app

pytestmark = pytest.mark.llm


def test_models_check_reports_each_step_and_route() -> None:
    result = CliRunner().invoke(app, ["models", "check", "llamacpp:default"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for step in ("load", "generate", "json", "label_probs"):
        assert step in result.output
    assert "grammar" in result.output and "next-token logits" in result.output
    assert " no " not in result.output  # every step worked


def test_models_check_names_a_bad_spec() -> None:
    from gpla.errors import ConfigError

    result = CliRunner().invoke(app, ["models", "check", "nope:x"])
    assert isinstance(result.exception, ConfigError) and "nope:x" in str(result.exception)
