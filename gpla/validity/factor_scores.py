"""Subjects' scores on a value system's factors.

* `factor_scores`: regression (Thurstone) or Bartlett weights from loadings and the item correlation
  matrix, applied to the standardised data, as ``psych::factor.scores(x, f, Phi, method)`` does
  (Grice 2001, "Computing and evaluating factor scores", Psychological Methods 6(4), eqs. 5 and 9).
* `unit_weighted_scores`: the mean (or sum) of each factor's values, reverse-keyed ones recoded the way
  ``psych::scoreItems`` recodes them (min + max − x).
* `mapped_scores`: Schwartz H/L (or any system's) scores through a value → factor mapping table, as
  ``gpla.analysis.mapping.map_values`` returns it.

factor_analyzer's ``FactorAnalyzer.transform`` only scores models it fitted itself, standardises with
population SDs (psych uses n − 1) and has no Bartlett method, so the two weight formulas are written
out here (a few lines of linear algebra).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from gpla.analysis.data import check_positive_definite, correlation_matrix
from gpla.errors import DataError

ScoreMethod = Literal["regression", "bartlett"]
Impute = Literal["none", "mean", "median"]


def factor_scores(
    X: pd.DataFrame,
    loadings: pd.DataFrame,
    method: ScoreMethod = "regression",
    *,
    phi: pd.DataFrame | np.ndarray | None = None,
    impute: Impute = "none",
) -> pd.DataFrame:
    """Scores of each subject (row of `X`) on each factor (column of `loadings`).

    `loadings` is values × factors (``PrincipalComponents.loadings_``); `X` must hold every value it
    names (extra columns are ignored). `phi` is the factor correlation matrix of an oblique solution
    (``factor_correlation_`` after promax; identity when None). With ``impute="none"`` a subject with a
    missing value gets NaN scores, as in psych; "mean"/"median" fill missing cells per column first.
    The correlation matrix is the pairwise-complete Pearson one, as psych's ``cor(x, use="pairwise")``.
    """
    if method not in ("regression", "bartlett"):
        raise DataError(f"factor scores: method must be 'regression' or 'bartlett', got {method!r}")
    if impute not in ("none", "mean", "median"):
        raise DataError(f"factor scores: impute must be 'none', 'mean' or 'median', got {impute!r}")
    data = _items(X, list(loadings.index), what="factor scores")
    L = loadings.to_numpy(dtype=float)
    if np.isnan(L).any():
        raise DataError("factor scores: the loadings contain missing values")
    Phi = np.eye(L.shape[1]) if phi is None else np.asarray(phi, dtype=float)
    if Phi.shape != (L.shape[1], L.shape[1]):
        raise DataError(f"factor scores: phi must be {L.shape[1]} × {L.shape[1]}, got {Phi.shape}")

    if impute != "none":
        fill = data.mean() if impute == "mean" else data.median()
        data = data.fillna(fill)
    R = correlation_matrix(data, what="factor scores")
    check_positive_definite(R, what="factor scores")

    if method == "regression":
        # W = R⁻¹ S with S = LΦ the structure matrix (Thurstone's least-squares regression weights).
        W = np.linalg.solve(R.to_numpy(), L @ Phi)
    else:
        # W = U⁻² L (L'U⁻²L)⁻¹ with U² = 1 − diag(LΦL'): unbiased scores, W'L = I.
        uniqueness = 1.0 - np.einsum("ij,jk,ik->i", L, Phi, L)
        heywood = [v for v, u in zip(loadings.index, uniqueness, strict=True) if u <= 1e-8]
        if heywood:
            raise DataError(
                "factor scores: Bartlett weights need positive uniquenesses (1 − communality); "
                f"values {', '.join(map(str, heywood[:8]))} have none. Use method='regression' (--method regression)"
            )
        scaled = L / uniqueness[:, None]
        W = scaled @ np.linalg.inv(L.T @ scaled)

    # psych applies the weights to scale(x): column means and sample (n − 1) standard deviations.
    Z = (data - data.mean()) / data.std(ddof=1)
    return pd.DataFrame(Z.to_numpy() @ W, index=data.index, columns=loadings.columns)


LONG_LOADINGS = frozenset({"factor", "value", "loading"})


def wide_loadings(loadings: pd.DataFrame) -> pd.DataFrame:
    """Values × factors from a long ``factor, value, loading`` table (the published five-factor
    system, paper Table 10) or a wide one; a loading that is not given is 0."""
    if LONG_LOADINGS.issubset(loadings.columns):
        loadings = loadings.pivot_table(
            index="value", columns="factor", values="loading", aggfunc="first", sort=False
        )
    return loadings.fillna(0.0)


def keys_from_loadings(loadings: pd.DataFrame, *, min_loading: float = 0.0) -> dict[str, list[str]]:
    """Scoring keys: each value goes to the factor of its largest |loading| (if ≥ `min_loading`),
    prefixed with ``-`` when that loading is negative (psych's key convention). `loadings` is wide
    or long (see `wide_loadings`).
    """
    wide = wide_loadings(loadings)
    keys: dict[str, list[str]] = {str(f): [] for f in wide.columns}
    values = wide.to_numpy(dtype=float)
    for value, row in zip(wide.index, values, strict=True):
        best = int(np.argmax(np.abs(row)))
        if abs(row[best]) >= min_loading and row[best] != 0:
            keys[str(wide.columns[best])].append(("-" if row[best] < 0 else "") + str(value))
    return {factor: items for factor, items in keys.items() if items}


def unit_weighted_scores(
    X: pd.DataFrame,
    keys: Mapping[str, Sequence[str]],
    *,
    how: Literal["mean", "sum"] = "mean",
    standardize: bool = False,
) -> pd.DataFrame:
    """Unit-weighted factor scores: per subject, the mean (or sum) of the factor's values.

    `keys` maps a factor to its values; ``"-name"`` marks a reverse-keyed value, recoded as
    ``min + max − x`` with the min and max of all scored cells (``psych::scoreItems``' recoding; for
    GPV scores in [−1, 1] this is ≈ −x). ``standardize=True`` z-scores each value first. Missing cells
    are skipped by "mean" (a subject with none of a factor's values gets NaN); "sum" needs complete data.
    """
    if how not in ("mean", "sum"):
        raise DataError(f"unit-weighted scores: how must be 'mean' or 'sum', got {how!r}")
    parsed = {
        f: [(v[1:], True) if v.startswith("-") else (v, False) for v in vs]
        for f, vs in keys.items()
    }
    empty = [f for f, items in parsed.items() if not items]
    if empty:
        raise DataError(f"unit-weighted scores: factor(s) {', '.join(empty)} have no values")
    names = list(dict.fromkeys(v for items in parsed.values() for v, _ in items))
    data = _items(X, names, what="unit-weighted scores")
    if standardize:
        data = (data - data.mean()) / data.std(ddof=1)
    if how == "sum" and data.isna().any().any():
        raise DataError(
            "unit-weighted scores: how='sum' (--method sum) needs complete data; use how='mean' (--method mean) "
            "to skip gaps"
        )
    low, high = np.nanmin(data.to_numpy()), np.nanmax(data.to_numpy())
    scores = {}
    for factor, items in parsed.items():
        block = pd.concat(
            {v: (low + high - data[v]) if rev else data[v] for v, rev in items}, axis=1
        )
        scores[factor] = block.mean(axis=1) if how == "mean" else block.sum(axis=1)
    return pd.DataFrame(scores, index=data.index)


def mapped_scores(
    X: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    min_similarity: float | None = None,
    how: Literal["mean", "sum"] = "mean",
) -> pd.DataFrame:
    """Scores on another system's factors (e.g. Schwartz H/L) through a ``value, factor[, similarity]``
    mapping table: each factor's score is the unit-weighted mean of the values mapped to it. Mapped
    values absent from `X` are an error; values of `X` absent from the mapping are not scored."""
    missing_cols = {"value", "factor"} - set(mapping.columns)
    if missing_cols:
        raise DataError(
            f"mapping: needs columns value, factor (missing {', '.join(sorted(missing_cols))})"
        )
    table = mapping
    if min_similarity is not None:
        if "similarity" not in mapping.columns:
            raise DataError("mapping: min_similarity needs a 'similarity' column")
        table = mapping[mapping["similarity"] >= min_similarity]
    duplicated = table["value"][table["value"].duplicated()].unique().tolist()
    if duplicated:
        raise DataError(
            f"mapping: values mapped to more than one factor: {', '.join(map(str, duplicated[:8]))}"
        )
    keys = {
        str(f): [str(v) for v in group["value"]] for f, group in table.groupby("factor", sort=False)
    }
    if not keys:
        raise DataError("mapping: no value is mapped to a factor")
    return unit_weighted_scores(X, keys, how=how)


def _items(X: pd.DataFrame, names: list[str], *, what: str) -> pd.DataFrame:
    absent = [n for n in names if n not in X.columns]
    if absent:
        raise DataError(
            f"{what}: {len(absent)} value(s) of the system are not columns of the data: "
            + ", ".join(map(str, absent[:8]))
        )
    data = X[names]
    try:
        return data.astype(float)
    except (TypeError, ValueError):
        raise DataError(f"{what}: the data has non-numeric entries in the scored columns") from None
