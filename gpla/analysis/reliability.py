"""Cronbach's alpha as ``psych::alpha`` reports it: raw and standardised alpha, alpha if an item is
dropped, corrected item–total correlations (psych's ``r.drop``) and a 95% confidence interval.

Written with numpy: the libraries we build on (factor_analyzer, semopy, scipy) have no alpha, and a
new dependency for a few lines of algebra is not worth it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from gpla.analysis.data import MissingPolicy, validate_numeric
from gpla.errors import DataError

CIMethod = Literal["feldt", "bootstrap"]


@dataclass(frozen=True)
class AlphaResult:
    alpha: float  # raw alpha, from the covariance matrix
    std_alpha: float  # standardised alpha, from the correlation matrix
    ci_low: float
    ci_high: float
    ci_method: str  # "feldt" (analytic, as psych's "Feldt" row) or "bootstrap" (percentile)
    n_items: int
    n_obs: int
    alpha_if_deleted: pd.Series  # raw alpha of the scale without each item (NaN for 2 items)
    item_total: pd.Series  # correlation of each item with the sum of the others (psych's r.drop)


def reverse_items(X: pd.DataFrame, reverse: Sequence[str], *, what: str = "data") -> pd.DataFrame:
    """Recode reverse-keyed items as (min + max) − x over the observed range of all items, as psych's
    ``reverse.code`` (7 − x on a 1–6 scale). The constant does not change alpha, only the sign does."""
    absent = [c for c in reverse if c not in X.columns]
    if absent:
        raise DataError(
            f"{what}: reverse-keyed item(s) {', '.join(map(str, absent))} are not columns"
        )
    if not reverse:
        return X
    out = X.copy()
    low, high = np.nanmin(X.to_numpy()), np.nanmax(X.to_numpy())
    out[list(reverse)] = (low + high) - out[list(reverse)]
    return out


def cronbach_alpha(
    X: pd.DataFrame,
    reverse: Sequence[str] = (),
    ci: CIMethod = "feldt",
    n_boot: int = 1000,
    random_state: int = 0,
    *,
    missing: MissingPolicy = "raise",
    level: float = 0.95,
    what: str = "scale",
) -> AlphaResult:
    """Cronbach's alpha of the columns of `X` (the items of one scale).

    ``ci="feldt"``: Feldt, Woodruff & Salih (1987) F-distribution interval with n = all rows, as psych.
    ``ci="bootstrap"``: percentile interval of `n_boot` row resamples, seeded by `random_state`.
    """
    if ci not in ("feldt", "bootstrap"):
        raise DataError(f"{what}: ci must be 'feldt' or 'bootstrap', got {ci!r}")
    data = validate_numeric(X, what=what, missing=missing, min_cols=2)
    data = reverse_items(data, reverse, what=what)
    values = data.to_numpy()
    n_obs, n_items = values.shape
    cov = _covariance(values)
    if cov.sum() <= 1e-12 * np.trace(cov):
        raise DataError(
            f"{what}: the items cancel out (the variance of their sum is {cov.sum():.3g}), so alpha "
            "is undefined; are reverse-keyed items marked as such?"
        )
    alpha = _alpha(cov)
    sd = np.sqrt(np.diag(cov))
    std_alpha = _alpha(cov / np.outer(sd, sd))

    if ci == "feldt":
        low, high = feldt_interval(alpha, n_obs, n_items, level)
    else:
        low, high = _bootstrap_ci(values, n_boot, level, random_state)

    names = list(data.columns)
    # One item left has no alpha: NaN, as psych's alpha.drop for a two-item scale.
    if_deleted = [
        _alpha(np.delete(np.delete(cov, i, 0), i, 1)) if n_items > 2 else np.nan
        for i in range(n_items)
    ]
    total = cov.sum(axis=1)
    # cov(item, rest) / sd(item) sd(rest), with var(rest) = 1'Σ1 − 2 Σ_i. + σ_ii
    rest_var = cov.sum() - 2 * total + np.diag(cov)
    r_drop = (total - np.diag(cov)) / np.sqrt(np.diag(cov) * rest_var)
    return AlphaResult(
        alpha=float(alpha),
        std_alpha=float(std_alpha),
        ci_low=float(low),
        ci_high=float(high),
        ci_method=ci,
        n_items=n_items,
        n_obs=n_obs,
        alpha_if_deleted=pd.Series(if_deleted, index=names, name="alpha_if_deleted"),
        item_total=pd.Series(r_drop, index=names, name="r_drop"),
    )


def feldt_interval(
    alpha: float, n_obs: int, n_items: int, level: float = 0.95
) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987) interval, psych's ``alpha.ci``: 1 − (1 − α)·F quantiles with
    df1 = n − 1, df2 = (n − 1)(k − 1)."""
    df1, df2 = n_obs - 1, (n_obs - 1) * (n_items - 1)
    tail = (1 - level) / 2
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(low), float(high)


def _covariance(values: np.ndarray) -> np.ndarray:
    """Sample covariance (ddof = 1); pairwise-complete when NaNs remain (missing="pairwise")."""
    if not np.isnan(values).any():
        return np.cov(values, rowvar=False, ddof=1)
    return pd.DataFrame(values).cov().to_numpy()


def _alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def _bootstrap_ci(
    values: np.ndarray, n_boot: int, level: float, random_state: int
) -> tuple[float, float]:
    if n_boot < 2:
        raise DataError(f"bootstrap CI needs n_boot >= 2, got {n_boot}")
    rng = np.random.default_rng(random_state)
    n_obs = values.shape[0]
    if np.isnan(values).any():
        boots = np.array(
            [_alpha(_covariance(values[rng.integers(0, n_obs, n_obs)])) for _ in range(n_boot)]
        )
    else:
        boots = _alpha_batch(values, rng.integers(0, n_obs, (n_boot, n_obs)))
    undefined = int(np.isnan(boots).sum())
    if undefined:
        # A resample whose item sum is constant has no alpha; dropping it would bias the interval.
        raise DataError(
            f"bootstrap CI: alpha is undefined in {undefined} of {n_boot} resamples of {n_obs} rows "
            "(too few distinct rows); use ci='feldt' (--ci feldt) or more data"
        )
    tail = (1 - level) / 2
    low, high = np.quantile(boots, [tail, 1 - tail])
    return float(low), float(high)


def _alpha_batch(values: np.ndarray, rows: np.ndarray, max_cells: int = 4_000_000) -> np.ndarray:
    """Alphas of many resamples at once (only item variances and the variance of the sum are needed),
    in chunks that keep the n_boot × n × k resample array to about `max_cells` numbers."""
    n_obs, k = values.shape
    chunk = max(1, max_cells // (n_obs * k))
    out = np.empty(rows.shape[0])
    for start in range(0, rows.shape[0], chunk):
        sample = values[rows[start : start + chunk]]
        item_var = sample.var(axis=1, ddof=1).sum(axis=1)
        total_var = sample.sum(axis=2).var(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[start : start + chunk] = k / (k - 1) * (1 - item_var / total_var)
    return out
