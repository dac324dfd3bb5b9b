"""How evenly the items cover a family's dimensions (VP §3.3, Table 2): the share of significant
item–dimension correlations that fall on each dimension, the standard deviation of those shares
(sample SD, which gives the paper's 0.042 / 0.077 / 0.079) and the imbalance ratio (largest share /
smallest share)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gpla.errors import DataError
from gpla.portrait.annotate import ALPHA, MIN_ABS_RHO
from gpla.portrait.items import check_family


@dataclass(frozen=True)
class Coverage:
    counts: pd.Series  # significant pairs per dimension
    shares: pd.Series  # counts / total
    std: float
    imbalance_ratio: float  # inf when a dimension has no item


def coverage(
    correlations: pd.DataFrame,
    family: str = "pvq",
    *,
    min_abs: float = MIN_ABS_RHO,
    alpha: float | None = ALPHA,
) -> Coverage:
    """Coverage of `family` from a correlation table (``annotate`` output, the authors' correlation
    files, or ``ItemBank.correlations``). Significant = |rho| > `min_abs` and, when the table has
    p-values and `alpha` is not None, p < `alpha`."""
    dims = check_family(family)
    rho_col = "rho" if "rho" in correlations.columns else "r"
    if rho_col not in correlations.columns or "dimension" not in correlations.columns:
        raise DataError("correlations need columns dimension and rho (or r)")
    sub = (
        correlations[correlations["family"] == family]
        if "family" in correlations.columns
        else correlations
    )
    keep = sub[rho_col].abs() > min_abs
    if "p_value" in sub.columns and alpha is not None:
        keep &= sub["p_value"] < alpha
    counts = sub.loc[keep, "dimension"].value_counts().reindex(list(dims), fill_value=0)
    total = int(counts.sum())
    if total == 0:
        raise DataError(f"no significant {family} correlations: coverage is undefined")
    shares = counts / total
    smallest = float(shares.min())
    ratio = float(shares.max() / smallest) if smallest > 0 else float("inf")
    return Coverage(
        counts=counts, shares=shares, std=float(shares.std(ddof=1)), imbalance_ratio=ratio
    )
