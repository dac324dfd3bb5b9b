"""Correlations between two tables of the same subjects, with pairwise-complete observations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from gpla.errors import DataError

Method = Literal["pearson", "spearman"]


@dataclass(frozen=True)
class Correlation:
    """One correlation coefficient with its two-sided p-value and number of paired observations."""

    r: float
    p_value: float
    n: int


def correlate(x: pd.Series, y: pd.Series, method: Method = "pearson") -> Correlation:
    """r between two aligned series over the entries present in both (NaN r if < 3 or constant)."""
    if method not in ("pearson", "spearman"):
        raise DataError(f"correlation method must be 'pearson' or 'spearman', got {method!r}")
    both = x.notna() & y.notna()
    a, b = x[both].to_numpy(float), y[both].to_numpy(float)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return Correlation(float("nan"), float("nan"), len(a))
    result = stats.pearsonr(a, b) if method == "pearson" else stats.spearmanr(a, b)
    return Correlation(float(result.statistic), float(result.pvalue), len(a))


def cross_correlations(
    left: pd.DataFrame, right: pd.DataFrame, method: Method = "pearson"
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(r, p, n) tables: rows = columns of `right`, columns = columns of `left` (rows already aligned)."""
    r = pd.DataFrame(index=right.columns, columns=left.columns, dtype=float)
    p = r.copy()
    n = pd.DataFrame(index=right.columns, columns=left.columns, dtype=int)
    for a in left.columns:
        for b in right.columns:
            c = correlate(left[a], right[b], method)
            r.loc[b, a], p.loc[b, a], n.loc[b, a] = c.r, c.p_value, c.n
    return r, p, n
