"""Modification indices against lavaan 0.6.14 on psych::bfi, and their behaviour where R has no reference.

Reference: $GPLA_SHARED/data/psych/bfi_five_factor_modindices_top20.csv — ``lavaan::modindices(fit,
sort.=TRUE)``, first 20 rows, the five-factor CFA on the 2,436 complete cases with A1, C4, C5, E1, E2, O2,
O5 recoded as 7 − x (README in the same folder).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpla.analysis.cfa_spec import parse_cfa
from gpla.analysis.data import read_csv_data
from gpla.analysis.modindices import ModificationIndices
from gpla.analysis.multigroup_cfa import fit_model, group_stats
from gpla.analysis.multigroup_ml import MultiGroupModel
from gpla.cli import app
from gpla.errors import DataError
from gpla.shared import shared_path

REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


@pytest.fixture(scope="module")
def recoded() -> pd.DataFrame:
    bfi = read_csv_data(shared_path("data", "psych", "bfi.csv"))
    items = bfi[[f"{t}{i}" for t in "ACENO" for i in range(1, 6)]].dropna()
    items[REVERSED] = 7 - items[REVERSED]
    return items


def _reference() -> pd.DataFrame:
    return pd.read_csv(shared_path("data", "psych", "bfi_five_factor_modindices_top20.csv"))


def _assert_equal_to_lavaan(ours: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert (
        ours[["lhs", "op", "rhs"]].values.tolist()
        == reference[["lhs", "op", "rhs"]].values.tolist()
    )
    # lavaan stops at a gradient of ~1e-5; the indices feel that at ~2e-5 relative.
    np.testing.assert_allclose(ours["mi"], reference["mi"], rtol=1e-4)
    np.testing.assert_allclose(ours["epc"], reference["epc"], rtol=1e-4)
    np.testing.assert_allclose(ours["sepc_all"], reference["sepc.all"], rtol=1e-4)


def test_top20_equal_lavaan(recoded: pd.DataFrame) -> None:
    model = shared_path("data", "psych", "bfi_five_factor.lavaan").read_text()
    mi = ModificationIndices(model).fit(recoded)
    _assert_equal_to_lavaan(mi.top(20), _reference())
    # 100 cross-loadings + 300 residual covariances; the 5 markers have no index (freeing one leaves
    # its factor without a scale), as in lavaan.
    assert len(mi.table_) == 400
    assert not ((mi.table_["op"] == "=~") & mi.table_["rhs"].isin(["A1", "C1", "E1", "N1", "O1"])
                & (mi.table_["lhs"] == mi.table_["rhs"].str[0])).any()  # fmt: skip


def _two_factors(n: int, r: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n)
    lam = np.kron(np.eye(2), np.full((1, 3), 0.7))  # 2 factors × 6 indicators
    x = f @ lam + rng.standard_normal((n, 6)) * np.sqrt(1 - 0.49)
    return pd.DataFrame(x, columns=[f"x{i + 1}" for i in range(6)])


def test_score_test_approximates_the_likelihood_ratio() -> None:
    """Where R gave no reference: a fixed factor covariance's MI is the score test of freeing it, close
    to the likelihood-ratio chisq difference, and its EPC close to the freed estimate."""
    data = _two_factors(3000, 0.15)
    orthogonal = "F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF1 ~~ 0*F2\n"
    table = ModificationIndices(orthogonal).fit(data).table_
    row = table[(table["op"] == "~~") & (table["lhs"] == "F1") & (table["rhs"] == "F2")].iloc[0]
    stats = group_stats([data.to_numpy()])
    fits = [
        fit_model(MultiGroupModel(parse_cfa(m), 1, meanstructure=False), stats, ["all"])
        for m in (orthogonal, orthogonal.replace("0*F2", "F2"))
    ]
    lr = 3000 * (fits[0].discrepancy - fits[1].discrepancy)
    assert lr > 20
    assert row["mi"] == pytest.approx(lr, rel=0.05)
    assert row["epc"] == pytest.approx(fits[1].matrices(0).psi[0, 1], rel=0.05)
    assert table["mi"].iloc[0] == row["mi"]  # the misspecification tops the list


def test_just_identified_model_has_no_indices() -> None:
    # One factor, three indicators: df = 0, every candidate would make the model unidentified.
    table = ModificationIndices("F =~ x1 + x2 + x3").fit(_two_factors(500, 0.3)).table_
    assert table.empty


def test_errors() -> None:
    data = _two_factors(500, 0.3)
    holes = data.copy()
    holes.loc[0, "x1"] = np.nan
    with pytest.raises(DataError, match="missing values"):
        ModificationIndices("F =~ x1 + x2 + x3").fit(holes)
    with pytest.raises(DataError, match="absent from the data: x9"):
        ModificationIndices("F =~ x1 + x2 + x9").fit(data)


runner = CliRunner()


def test_cfa_cli_adds_modindices(tmp_path: Path, recoded: pd.DataFrame) -> None:
    data, out = tmp_path / "recoded.csv", tmp_path / "fit.json"
    recoded.to_csv(data)
    model = str(shared_path("data", "psych", "bfi_five_factor.lavaan"))
    args = [
        "cfa",
        "--data",
        str(data),
        "--syntax",
        model,
        "--modindices",
        "5",
        "--json-out",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "modification indices" in result.output
    report = json.loads(out.read_text())
    # lavaan 0.6.14 fitMeasures: recoding items does not change the fit.
    fit = json.loads(shared_path("data", "psych", "bfi_five_factor_lavaan_fit.json").read_text())
    assert report["chisq"] == pytest.approx(fit["chisq"], rel=1e-6)
    _assert_equal_to_lavaan(pd.DataFrame(report["modindices"]), _reference().head(5))


def test_compare_systems_lists_where_a_system_misfits() -> None:
    from gpla.analysis.compare import compare_systems
    from gpla.systems.value_system import ValueSystem

    data = _two_factors(600, 0.3)
    # x3 belongs to F1 but this system puts it under F2: freeing F1 =~ x3 is the largest index.
    wrong = ValueSystem("Wrong", {"F1": ["x1", "x2"], "F2": ["x4", "x5", "x6", "x3"]})
    result = compare_systems(data, [wrong], random_state=0)
    top = result.fits["Wrong"].modindices
    assert top is not None and len(top) == 5
    assert (top.loc[0, "lhs"], top.loc[0, "op"], top.loc[0, "rhs"]) == ("F1", "=~", "x3")
    assert "Wrong: F1 =~ x3" in result.modindices_markdown()
