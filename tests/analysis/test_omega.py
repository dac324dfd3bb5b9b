"""Omega against R on psych::bfi (2,436 complete cases; reverse-keyed A1, C4, C5, E1, E2, O2, O5 recoded
7 − x; `$GPLA_SHARED/data/psych/README.md`):
- bfi_five_factor_omega.json: semTools::compRelSEM(lavaan::cfa(bfi_five_factor.lavaan)), semTools 0.5.6
- bfi_psych_omega.json: psych::omega(items, nfactors=5), psych 2.2.9
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gpla.analysis.omega import CFAOmega, HierarchicalOmega, congeneric_omega
from gpla.errors import ConfigError, DataError
from gpla.shared import shared_path

REVERSE = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


def _json(name: str) -> dict[str, float]:
    return json.loads(shared_path("data", "psych", name).read_text())


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(shared_path("data", "psych", "bfi.csv"), index_col=0).iloc[:, :25].dropna()


@pytest.fixture(scope="module")
def model() -> str:
    return shared_path("data", "psych", "bfi_five_factor.lavaan").read_text()


def test_cfa_omega_equals_semtools(bfi: pd.DataFrame, model: str) -> None:
    fit = CFAOmega(model, reverse=REVERSE).fit(bfi)
    reference = _json("bfi_five_factor_omega.json")
    assert list(fit.omega_) == list(reference)
    for factor, value in reference.items():
        # the CFA estimates agree with lavaan to ~1e-6, and so do the omegas (largest gap 2.2e-6, N).
        # The denominator is the N-divided observed covariance: with N − 1 omega would move by 3e-4.
        assert fit.omega_[factor]["omega"] == pytest.approx(value, abs=5e-6), factor
        assert fit.omega_[factor]["n_items"] == 5
    assert fit.n_obs_ == 2436


def test_hierarchical_omega_equals_psych(bfi: pd.DataFrame) -> None:
    fit = HierarchicalOmega(5, reverse=REVERSE).fit(bfi)
    reference = _json("bfi_psych_omega.json")
    assert fit.omega_h_ == pytest.approx(reference["omega_h"], abs=1e-10)
    assert fit.omega_total_ == pytest.approx(reference["omega_total"], abs=1e-10)
    assert fit.alpha_ == pytest.approx(reference["alpha"], abs=1e-10)
    assert fit.flipped_ == ["N1", "N2", "N3", "N4", "N5", "O4"]  # negative general loadings
    assert list(fit.loadings_.columns) == ["g", "F1*", "F2*", "F3*", "F4*", "F5*", "h2", "u2", "p2"]
    assert (fit.loadings_["h2"] + fit.loadings_["u2"]).sub(1).abs().max() < 1e-12


def test_hierarchical_omega_does_not_need_recoded_items(bfi: pd.DataFrame) -> None:
    # psych flips items by the sign of their general loading, so recoding first changes nothing
    recoded = HierarchicalOmega(5, reverse=REVERSE).fit(bfi)
    raw = HierarchicalOmega(5).fit(bfi)
    assert raw.omega_h_ == pytest.approx(recoded.omega_h_, abs=1e-7)
    assert raw.omega_total_ == pytest.approx(recoded.omega_total_, abs=1e-7)


def test_omega_refuses_bad_input(bfi: pd.DataFrame, model: str) -> None:
    with pytest.raises(ConfigError, match="at least 3 group factors"):
        HierarchicalOmega(2).fit(bfi)
    with pytest.raises(DataError, match="absent from the data"):
        CFAOmega(model).fit(bfi.drop(columns=["A1"]))
    with pytest.raises(DataError, match="rows for 25 columns"):
        HierarchicalOmega(3).fit(bfi.head(25))
    # one factor on two items is not identified: any split of the loadings fits, so no omega
    with pytest.raises(DataError, match="at least 3 items"):
        congeneric_omega(bfi[["A2", "A3"]])
