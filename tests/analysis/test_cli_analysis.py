"""`gpla pca` and `gpla alpha` end to end on real data, checked against R (`$GPLA_SHARED/data/psych/`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from five_factor_sim import published_loadings, simulate
from typer.testing import CliRunner

from gpla.analysis.congruence import match_factors
from gpla.cli import app
from gpla.errors import ConfigError, DataError
from gpla.shared import shared_path

runner = CliRunner()
ITEMS = ",".join(f"{trait}{i}" for trait in "ACENO" for i in range(1, 6))
REVERSE = "A1,C4,C5,E1,E2,O2,O5"  # the "-" items of bfi_alpha.csv


@pytest.fixture(scope="module")
def bfi_csv() -> Path:
    return shared_path("data", "psych", "bfi.csv")


def _bfi_pca(bfi_csv: Path, out: Path, *extra: str) -> str:
    """`gpla pca` on the 25 bfi items, complete cases, 5 factors; returns what it printed."""
    args = ["pca", "--data", str(bfi_csv), "--columns", ITEMS, "--missing", "listwise"]
    result = runner.invoke(app, [*args, "--factors", "5", "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_pca_writes_r_equal_loadings(bfi_csv: Path, tmp_path: Path) -> None:
    output = _bfi_pca(bfi_csv, tmp_path, "--rotation", "varimax")
    assert "5 factors (fixed); 2436 rows" in output
    loadings = pd.read_csv(tmp_path / "loadings.csv", index_col=0)
    reference = pd.read_csv(
        shared_path("data", "psych", "bfi_principal_varimax_loadings.csv"), index_col=0
    )
    aligned = match_factors(loadings, reference).aligned
    assert (aligned - reference.loc[aligned.index]).abs().to_numpy().max() < 1e-3
    eigen = pd.read_csv(tmp_path / "eigenvalues.csv")
    r_eigen = pd.read_csv(shared_path("data", "psych", "bfi_eigenvalues.csv"))
    assert (eigen["eigenvalue"] - r_eigen["eigenvalue"]).abs().max() < 1e-10
    assert (tmp_path / "scree.png").stat().st_size > 1000
    assert not (tmp_path / "pruned.csv").exists()


def test_pca_auto_on_simulated_five_factor_data(tmp_path: Path) -> None:
    simulate(n=693, seed=0).to_csv(tmp_path / "X.csv", index=False)
    result = runner.invoke(
        app,
        [
            "pca",
            "--data",
            str(tmp_path / "X.csv"),
            "--factors",
            "auto",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "5 factors (parallel analysis)" in result.output
    loadings = pd.read_csv(tmp_path / "out" / "loadings.csv", index_col=0)
    assert loadings.shape == (92, 5)
    assert (match_factors(loadings, published_loadings()).pairs["congruence"] >= 0.95).all()
    eigen = pd.read_csv(tmp_path / "out" / "eigenvalues.csv")
    assert list(eigen.columns) == ["component", "eigenvalue", "random_threshold"]


def test_pca_prune_writes_what_it_removed(bfi_csv: Path, tmp_path: Path) -> None:
    _bfi_pca(bfi_csv, tmp_path, "--prune", "--cross-margin", "0.2")
    pruned = pd.read_csv(tmp_path / "pruned.csv")
    assert list(pruned.columns) == ["variable", "step", "reason"]
    assert pruned["variable"].iloc[0] == "A5"
    loadings = pd.read_csv(tmp_path / "loadings.csv", index_col=0)
    assert set(loadings.index) == set(ITEMS.split(",")) - set(pruned["variable"])


def test_alpha_json_equals_psych(bfi_csv: Path, tmp_path: Path) -> None:
    model = shared_path("data", "psych", "bfi_five_factor.lavaan")
    out = tmp_path / "alpha.json"
    result = runner.invoke(
        app,
        [
            "alpha",
            "--data",
            str(bfi_csv),
            "--model",
            str(model),
            "--json",
            str(out),
            "--reverse",
            REVERSE,
            "--missing",
            "listwise",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Feldt" in result.output
    report = json.loads(out.read_text())
    reference = pd.read_csv(shared_path("data", "psych", "bfi_alpha.csv")).set_index("scale")
    assert set(report) == set(reference.index)
    for scale, row in report.items():
        assert {"alpha", "ci_low", "ci_high", "n_items"} <= set(row)
        assert row["alpha"] == pytest.approx(reference.loc[scale, "raw_alpha"], abs=1e-4)
        assert row["std_alpha"] == pytest.approx(reference.loc[scale, "std_alpha"], abs=1e-4)
        assert row["n_items"] == 5 and row["n_obs"] == 2436 and row["ci_method"] == "feldt"
        assert row["ci_low"] < row["alpha"] < row["ci_high"]


def test_alpha_bootstrap_ci(bfi_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "n.lavaan"
    model.write_text("N =~ N1 + N2 + N3 + N4 + N5\n")
    out = tmp_path / "alpha.json"
    args = [
        "alpha",
        "--data",
        str(bfi_csv),
        "--model",
        str(model),
        "--json",
        str(out),
        "--ci",
        "bootstrap",
        "--n-boot",
        "200",
        "--missing",
        "listwise",
    ]
    assert runner.invoke(app, args).exit_code == 0
    first = json.loads(out.read_text())["N"]
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads(out.read_text())["N"] == first  # seeded
    assert first["ci_method"] == "bootstrap"


@pytest.mark.parametrize(
    ("extra", "error", "message"),
    [
        ([], DataError, "missing values"),
        (["--reverse", "Q7"], ConfigError, "Q7"),
        (["--ci", "wald"], ConfigError, "--ci"),
    ],
)
def test_alpha_errors(bfi_csv: Path, extra: list[str], error: type, message: str) -> None:
    model = shared_path("data", "psych", "bfi_five_factor.lavaan")
    result = runner.invoke(app, ["alpha", "--data", str(bfi_csv), "--model", str(model), *extra])
    assert isinstance(result.exception, error)
    assert message in str(result.exception)


def test_alpha_model_naming_absent_columns(bfi_csv: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.lavaan"
    model.write_text("X =~ A1 + Z1 + Z2\n")
    result = runner.invoke(app, ["alpha", "--data", str(bfi_csv), "--model", str(model)])
    assert isinstance(result.exception, DataError)
    assert "Z1, Z2" in str(result.exception)


def test_cli_prints_error_without_traceback(bfi_csv: Path, tmp_path: Path) -> None:
    # bfi.csv has missing values: the default policy refuses them and says what each policy would do
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpla",
            "pca",
            "--data",
            str(bfi_csv),
            "--columns",
            ITEMS,
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "error:" in proc.stderr and "listwise" in proc.stderr and "2436 of 2800" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_pca_bad_options(bfi_csv: Path, tmp_path: Path) -> None:
    for extra, message in (
        (["--factors", "five"], "--factors"),
        (["--rotation", "oblimin"], "--rotation"),
        (["--columns", "A1,NOPE"], "NOPE"),
    ):
        result = runner.invoke(app, ["pca", "--data", str(bfi_csv), "--out", str(tmp_path), *extra])
        assert isinstance(result.exception, (ConfigError, DataError)), result.output
        assert message in str(result.exception)
    result = runner.invoke(
        app, ["pca", "--data", str(tmp_path / "none.csv"), "--out", str(tmp_path)]
    )
    assert isinstance(result.exception, DataError) and "file not found" in str(result.exception)
