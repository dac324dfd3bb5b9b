"""EFA (minres/ML + oblimin/promax/varimax) and PCA promax against psych on psych::bfi.

References (R 4.2.2, psych 2.2.9, GPArotation; `$GPLA_SHARED/data/psych/README.md`), on the 2,436
complete cases of the 25 raw items:
- bfi_fa_{minres,ml}_oblimin_{loadings.csv,phi.csv,stats.json}: psych::fa(items, 5, fm=, rotate="oblimin")
- bfi_principal_promax_loadings.csv: psych::principal(items, 5, rotate="promax")
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gpla.analysis.congruence import match_factors
from gpla.analysis.efa import FactorAnalysis, FactorFitError, _check_oblimin
from gpla.analysis.pca import PrincipalComponents
from gpla.errors import ConfigError, DataError
from gpla.shared import shared_path


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(shared_path("data", "psych", name), index_col=0)


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return _ref("bfi.csv").iloc[:, :25].dropna()


@pytest.mark.parametrize("method", ["minres", "ml"])
def test_oblimin_equals_psych_fa(bfi: pd.DataFrame, method: str) -> None:
    fit = FactorAnalysis(5, method, "oblimin").fit(bfi)
    loadings = _ref(f"bfi_fa_{method}_oblimin_loadings.csv")  # psych's names and column order
    phi = _ref(f"bfi_fa_{method}_oblimin_phi.csv")
    stats = json.loads(shared_path("data", "psych", f"bfi_fa_{method}_oblimin_stats.json").read_text())
    assert list(fit.loadings_.columns) == list(loadings.columns)
    assert list(fit.factor_correlation_.columns) == list(phi.columns)
    # R wrote the loadings with 10 decimals; we agree to 5e-11 (same optimiser path, same rotation),
    # and to ~1e-14 where R wrote full precision (Phi, communalities, fit statistics)
    assert (fit.loadings_ - loadings).abs().to_numpy().max() < 1e-10
    assert (fit.factor_correlation_ - phi).abs().to_numpy().max() < 1e-12
    reference_h2 = pd.Series(stats["communalities"])
    assert (fit.communalities_ - reference_h2[fit.communalities_.index]).abs().max() < 1e-12
    for key in ("objective", "rms", "TLI", "RMSEA"):
        assert fit.fit_stats_[key] == pytest.approx(stats[key], abs=1e-12), key
    assert fit.n_obs_ == 2436 and fit.fit_stats_["dof"] == 185
    assert fit.warnings_ == []


@pytest.mark.parametrize("rotation", ["promax", "varimax", "none"])
def test_other_rotations_keep_the_communalities(bfi: pd.DataFrame, rotation: str) -> None:
    oblimin = FactorAnalysis(5, "minres", "oblimin").fit(bfi)
    fit = FactorAnalysis(5, "minres", rotation).fit(bfi)
    pattern = fit.loadings_.to_numpy()
    phi = np.eye(5) if fit.factor_correlation_ is None else fit.factor_correlation_.to_numpy()
    assert (fit.factor_correlation_ is None) == (rotation != "promax")
    # a rotation moves loadings, never what the factors explain of each item
    np.testing.assert_allclose(np.diag(pattern @ phi @ pattern.T), oblimin.communalities_, atol=1e-10)
    assert fit.fit_stats_["objective"] == pytest.approx(oblimin.fit_stats_["objective"], abs=1e-10)
    if rotation != "none":  # the five traits come back whatever the rotation
        assert (match_factors(fit.loadings_, oblimin.loadings_).pairs["congruence"] > 0.9).all()


def test_principal_promax_equals_psych(bfi: pd.DataFrame) -> None:
    fit = PrincipalComponents(5, rotation="promax").fit(bfi)
    reference = _ref("bfi_principal_promax_loadings.csv")
    # psych names components by their varimax position; ours are RC1..RC5 by variance: match by content
    match = match_factors(fit.loadings_, reference)
    assert (match.pairs["sign"] == 1).all()
    assert (match.aligned - reference.loc[match.aligned.index]).abs().to_numpy().max() < 1e-10


def test_auto_uses_parallel_analysis(bfi: pd.DataFrame) -> None:
    fit = FactorAnalysis("auto", n_iter=20).fit(bfi)
    pca = PrincipalComponents("auto", n_iter=20).fit(bfi)
    assert fit.n_factors_ == pca.n_factors_ == 5  # bfi_parallel_ncomp.txt
    assert fit.parallel_ is not None and len(fit.parallel_) == 25


def _three_items(n: int, r12: float, r13: float, r23: float, seed: int = 0) -> pd.DataFrame:
    corr = np.array([[1, r12, r13], [r12, 1, r23], [r13, r23, 1]])
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.multivariate_normal(np.zeros(3), corr, size=n), columns=["x1", "x2", "x3"])


def test_heywood_case_raises_or_is_flagged() -> None:
    # one factor, three items: loading(x1)² = r12·r13/r23 = 0.49/0.3 > 1, a Heywood case
    data = _three_items(500, 0.7, 0.7, 0.3)
    with pytest.raises(FactorFitError, match=r"Heywood case.*x1"):
        FactorAnalysis(1).fit(data)
    kept = FactorAnalysis(1, heywood="warn").fit(data)
    assert kept.warnings_ and "x1" in kept.warnings_[0]
    assert FactorAnalysis(1).fit(_three_items(500, 0.5, 0.5, 0.5)).warnings_ == []


def test_bad_input_is_refused(bfi: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="rows for 25 columns"):
        FactorAnalysis(2).fit(bfi.head(20))
    with pytest.raises(ConfigError, match="method"):
        FactorAnalysis(2, "pa").fit(bfi)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="rotation"):
        FactorAnalysis(2, rotation="quartimax").fit(bfi)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="between 1 and 24"):
        FactorAnalysis(25).fit(bfi)
    with pytest.raises(DataError, match="missing values"):
        FactorAnalysis(2).fit(_ref("bfi.csv").iloc[:, :25])
    # 5 variables, 3 factors: ((5-3)^2 - (5+3)) / 2 = -2 degrees of freedom, not identified.
    with pytest.raises(FactorFitError, match="negative degrees of freedom"):
        FactorAnalysis(3).fit(bfi.iloc[:, :5])


def test_unconverged_oblimin_is_an_error(bfi: pd.DataFrame) -> None:
    unrotated = FactorAnalysis(5, rotation="none").fit(bfi).loadings_.to_numpy()
    with pytest.raises(FactorFitError, match="oblimin rotation did not converge"):
        _check_oblimin(unrotated, np.eye(5))  # the starting point is far from a stationary point
