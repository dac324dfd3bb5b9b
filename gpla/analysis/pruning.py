"""Iterative item pruning for a clean loading pattern (GPLA §4.2: "some atomic values are removed to
ensure clear loading patterns"). No library offers this loop, so it is written here.

At each step the PCA is refitted on the remaining items and the single worst item is dropped:
an item whose largest |loading| is below `min_loading` (weak), or whose two largest |loadings| differ
by less than `cross_margin` (cross-loading). Weak items go first, the weakest of them; otherwise the
item with the smallest gap between its top two loadings. The number of factors is decided once, on the
full item set, and kept: re-deciding it at every step would change the structure being cleaned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gpla.analysis.data import MissingPolicy, validate_numeric
from gpla.analysis.pca import NFactors, PrincipalComponents
from gpla.analysis.rotation import Rotation
from gpla.errors import DataError


@dataclass(frozen=True)
class PruneResult:
    kept: list[str]
    removed: pd.DataFrame  # variable, step, reason
    model: PrincipalComponents  # fitted on `kept`


def prune_items(
    X: pd.DataFrame,
    n_factors: NFactors = "auto",
    min_loading: float = 0.4,
    cross_margin: float = 0.1,
    *,
    rotation: Rotation = "varimax",
    max_steps: int | None = None,
    missing: MissingPolicy = "raise",
    n_iter: int = 100,
    random_state: int = 0,
) -> PruneResult:
    """Drop the worst item and refit until every item loads >= `min_loading` on one factor and beats its
    second-highest |loading| by at least `cross_margin` (or `max_steps` removals were made)."""
    # Apply the missing-value policy once, so every refit sees the same rows.
    data = validate_numeric(X, what="pruning data", missing=missing, min_cols=2)
    model = PrincipalComponents(
        n_factors, rotation, n_iter=n_iter, random_state=random_state, missing="pairwise"
    ).fit(data)
    k = model.n_factors_
    removed: list[dict[str, object]] = []
    while max_steps is None or len(removed) < max_steps:
        worst = _worst_item(model.loadings_, min_loading, cross_margin)
        if worst is None:
            break
        variable, reason = worst
        removed.append({"variable": variable, "step": len(removed) + 1, "reason": reason})
        remaining = [c for c in model.loadings_.index if c != variable]
        if len(remaining) <= k:
            raise DataError(
                f"pruning: only {len(remaining)} items would remain for {k} factors after removing "
                f"{len(removed)}; lower min_loading ({min_loading}) or cross_margin ({cross_margin})"
            )
        model = PrincipalComponents(k, rotation, missing="pairwise").fit(data[remaining])
    table = pd.DataFrame(removed, columns=["variable", "step", "reason"])
    return PruneResult(kept=list(model.loadings_.index), removed=table, model=model)


def _worst_item(
    loadings: pd.DataFrame, min_loading: float, cross_margin: float
) -> tuple[str, str] | None:
    """The item to drop next and why, or None when the pattern is clean."""
    ranked = np.sort(np.abs(loadings.to_numpy()), axis=1)[:, ::-1]
    top = pd.Series(ranked[:, 0], index=loadings.index)
    if (top < min_loading).any():
        name = str(top.idxmin())
        factor = loadings.loc[name].abs().idxmax()
        return name, f"weak: largest |loading| {top[name]:.3f} ({factor}) < {min_loading}"
    if loadings.shape[1] < 2:
        return None
    gap = pd.Series(ranked[:, 0] - ranked[:, 1], index=loadings.index)
    if (gap < cross_margin).any():
        name = str(gap.idxmin())
        row = loadings.loc[name].abs().sort_values(ascending=False)
        return name, (
            f"cross-loads: |loading| {row.iloc[0]:.3f} ({row.index[0]}) and {row.iloc[1]:.3f} "
            f"({row.index[1]}) differ by {gap[name]:.3f} < {cross_margin}"
        )
    return None
