"""Cross-dataset consistency (GPLA paper App. B.3, Table 11): per LLM, the correlation between its value
vectors measured on two datasets, and how that consistency correlates with the LLMs' safety."""

from __future__ import annotations

import pandas as pd

from gpla.errors import DataError
from gpla.validity.align import check_covered, check_same_names, check_unique
from gpla.validity.correlate import Correlation, Method, correlate


def cross_dataset_consistency(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    method: Method = "pearson",
    a_name: str = "A",
    b_name: str = "B",
) -> pd.DataFrame:
    """One row per LLM: ``correlation`` of its values on dataset A with those on dataset B over the
    values measured in both, and ``n_values`` used. Both tables must name the same LLMs (rows) and the
    same values (columns); LLMs keep A's order."""
    for frame, name in ((a, a_name), (b, b_name)):
        check_unique(frame.index, name, what="LLMs")
        check_unique(frame.columns, name, what="values")
    check_same_names(a.index, b.index, a_name, b_name, what="LLMs")
    check_same_names(a.columns, b.columns, a_name, b_name, what="values")
    try:
        left, right = a.astype(float), b.loc[a.index, a.columns].astype(float)
    except (TypeError, ValueError):
        raise DataError(
            f"consistency: {a_name} and {b_name} must hold numeric value scores"
        ) from None
    rows = [correlate(left.loc[llm], right.loc[llm], method) for llm in left.index]
    return pd.DataFrame(
        {"correlation": [c.r for c in rows], "n_values": [c.n for c in rows]},
        index=pd.Index(left.index, name="model"),
    )


def consistency_safety_correlation(
    consistency: pd.Series, safety: pd.Series, *, method: Method = "pearson"
) -> Correlation:
    """Correlation across LLMs between their consistency and their safety score (paper: 0.73).
    `safety` must cover every LLM of `consistency`."""
    check_covered(
        consistency.index, safety.index, "the consistency table", "the safety scores", what="LLMs"
    )
    return correlate(consistency.astype(float), safety.loc[consistency.index].astype(float), method)
