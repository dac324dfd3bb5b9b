"""Tucker's congruence between two loading matrices, and the best one-to-one matching of their factors.

Hand-written because it is three lines of numpy (psych's ``factor.congruence``); the matching uses
scipy's Hungarian algorithm on |phi| so that a factor may match with a flipped sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from gpla.errors import DataError


@dataclass(frozen=True)
class FactorMatch:
    # ours, reference, congruence (after the sign flip, so >= 0), sign
    pairs: pd.DataFrame
    congruence: pd.DataFrame  # full factors × factors table, ours as rows
    aligned: pd.DataFrame  # our loadings with columns renamed/reordered/flipped to the reference's


def tucker_congruence(A: pd.DataFrame, B: pd.DataFrame) -> pd.DataFrame:
    """phi(a, b) = Σ a_i b_i / sqrt(Σ a_i² Σ b_i²) for every factor a of `A` (rows) and b of `B`
    (columns), summed over the variables (row names) the two matrices share."""
    for what, frame in (("first", A), ("second", B)):
        if frame.shape[1] == 0 or frame.shape[0] == 0:
            raise DataError(f"congruence: the {what} loading matrix is empty")
        if not np.isfinite(frame.to_numpy(dtype=float)).all():
            raise DataError(
                f"congruence: the {what} loading matrix has missing or infinite loadings"
            )
    rows = A.index.intersection(B.index, sort=False)
    if len(rows) == 0:
        raise DataError("congruence: the two loading matrices share no variables (row names)")
    a = A.loc[rows].to_numpy(dtype=float)
    b = B.loc[rows].to_numpy(dtype=float)
    norms = np.sqrt(np.outer((a**2).sum(axis=0), (b**2).sum(axis=0)))
    if (norms == 0).any():
        raise DataError("congruence: a factor has all-zero loadings on the shared variables")
    return pd.DataFrame((a.T @ b) / norms, index=A.columns, columns=B.columns)


def match_factors(ours: pd.DataFrame, reference: pd.DataFrame) -> FactorMatch:
    """Pair our factors with the reference's to maximise total |congruence| (one-to-one; with unequal
    numbers of factors the extra ones stay unpaired), flipping our sign where the match is negative."""
    phi = tucker_congruence(ours, reference)
    rows, cols = linear_sum_assignment(-np.abs(phi.to_numpy()))
    values = phi.to_numpy()[rows, cols]
    signs = np.where(values < 0, -1, 1)
    pairs = pd.DataFrame(
        {
            "ours": phi.index[rows],
            "reference": phi.columns[cols],
            "congruence": np.abs(values),
            "sign": signs,
        }
    )
    aligned = ours.iloc[:, rows] * signs
    aligned.columns = phi.columns[cols]
    return FactorMatch(pairs=pairs, congruence=phi, aligned=aligned)
