"""Correlation of a value system's factor scores with Schwartz's values of the same subjects
(GPLA paper App. B.4, Table 12: rows Schwartz values, columns the system's factors)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gpla.errors import DataError
from gpla.validity.align import check_same_names, check_unique
from gpla.validity.correlate import Method, cross_correlations


@dataclass(frozen=True)
class SchwartzCorrelation:
    """Tables indexed by Schwartz value (rows) × factor (columns)."""

    r: pd.DataFrame
    p_value: pd.DataFrame
    n: pd.DataFrame


def correlate_with_schwartz(
    factors: pd.DataFrame,
    schwartz: pd.DataFrame,
    *,
    method: Method = "pearson",
    factors_name: str = "factor scores",
    schwartz_name: str = "Schwartz values",
) -> SchwartzCorrelation:
    """Correlate every factor score with every Schwartz value over the subjects both tables name
    (the same subjects, in any order; pairwise-complete per cell). Schwartz values may come from GPV
    on Schwartz's values or from the Value Portrait instrument."""
    for frame, name in ((factors, factors_name), (schwartz, schwartz_name)):
        check_unique(frame.index, name, what="subjects")
        check_unique(frame.columns, name, what="columns")
    check_same_names(factors.index, schwartz.index, factors_name, schwartz_name, what="subjects")
    try:
        left, right = factors.astype(float), schwartz.loc[factors.index].astype(float)
    except (TypeError, ValueError):
        raise DataError(f"{factors_name} and {schwartz_name} must hold numeric scores") from None
    r, p, n = cross_correlations(left, right, method)
    for table in (r, p, n):
        table.index.name = "schwartz_value"
    return SchwartzCorrelation(r=r, p_value=p, n=n)
