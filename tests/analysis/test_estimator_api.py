"""The statistics are scikit-learn estimators: clone, get/set_params, fit(X, y=None) returning self, and
PCA's component scores (psych's regression scores) as `transform`, alone and in a Pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from five_factor_sim import simulate
from sklearn.base import BaseEstimator, clone
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from gpla.analysis.cfa import CFA
from gpla.analysis.efa import FactorAnalysis
from gpla.analysis.invariance import MeasurementInvariance
from gpla.analysis.modindices import ModificationIndices
from gpla.analysis.omega import CFAOmega, HierarchicalOmega
from gpla.analysis.pca import PrincipalComponents
from gpla.errors import DataError

SYNTAX = "F1 =~ a1 + a2 + a3\nF2 =~ b1 + b2 + b3\nF3 =~ c1 + c2 + c3"


def _three_factor_data(n: int = 400, seed: int = 1) -> pd.DataFrame:
    """Nine items: a general factor plus three group factors (three items each), and a group column."""
    rng = np.random.default_rng(seed)
    general = rng.standard_normal((n, 1))
    groups = rng.standard_normal((n, 3))
    columns, values = [], []
    for j, prefix in enumerate("abc"):
        for i, weight in enumerate((0.7, 0.6, 0.5)):
            columns.append(f"{prefix}{i + 1}")
            values.append(
                0.5 * general[:, 0] + weight * groups[:, j] + 0.6 * rng.standard_normal(n)
            )
    frame = pd.DataFrame(np.column_stack(values), columns=columns)
    frame["sex"] = np.where(np.arange(n) % 2 == 0, "f", "m")
    return frame


ESTIMATORS: list[tuple[BaseEstimator, str, object, str]] = [
    (
        PrincipalComponents(n_factors=3, rotation="promax", missing="listwise"),
        "n_iter",
        7,
        "loadings_",
    ),
    (FactorAnalysis(n_factors=3, method="ml", heywood="warn"), "rotation", "varimax", "loadings_"),
    (CFA(SYNTAX, heywood="warn", tol=1e-7), "max_iter", 500, "fit_indices_"),
    (CFAOmega(SYNTAX, reverse=("a1",)), "missing", "listwise", "omega_"),
    (HierarchicalOmega(n_factors=3, flip=False), "method", "ml", "omega_h_"),
    (
        MeasurementInvariance(SYNTAX, "sex", levels=("configural", "metric")),
        "grad_tol",
        1e-5,
        "fits_",
    ),
    (ModificationIndices(SYNTAX, heywood="warn"), "missing", "listwise", "table_"),
]
IDS = [type(e).__name__ for e, *_ in ESTIMATORS]


@pytest.mark.parametrize(("estimator", "name", "value", "result"), ESTIMATORS, ids=IDS)
def test_clone_and_set_params(
    estimator: BaseEstimator, name: str, value: object, result: str
) -> None:
    params = estimator.get_params()
    copy = clone(estimator)
    assert type(copy) is type(estimator) and copy is not estimator
    assert copy.get_params() == params
    assert copy.set_params(**{name: value}) is copy
    assert getattr(copy, name) == value and copy.get_params()[name] == value
    assert estimator.get_params() == params  # the original is untouched
    with pytest.raises(ValueError, match="Invalid parameter"):
        copy.set_params(no_such_parameter=1)


@pytest.mark.parametrize(("estimator", "name", "value", "result"), ESTIMATORS, ids=IDS)
def test_fit_takes_y_none_and_returns_self(
    estimator: BaseEstimator, name: str, value: object, result: str
) -> None:
    data = _three_factor_data()
    if not isinstance(estimator, MeasurementInvariance):
        data = data.drop(columns=["sex"])
    fresh = clone(estimator)
    assert not hasattr(fresh, result)
    assert fresh.fit(data, y=None) is fresh
    assert hasattr(fresh, result)
    again = clone(estimator).fit(data)  # y stays optional; the fit is deterministic
    first, second = getattr(fresh, result), getattr(again, result)
    if isinstance(first, (pd.DataFrame, pd.Series)):
        pd.testing.assert_frame_equal(pd.DataFrame(first), pd.DataFrame(second))
    else:
        assert repr(first) == repr(second)


def test_validation_happens_in_fit_not_in_the_constructor() -> None:
    bad = PrincipalComponents(rotation="sideways")  # sklearn: __init__ only stores
    assert bad.rotation == "sideways"
    with pytest.raises(DataError, match="rotation"):
        bad.fit(_three_factor_data().drop(columns=["sex"]))


def test_varimax_scores_are_standardised_and_uncorrelated() -> None:
    # Regression scores R⁻¹Λ of an orthogonal PCA solution have identity covariance on the fit data.
    data = simulate(n=300, seed=3)
    pca = PrincipalComponents(n_factors=5).fit(data)
    scores = pca.transform(data)
    assert list(scores.columns) == list(pca.loadings_.columns) and scores.index.equals(data.index)
    np.testing.assert_allclose(scores.mean().to_numpy(), 0.0, atol=1e-10)
    np.testing.assert_allclose(np.cov(scores.to_numpy(), rowvar=False), np.eye(5), atol=1e-8)


def test_unrotated_scores_match_sklearn_whitened_pca() -> None:
    data = simulate(n=300, seed=4)
    ours = PrincipalComponents(n_factors=4, rotation="none").fit(data).transform(data).to_numpy()
    theirs = PCA(n_components=4, whiten=True).fit_transform(StandardScaler().fit_transform(data))
    signs = np.sign((ours * theirs).sum(axis=0))  # a component's sign is arbitrary
    np.testing.assert_allclose(ours, theirs * signs, atol=1e-8)


def test_pca_in_a_pipeline_after_standard_scaler() -> None:
    data = simulate(n=300, seed=5)
    pipe = Pipeline([("scale", StandardScaler()), ("pca", PrincipalComponents(n_factors=5))])
    scores = np.asarray(pipe.fit_transform(data))
    alone = PrincipalComponents(n_factors=5).fit(data).transform(data).to_numpy()
    np.testing.assert_allclose(scores, alone, atol=1e-8)  # standardising first changes nothing
    np.testing.assert_allclose(np.asarray(pipe.transform(data.iloc[:10])), alone[:10], atol=1e-8)
    assert pipe.named_steps["pca"].n_factors_ == 5


def test_transform_refuses_data_it_cannot_score() -> None:
    data = simulate(n=200, seed=6)
    pca = PrincipalComponents(n_factors=5).fit(data)
    with pytest.raises(DataError, match="lack the fitted variable"):
        pca.transform(data.drop(columns=[data.columns[0]]))
    with pytest.raises(DataError, match="columns"):
        pca.transform(data.to_numpy()[:, :-1])
    holed = data.copy()
    holed.iloc[0, 0] = np.nan
    with pytest.raises(DataError, match="missing"):
        pca.transform(holed)
    lenient = PrincipalComponents(n_factors=5, missing="listwise").fit(data).transform(holed)
    assert lenient.iloc[0].isna().all() and not lenient.iloc[1:].isna().any().any()
