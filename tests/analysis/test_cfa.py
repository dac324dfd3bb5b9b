"""CFA against lavaan 0.6.14 on psych::bfi (`$GPLA_SHARED/data/psych/`), and one test per error case."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gpla.analysis.cfa import CFA, ModelFitError
from gpla.analysis.data import read_csv_data
from gpla.errors import ConfigError, DataError
from gpla.shared import shared_path


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return read_csv_data(shared_path("data", "psych", "bfi.csv"))


@pytest.fixture(scope="module")
def bfi_fit(bfi: pd.DataFrame) -> CFA:
    model = shared_path("data", "psych", "bfi_five_factor.lavaan").read_text()
    return CFA(model, missing="listwise").fit(bfi)


def test_every_index_equals_lavaan(bfi_fit: CFA) -> None:
    # lavaan::cfa(model, data=items, estimator="ML") |> fitMeasures() on the 2,436 complete cases.
    reference = json.loads(shared_path("data", "psych", "bfi_five_factor_lavaan_fit.json").read_text())
    assert bfi_fit.n_obs_ == 2436 and bfi_fit.n_dropped_ == 2800 - 2436
    for name, expected in reference.items():
        ours = bfi_fit.fit_indices_[name]
        if name == "pvalue":
            assert ours == pytest.approx(expected, abs=1e-12)
        else:
            assert ours == pytest.approx(expected, rel=1e-6), name


def test_standardised_loadings_equal_lavaan(bfi_fit: CFA) -> None:
    # parameterEstimates(fit, standardized=TRUE): std.all of the "=~" rows.
    est = pd.read_csv(shared_path("data", "psych", "bfi_five_factor_lavaan_estimates.csv"))
    est = est[est["op"] == "=~"].set_index(["lhs", "rhs"])
    ours = bfi_fit.std_loadings_.set_index(["factor", "variable"]).loc[est.index]
    np.testing.assert_allclose(ours["loading"], est["std.all"], atol=1e-4)
    np.testing.assert_allclose(ours["estimate"], est["est"], atol=1e-3)


def test_residual_variances_equal_lavaan(bfi_fit: CFA) -> None:
    est = pd.read_csv(shared_path("data", "psych", "bfi_five_factor_lavaan_estimates.csv"))
    est = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"])].set_index("lhs")["est"]
    ours = bfi_fit.variances_.set_index("variable")["estimate"]
    np.testing.assert_allclose(ours.loc[est.index], est, atol=1e-3)


def _normal(cov: np.ndarray, n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = rng.multivariate_normal(np.zeros(len(cov)), cov, size=n)
    return pd.DataFrame(data, columns=[f"x{i + 1}" for i in range(len(cov))])


def _one_factor(n: int = 400, k: int = 4) -> pd.DataFrame:
    lam = np.full(k, 0.7)
    return _normal(np.outer(lam, lam) + np.diag(1 - lam**2), n)


def test_names_with_spaces_match_by_identifier() -> None:
    data = _one_factor().rename(columns={"x1": "Public Benefit", "x2": "Work-life Balance"})
    fit = CFA("F =~ Public_Benefit + Work_life_Balance + x3 + x4").fit(data)
    assert fit.std_loadings_["variable"].tolist() == ["Public Benefit", "Work-life Balance", "x3", "x4"]
    assert fit.fit_indices_["df"] == 2


def test_absent_columns_are_named() -> None:
    with pytest.raises(DataError, match=r"absent from the data: x9"):
        CFA("F =~ x1 + x2 + x9").fit(_one_factor())


def test_nan_refused_unless_listwise() -> None:
    data = _one_factor()
    data.iloc[[3, 10], 1] = np.nan
    with pytest.raises(DataError, match=r"missing values in column\(s\) x2 \(2\).*listwise.*398 of 400"):
        CFA("F =~ x1 + x2 + x3 + x4").fit(data)
    fit = CFA("F =~ x1 + x2 + x3 + x4", missing="listwise").fit(data)
    assert (fit.n_obs_, fit.n_dropped_) == (398, 2)
    with pytest.raises(ConfigError, match="missing"):
        CFA("F =~ x1 + x2 + x3", missing="pairwise").fit(data)  # type: ignore[arg-type]


def test_non_positive_definite_covariance() -> None:
    data = _one_factor()
    data["x4"] = data["x1"] + data["x2"]
    with pytest.raises(DataError, match=r"singular.*x4"):
        CFA("F =~ x1 + x2 + x3 + x4").fit(data)


def test_fewer_rows_than_variables() -> None:
    with pytest.raises(DataError, match=r"3 rows for 4 columns"):
        CFA("F =~ x1 + x2 + x3 + x4").fit(_one_factor().head(3))


def test_non_numeric_column() -> None:
    data = _one_factor().astype(object)
    data.loc[5, "x3"] = "often"
    with pytest.raises(DataError, match=r"non-numeric.*x3"):
        CFA("F =~ x1 + x2 + x3 + x4").fit(data)


def test_heywood_case_is_detected() -> None:
    # Population r12 = r13 = .8, r23 = .5 (positive definite) implies a standardised loading of x1 of
    # sqrt(.64/.5) > 1, so x1's ML residual variance is negative; semopy would silently hold it at 0.
    cov = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    data = _normal(cov, n=2000)
    with pytest.raises(ModelFitError, match=r"Heywood case.*residual variance of x1"):
        CFA("F =~ x1 + x2 + x3").fit(data)
    fit = CFA("F =~ x1 + x2 + x3", heywood="warn").fit(data)
    assert fit.warnings_ and "x1" in fit.warnings_[0]


def test_unidentified_models() -> None:
    data = _one_factor(k=6)
    with pytest.raises(ModelFitError, match=r"not identified: 4 free parameters but only 3"):
        CFA("F =~ x1 + x2").fit(data)
    with pytest.raises(ModelFitError, match=r"factor G has a single indicator \(x4\)"):
        CFA("F =~ x1 + x2 + x3\nG =~ x4").fit(data)
    # Fixing the residual variance identifies a single-indicator factor.
    fit = CFA("F =~ x1 + x2 + x3\nG =~ x4\nx4 ~~ 0*x4").fit(data)
    assert fit.fit_indices_["df"] == 4 * 5 // 2 - 8


def test_non_convergence() -> None:
    with pytest.raises(ModelFitError, match="did not converge after 1 iteration"):
        CFA("F =~ x1 + x2 + x3 + x4", max_iter=1).fit(_one_factor())


def test_bad_syntax_and_empty_model() -> None:
    with pytest.raises(ConfigError, match="no factor"):
        CFA("x1 ~~ x2").fit(_one_factor())
    with pytest.raises(ConfigError, match="empty"):
        CFA("  \n").fit(_one_factor())
