"""`gpla efa` and `gpla omega` end to end on psych::bfi, checked against R (`$GPLA_SHARED/data/psych/`:
bfi_fa_minres_oblimin_*, bfi_five_factor_omega.json, bfi_psych_omega.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpla.cli import app
from gpla.errors import ConfigError, DataError
from gpla.shared import shared_path

runner = CliRunner()
ITEMS = ",".join(f"{trait}{i}" for trait in "ACENO" for i in range(1, 6))
REVERSE = "A1,C4,C5,E1,E2,O2,O5"  # recoded 7 − x in the omega references


def _psych(name: str) -> Path:
    return shared_path("data", "psych", name)


def test_efa_writes_psych_equal_tables(tmp_path: Path) -> None:
    args = ["efa", "--data", str(_psych("bfi.csv")), "--columns", ITEMS, "--missing", "listwise",
            "--factors", "5", "--out", str(tmp_path)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "5 factors (fixed), minres + oblimin; 2436 rows" in result.output
    loadings = pd.read_csv(tmp_path / "loadings.csv", index_col=0)
    reference = pd.read_csv(_psych("bfi_fa_minres_oblimin_loadings.csv"), index_col=0)
    assert list(loadings.columns) == list(reference.columns)
    assert (loadings - reference).abs().to_numpy().max() < 1e-10
    phi = pd.read_csv(tmp_path / "phi.csv", index_col=0)
    assert (phi - pd.read_csv(_psych("bfi_fa_minres_oblimin_phi.csv"), index_col=0)).abs().to_numpy().max() < 1e-12
    r_stats = json.loads(_psych("bfi_fa_minres_oblimin_stats.json").read_text())
    h2 = pd.read_csv(tmp_path / "communalities.csv", index_col=0)["h2"]
    assert (h2 - pd.Series(r_stats["communalities"])[h2.index]).abs().max() < 1e-12
    fit = json.loads((tmp_path / "fit.json").read_text())
    assert fit["RMSEA"] == pytest.approx(r_stats["RMSEA"], abs=1e-12)
    assert fit["TLI"] == pytest.approx(r_stats["TLI"], abs=1e-12)


def test_efa_json_is_the_only_stdout(tmp_path: Path) -> None:
    args = ["efa", "--data", str(_psych("bfi.csv")), "--columns", ITEMS, "--missing", "listwise",
            "--factors", "5", "--method", "ml", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    r_stats = json.loads(_psych("bfi_fa_ml_oblimin_stats.json").read_text())
    assert report["objective"] == pytest.approx(r_stats["objective"], abs=1e-12)
    assert list(report["phi"]) == ["ML2", "ML5", "ML3", "ML1", "ML4"]  # psych's order
    assert report["loadings"]["N1"]["ML2"] == pytest.approx(0.8650162304, abs=1e-10)


def test_omega_matches_semtools_and_psych(tmp_path: Path) -> None:
    out = tmp_path / "omega.json"
    args = ["omega", "--data", str(_psych("bfi.csv")), "--syntax", str(_psych("bfi_five_factor.lavaan")),
            "--reverse", REVERSE, "--missing", "listwise", "--hierarchical", "5", "--json-out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "omega_h 0.470, omega_total 0.879" in result.output
    report = json.loads(out.read_text())
    for factor, value in json.loads(_psych("bfi_five_factor_omega.json").read_text()).items():
        assert report[factor]["omega"] == pytest.approx(value, abs=5e-6)
    psych_omega = json.loads(_psych("bfi_psych_omega.json").read_text())
    assert report["hierarchical"]["omega_h"] == pytest.approx(psych_omega["omega_h"], abs=1e-10)
    assert report["hierarchical"]["omega_total"] == pytest.approx(psych_omega["omega_total"], abs=1e-10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["efa", "--factors", "many"], "--factors must be a number"),
        (["efa", "--rotation", "quartimax"], "--rotation must be one of"),
        (["omega", "--syntax", "MODEL", "--hierarchical", "2"], "at least 3 group factors"),
        (["omega", "--syntax", "MODEL", "--reverse", "X9"], "--reverse: X9"),
    ],
)
def test_bad_options_are_config_errors(args: list[str], message: str) -> None:
    args = [str(_psych("bfi_five_factor.lavaan")) if a == "MODEL" else a for a in args]
    result = runner.invoke(app, [*args, "--data", str(_psych("bfi.csv")), "--missing", "listwise"])
    assert isinstance(result.exception, ConfigError), result.output
    assert message in str(result.exception)


def test_efa_heywood_case_is_a_data_error(tmp_path: Path) -> None:
    # one factor, three items: loading(x1)² = r12·r13/r23 = 0.49/0.3 > 1 (a Heywood case)
    corr = np.array([[1, 0.7, 0.7], [0.7, 1, 0.3], [0.7, 0.3, 1]])
    sample = np.random.default_rng(0).multivariate_normal(np.zeros(3), corr, size=500)
    pd.DataFrame(sample, columns=["x1", "x2", "x3"]).to_csv(tmp_path / "X.csv", index=False)
    result = runner.invoke(app, ["efa", "--data", str(tmp_path / "X.csv"), "--factors", "1"])
    assert isinstance(result.exception, DataError) and "Heywood case" in str(result.exception)
    kept = runner.invoke(app, ["efa", "--data", str(tmp_path / "X.csv"), "--factors", "1", "--heywood", "warn"])
    assert kept.exit_code == 0 and "warning: Heywood case" in kept.output
