"""Measurement invariance against lavaan 0.6.14 on psych::bfi across gender, and one test per error case.

Reference: $GPLA_SHARED/data/psych/bfi_gender_invariance.json — ``lavaan::cfa(model, group="gender",
group.equal=...)`` at four levels, ``fitMeasures`` and ``lavTestLRT`` (README in the same folder).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpla.analysis.cfa import ModelFitError
from gpla.analysis.data import read_csv_data
from gpla.analysis.invariance import MeasurementInvariance
from gpla.cli import app
from gpla.errors import ConfigError, DataError
from gpla.shared import shared_path

MODEL = "bfi_five_factor.lavaan"


def _reference() -> dict:
    return json.loads(shared_path("data", "psych", "bfi_gender_invariance.json").read_text())


@pytest.fixture(scope="module")
def bfi_invariance() -> MeasurementInvariance:
    # education and age (with NaNs) stay in the frame: columns the model does not name are ignored.
    data = read_csv_data(shared_path("data", "psych", "bfi.csv"))
    syntax = shared_path("data", "psych", MODEL).read_text()
    return MeasurementInvariance(syntax, "gender", missing="listwise").fit(data)


def _assert_indices_equal(ours: dict, reference: dict) -> None:
    for level in ("configural", "metric", "scalar", "strict"):
        for name, expected in reference[level].items():
            got = ours[level][name]
            if name == "pvalue":
                assert got == pytest.approx(expected, abs=1e-12)
            elif (
                name == "srmr"
            ):  # first-order in the estimates: lavaan's own convergence shows at 1e-6
                assert got == pytest.approx(expected, rel=1e-5), (level, name)
            else:  # measured: 3e-10 (both optimisers at the optimum)
                assert got == pytest.approx(expected, rel=1e-8), (level, name)


def test_every_level_equals_lavaan(bfi_invariance: MeasurementInvariance) -> None:
    assert bfi_invariance.groups_ == ["1", "2"]  # lavaan's order of first appearance
    assert sum(bfi_invariance.n_per_group_.values()) == 2436
    assert bfi_invariance.warnings_ == []
    _assert_indices_equal(bfi_invariance.fits_, _reference())


def test_lrt_equals_lavTestLRT(bfi_invariance: MeasurementInvariance) -> None:
    reference = _reference()["lrt"]
    ours = bfi_invariance.lrt_
    assert [r["model"] for r in ours] == ["configural", "metric", "scalar", "strict"]
    assert "chisq_diff" not in ours[0]
    for mine, theirs in zip(ours[1:], reference[1:], strict=True):
        assert mine["chisq_diff"] == pytest.approx(theirs["chisq_diff"], rel=1e-7)  # measured 2e-8
        assert mine["df_diff"] == theirs["df_diff"]
        assert mine["p"] == pytest.approx(theirs["p"], rel=1e-6)  # measured 2.4e-7
    fits = _reference()
    assert ours[2]["delta_cfi"] == pytest.approx(
        fits["scalar"]["cfi"] - fits["metric"]["cfi"], abs=1e-8
    )
    assert ours[3]["delta_rmsea"] == pytest.approx(
        fits["strict"]["rmsea"] - fits["scalar"]["rmsea"], abs=1e-8
    )


def test_equality_constraints_hold(bfi_invariance: MeasurementInvariance) -> None:
    strict = bfi_invariance.models_["strict"]
    men, women = strict.matrices(0), strict.matrices(1)
    np.testing.assert_array_equal(men.lam, women.lam)
    np.testing.assert_array_equal(men.nu, women.nu)
    np.testing.assert_array_equal(np.diag(men.theta), np.diag(women.theta))
    assert not np.allclose(men.psi, women.psi)  # factor (co)variances stay free
    assert np.all(men.alpha == 0) and np.any(women.alpha != 0)  # latent means free in group 2 only
    configural = bfi_invariance.models_["configural"]
    assert np.all(configural.matrices(1).alpha == 0)


def _one_factor(n: int, loadings: list[float], seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lam = np.array(loadings)
    data = rng.standard_normal((n, 1)) @ lam[None, :] + rng.standard_normal((n, len(lam))) * np.sqrt(
        1 - lam**2
    ) + shift  # fmt: skip
    return pd.DataFrame(data, columns=[f"x{i + 1}" for i in range(len(lam))])


def _two_groups(n: int = 300, k: int = 4) -> pd.DataFrame:
    a, b = _one_factor(n, [0.7] * k, 1), _one_factor(n, [0.7] * k, 2, shift=0.3)
    return pd.concat([a.assign(family="a"), b.assign(family="b")], ignore_index=True)


def test_small_model_is_nested_and_recovers_equal_groups() -> None:
    fit = MeasurementInvariance("F =~ x1 + x2 + x3 + x4", "family").fit(_two_groups())
    df = [fit.fits_[level]["df"] for level in ("configural", "metric", "scalar", "strict")]
    assert df == [4, 7, 10, 14]  # 2·(10+4) moments − npar: 24, 21, 18, 14 parameters
    chisq = [fit.fits_[level]["chisq"] for level in ("configural", "metric", "scalar", "strict")]
    assert chisq == sorted(chisq)  # each level only adds constraints
    assert all(r["p"] > 0.001 for r in fit.lrt_[1:])  # the groups share one population model
    assert fit.models_["scalar"].matrices(1).alpha[0] == pytest.approx(0.3 / 0.7, abs=0.15)


def test_group_errors() -> None:
    data = _two_groups()
    with pytest.raises(DataError, match="no group column 'cohort'"):
        MeasurementInvariance("F =~ x1 + x2 + x3", "cohort").fit(data)
    with pytest.raises(DataError, match="1 group"):
        MeasurementInvariance("F =~ x1 + x2 + x3", "family").fit(data.assign(family="a"))
    small = pd.concat([data.iloc[:300], data.iloc[300:304]])
    with pytest.raises(DataError, match=r"family=b has 4 rows for 4 observed variables"):
        MeasurementInvariance("F =~ x1 + x2 + x3 + x4", "family").fit(small)
    holes = data.copy()
    holes.loc[3, "x2"] = np.nan
    with pytest.raises(DataError, match="missing values"):
        MeasurementInvariance("F =~ x1 + x2 + x3", "family").fit(holes)
    kept = MeasurementInvariance(
        "F =~ x1 + x2 + x3", "family", ["configural"], missing="listwise"
    ).fit(holes)
    assert kept.n_dropped_ == 1 and list(kept.fits_) == ["configural"]
    with pytest.raises(ConfigError, match="nesting order"):
        MeasurementInvariance("F =~ x1 + x2 + x3", "family", ["scalar", "metric"]).fit(data)
    with pytest.raises(ConfigError, match="supported"):
        MeasurementInvariance("F =~ x1 + x2 + x3\nx1 ~ x4", "family").fit(data)


def test_model_errors() -> None:
    data = _two_groups()
    with pytest.raises(
        ModelFitError, match="not identified"
    ):  # no scale: loading freed, variance free
        MeasurementInvariance("F =~ NA*x1 + x2 + x3 + x4", "family").fit(data)
    with pytest.raises(ModelFitError, match="did not converge"):
        MeasurementInvariance("F =~ x1 + x2 + x3 + x4", "family", max_iter=1).fit(data)
    # r12 = r13 = .8, r23 = .5 imply a loading of x1 above 1 (1.28 of its variance): a Heywood case.
    cov = np.array([[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]])
    rng = np.random.default_rng(0)
    rows = pd.DataFrame(
        rng.multivariate_normal(np.zeros(3), cov, size=1000), columns=["x1", "x2", "x3"]
    )
    rows["family"] = ["a", "b"] * 500
    with pytest.raises(
        ModelFitError, match="Heywood case in group a: negative residual variance of x1"
    ):
        MeasurementInvariance("F =~ x2 + x1 + x3", "family", ["configural"]).fit(rows)
    kept = MeasurementInvariance("F =~ x2 + x1 + x3", "family", ["configural"], heywood="warn").fit(
        rows
    )
    assert any("Heywood" in w for w in kept.warnings_)


def test_an_improper_level_kept_with_warn_does_not_break_the_next() -> None:
    # 5 rows in group b: its configural fit has a negative residual variance; kept (heywood="warn"),
    # those estimates are no valid start for metric, which must start afresh, not fail.
    rng = np.random.default_rng(0)
    f = rng.standard_normal(200)
    data = pd.DataFrame({f"x{i}": 0.7 * f + rng.standard_normal(200) * 0.7 for i in range(1, 5)})
    data["family"] = ["a"] * 195 + ["b"] * 5
    fit = MeasurementInvariance("F =~ x1 + x2 + x3 + x4", "family", heywood="warn").fit(data)
    assert list(fit.fits_) == ["configural", "metric", "scalar", "strict"]
    assert fit.warnings_[0].startswith("configural: Heywood case in group b")
    with pytest.raises(DataError, match="group column 'x1' is a variable of the model"):
        MeasurementInvariance("F =~ x1 + x2 + x3 + x4", "x1").fit(data)


runner = CliRunner()


def test_cli_writes_lavaan_numbers(tmp_path: Path) -> None:
    out = tmp_path / "inv.json"
    args = [
        "invariance", "--data", str(shared_path("data", "psych", "bfi.csv")),
        "--syntax", str(shared_path("data", "psych", MODEL)), "--group", "gender",
        "--missing", "listwise", "--json-out", str(out),
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "strict" in result.output and "ΔCFI" in result.output
    ours = json.loads(out.read_text())
    _assert_indices_equal(ours, _reference())
    assert [r["df_diff"] for r in ours["lrt"][1:]] == [20, 20, 25]
    assert ours["groups"] == {"1": 805, "2": 1631}


def test_cli_error_exits_2(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    _two_groups().to_csv(data, index=False)
    model = tmp_path / "m.lavaan"
    model.write_text("F =~ x1 + x2 + x3\n")
    args = ["invariance", "--data", str(data), "--syntax", str(model), "--group", "cohort"]
    proc = subprocess.run([sys.executable, "-m", "gpla", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no group column 'cohort'" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_json_is_the_only_stdout(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    _two_groups().to_csv(data, index=False)
    model = tmp_path / "m.lavaan"
    model.write_text("F =~ x1 + x2 + x3 + x4\n")
    args = ["invariance", "--data", str(data), "--syntax", str(model), "--group", "family", "--json"]
    proc = subprocess.run([sys.executable, "-m", "gpla", *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [r["df_diff"] for r in report["lrt"][1:]] == [3, 3, 4] and report["warnings"] == []
    # just identified (df = 0): TLI and the p-value are undefined, written as null (NaN is not JSON)
    model.write_text("F =~ x1 + x2 + x3\n")
    proc = subprocess.run([sys.executable, "-m", "gpla", *args, "--levels", "configural"],
                          capture_output=True, text=True)  # fmt: skip
    configural = json.loads(proc.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))["configural"]
    assert configural["df"] == 0 and configural["tli"] is None and configural["pvalue"] is None
