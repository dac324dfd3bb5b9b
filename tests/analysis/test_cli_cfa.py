"""`gpla cfa` and `gpla compare-systems` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_compare import five_factor_data
from typer.testing import CliRunner

from gpla.analysis.cfa import ModelFitError
from gpla.cli import app
from gpla.errors import DataError
from gpla.shared import shared_path

runner = CliRunner()


def test_cfa_json_equals_lavaan(tmp_path: Path) -> None:
    out, loadings = tmp_path / "fit.json", tmp_path / "loadings.csv"
    args = [
        "cfa", "--data", str(shared_path("data", "psych", "bfi.csv")),
        "--model", str(shared_path("data", "psych", "bfi_five_factor.lavaan")),
        "--missing", "listwise", "--json", str(out), "--loadings", str(loadings),
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "364 incomplete row(s) dropped" in result.output
    ours = json.loads(out.read_text())
    # lavaan 0.6.14 fitMeasures(), $GPLA_SHARED/data/psych/bfi_five_factor_lavaan_fit.json
    reference = json.loads(shared_path("data", "psych", "bfi_five_factor_lavaan_fit.json").read_text())
    for name, expected in reference.items():
        assert ours[name] == pytest.approx(expected, rel=1e-6, abs=1e-12), name
    assert len(pd.read_csv(loadings)) == 25


def test_cfa_errors(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    five_factor_data(100, per_factor=3).to_csv(data, index=False)
    model = tmp_path / "m.lavaan"
    model.write_text("F =~ Equity + Empathy + Kindness\n")
    result = runner.invoke(app, ["cfa", "--data", str(data), "--model", str(model)])
    assert isinstance(result.exception, DataError) and "Kindness" in str(result.exception)
    model.write_text("F =~ Equity + Empathy\n")
    result = runner.invoke(app, ["cfa", "--data", str(data), "--model", str(model)])
    assert isinstance(result.exception, ModelFitError)


def test_cli_prints_the_error_without_traceback(tmp_path: Path) -> None:
    model = tmp_path / "m.lavaan"
    model.write_text("A =~ A1 + A2 + A3\n")
    args = ["cfa", "--data", str(shared_path("data", "psych", "bfi.csv")), "--model", str(model)]
    proc = subprocess.run([sys.executable, "-m", "gpla", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "missing values in column(s) A1 (16)" in proc.stderr and "Traceback" not in proc.stderr


def test_compare_systems_writes_the_table(tmp_path: Path) -> None:
    data = tmp_path / "X.csv"
    five_factor_data(300).to_csv(data)  # unnamed first column = row names
    out = tmp_path / "cmp"
    args = ["compare-systems", "--data", str(data), "--systems", "ours,schwartz-l,five-factor", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "table.csv", index_col=0)
    assert list(table.index) == ["Ours", "Schwartz (L)", "GPLA five-factor"]
    assert table.loc["Ours", "CFI"] > table.loc["Schwartz (L)", "CFI"]
    assert "Ours" in result.output and (out / "fit_indices.json").is_file()
