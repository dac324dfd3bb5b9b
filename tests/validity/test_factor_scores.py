"""Factor scores: regression (Thurstone) and Bartlett weights, unit-weighted and mapped scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.errors import DataError
from gpla.validity import (
    factor_scores,
    keys_from_loadings,
    mapped_scores,
    unit_weighted_scores,
)


@pytest.fixture(scope="module")
def bfi(shared) -> pd.DataFrame:
    items = pd.read_csv(shared / "data" / "psych" / "bfi.csv", index_col=0)
    return items.iloc[:, :25].dropna()


def _small() -> tuple[pd.DataFrame, pd.DataFrame]:
    X = pd.DataFrame(
        {"a": [1, 2, 3, 4, 5, 6], "b": [2, 1, 4, 3, 6, 5], "c": [5, 6, 2, 4, 1, 3], "extra": 0.0},
        index=[f"s{i}" for i in range(6)],
    )
    L = pd.DataFrame({"F1": [0.8, 0.7, -0.6], "F2": [0.1, 0.3, 0.5]}, index=["a", "b", "c"])
    return X, L


def test_regression_scores_follow_thurstone_formula_on_small_example() -> None:
    # psych::factor.scores(x, f, method="Thurstone"): w = solve(cor(x), f); scores = scale(x) %*% w.
    X, L = _small()
    items = X[["a", "b", "c"]].to_numpy(float)
    Z = (items - items.mean(0)) / items.std(0, ddof=1)
    W = np.linalg.solve(np.corrcoef(items, rowvar=False), L.to_numpy())
    got = factor_scores(X, L)
    np.testing.assert_allclose(got.to_numpy(), Z @ W, atol=1e-12)
    assert list(got.columns) == ["F1", "F2"] and list(got.index) == list(X.index)


def test_bartlett_scores_are_conditionally_unbiased() -> None:
    # Bartlett weights W = U⁻²L(L'U⁻²L)⁻¹ satisfy W'L = I (Grice 2001, eq. 9).
    X, L = _small()
    items = X[["a", "b", "c"]].to_numpy(float)
    Z = (items - items.mean(0)) / items.std(0, ddof=1)
    W = np.linalg.lstsq(Z, factor_scores(X, L, method="bartlett").to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(W.T @ L.to_numpy(), np.eye(2), atol=1e-10)
    u2 = 1 - (L.to_numpy() ** 2).sum(1)
    expected = (L.to_numpy() / u2[:, None]) @ np.linalg.inv(
        L.to_numpy().T @ (L.to_numpy() / u2[:, None])
    )
    np.testing.assert_allclose(W, expected, atol=1e-10)


def test_oblique_regression_uses_structure_matrix() -> None:
    X, L = _small()
    phi = np.array([[1.0, 0.4], [0.4, 1.0]])
    items = X[["a", "b", "c"]].to_numpy(float)
    Z = (items - items.mean(0)) / items.std(0, ddof=1)
    W = np.linalg.solve(np.corrcoef(items, rowvar=False), L.to_numpy() @ phi)
    np.testing.assert_allclose(factor_scores(X, L, phi=phi).to_numpy(), Z @ W, atol=1e-12)


def test_component_scores_of_r_principal_are_standardised_and_uncorrelated(bfi, shared) -> None:
    # psych::principal(bfi, 5, "varimax") loadings (R 4.2.2, psych 2.2.9; $GPLA_SHARED/data/psych):
    # regression scores of retained components have identity covariance (psych's r.scores = I).
    loadings = pd.read_csv(
        shared / "data" / "psych" / "bfi_principal_varimax_loadings.csv", index_col=0
    )
    scores = factor_scores(bfi, loadings)
    np.testing.assert_allclose(np.cov(scores.to_numpy(), rowvar=False), np.eye(5), atol=2e-5)
    np.testing.assert_allclose(scores.mean().to_numpy(), 0, atol=1e-12)


def test_missing_cells_give_nan_scores_unless_imputed() -> None:
    _, L = _small()
    X = pd.DataFrame(np.random.default_rng(3).normal(size=(30, 3)), columns=["a", "b", "c"])
    X.index = [f"s{i}" for i in range(30)]
    X.loc["s2", "b"] = np.nan
    scores = factor_scores(X, L)
    assert scores.loc["s2"].isna().all() and scores.drop(index="s2").notna().all().all()
    assert factor_scores(X, L, impute="median").notna().all().all()


def test_factor_scores_refuse_bad_input() -> None:
    X, L = _small()
    with pytest.raises(DataError, match="not columns of the data: zz"):
        factor_scores(X, L.rename(index={"c": "zz"}))
    with pytest.raises(DataError, match="positive uniquenesses"):
        factor_scores(X, L * 2, method="bartlett")
    with pytest.raises(DataError, match="method"):
        factor_scores(X, L, method="anderson")  # type: ignore[arg-type]


def test_unit_weighted_scores_recode_reverse_keyed_values_like_score_items() -> None:
    X = pd.DataFrame(
        {"a": [1.0, 2.0, 6.0], "b": [3.0, np.nan, 5.0], "c": [2.0, 4.0, 1.0]}, index=["x", "y", "z"]
    )
    # reverse keyed c → min + max − c = 1 + 6 − c (psych::scoreItems' recoding).
    got = unit_weighted_scores(X, {"F": ["a", "b", "-c"], "G": ["c"]})
    np.testing.assert_allclose(got["F"], [(1 + 3 + 5) / 3, (2 + 3) / 2, (6 + 5 + 6) / 3])
    np.testing.assert_allclose(got["G"], [2, 4, 1])
    with pytest.raises(DataError, match="complete data"):
        unit_weighted_scores(X, {"F": ["a", "b"]}, how="sum")


def test_keys_from_long_published_loadings(shared) -> None:
    # The published five-factor system (paper Table 10): Safety loads −0.653 on Risk-taking.
    table = pd.read_csv(shared / "reference" / "gpla_five_factor_loadings.csv")
    keys = keys_from_loadings(table)
    assert set(keys) == set(table["factor"])
    assert "-Safety" in keys["Risk-taking"]
    assert sum(len(v) for v in keys.values()) == table["value"].nunique()


def test_mapped_scores_average_the_values_mapped_to_each_factor() -> None:
    X = pd.DataFrame(
        {"kind": [1.0, 0.0], "caring": [0.5, -1.0], "bold": [0.2, 0.4]}, index=["m1", "m2"]
    )
    mapping = pd.DataFrame(
        {
            "value": ["kind", "caring", "bold"],
            "factor": ["Benevolence", "Benevolence", "Stimulation"],
            "similarity": [0.9, 0.3, 0.8],
        }
    )
    got = mapped_scores(X, mapping)
    np.testing.assert_allclose(got["Benevolence"], [0.75, -0.5])
    np.testing.assert_allclose(
        mapped_scores(X, mapping, min_similarity=0.5)["Benevolence"], [1.0, 0.0]
    )
    with pytest.raises(DataError, match="not columns of the data: honest"):
        mapped_scores(X, pd.DataFrame({"value": ["honest"], "factor": ["Benevolence"]}))
