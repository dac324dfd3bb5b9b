"""Alignment-target distillation (GPLA paper §5.3, Eq. 3–5; App. A.4).

From preference triplets (prompt, winning response, losing response) and the evaluator's value
measurements of both responses, the target x* minimises, coordinate by coordinate,

    f(x) = Σ_pairs |x − wₖ| − |x − lₖ|

over the measured points (Eq. 4). f is piecewise linear with kinks at the measurements and, since
winners and losers are equally many, flat beyond the extreme ones; so its minimum over the reals is
attained at a measured point, and the search over measured points is exact, not an approximation.

Each coordinate is solved in O(n log n): sort the 2n points, and with prefix sums of the signs (+1 winner,
−1 loser) and of the signed points, f at every point is x·(2·S≤ − S) + (P − 2·P≤). A generic LP solver
would not do: the −|x − l| terms make f a difference of convex functions (no LP without integer
variables), and any solver would be slower than one sort per value (benchmarks/bench_distill.py
measures this solver against direct O(n²) evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gpla.errors import DataError

Missing = Literal["zero", "drop"]

# Candidates whose objective is within this relative distance of the minimum count as tied (the
# prefix sums and a direct sum round differently); ties go to the point closest to 0 (neutral).
_TIE_RTOL = 1e-12


def objective(x: float, winners: np.ndarray, losers: np.ndarray) -> float:
    """f(x) of Eq. 3 for one value dimension (used to check and explain solutions)."""
    return float(np.sum(np.abs(x - winners)) - np.sum(np.abs(x - losers)))


def distill_coordinate(winners: np.ndarray, losers: np.ndarray) -> float:
    """The minimiser of f over the measured points of one dimension (NaN if there is none)."""
    winners = np.asarray(winners, float)
    losers = np.asarray(losers, float)
    points = np.concatenate([winners, losers])
    if len(points) == 0:
        return float("nan")
    signs = np.concatenate([np.ones(len(winners)), -np.ones(len(losers))])
    order = np.argsort(points, kind="stable")
    points, signs = points[order], signs[order]
    sign_prefix = np.cumsum(signs)
    point_prefix = np.cumsum(signs * points)
    # Index of the last point ≤ each point (ties share one value of f).
    last = np.searchsorted(points, points, side="right") - 1
    s_le, p_le = sign_prefix[last], point_prefix[last]
    values = points * (2.0 * s_le - sign_prefix[-1]) + (point_prefix[-1] - 2.0 * p_le)
    best = values.min()
    scale = max(1.0, float(np.sum(np.abs(points))))
    tied = points[values <= best + _TIE_RTOL * scale]
    return float(tied[np.lexsort((tied, np.abs(tied)))[0]])


def _pair_arrays(
    winners: pd.DataFrame, losers: pd.DataFrame, missing: Missing
) -> tuple[np.ndarray, np.ndarray]:
    if missing not in ("zero", "drop"):
        raise DataError(f"distillation: missing must be 'zero' or 'drop', got {missing!r}")
    if list(winners.columns) != list(losers.columns):
        raise DataError(
            "distillation: winners and losers must have the same value columns in the same order"
        )
    if not winners.index.equals(losers.index):
        raise DataError(
            "distillation: winners and losers must list the same pairs in the same order"
        )
    try:
        w, lo = winners.to_numpy(float), losers.to_numpy(float)
    except (TypeError, ValueError):
        raise DataError("distillation: measurements must be numeric") from None
    if missing == "zero":
        w, lo = np.nan_to_num(w, nan=0.0), np.nan_to_num(lo, nan=0.0)
    return w, lo


def _solve(w: np.ndarray, lo: np.ndarray) -> np.ndarray:
    target = np.empty(w.shape[1])
    for j in range(w.shape[1]):
        # Under missing="drop" a pair counts for a value only where both responses were measured,
        # which keeps winners and losers equally many (and so the measured-points search exact).
        both = ~(np.isnan(w[:, j]) | np.isnan(lo[:, j]))
        target[j] = distill_coordinate(w[both, j], lo[both, j])
    return target


def distill_target(
    winners: pd.DataFrame, losers: pd.DataFrame, *, missing: Missing = "zero"
) -> pd.Series:
    """The target value vector x* of Eq. 3–4.

    `winners` and `losers` are pairs × values (same index and columns): the evaluator's measurement
    of the winning and the losing response of each pair. A missing measurement (GPV reports none
    when a value is not relevant to a response) counts as 0, the neutral score, under
    ``missing="zero"`` (the paper's evaluator scores every response on every value); under "drop"
    the pair is left out for that value. A value with no usable pair gets NaN. When several measured
    points minimise f, the one closest to 0 (then the smaller) is chosen.
    """
    w, lo = _pair_arrays(winners, losers, missing)
    if len(w) == 0:
        raise DataError("distillation: no preference pairs")
    return pd.Series(_solve(w, lo), index=winners.columns, name="target")


@dataclass(frozen=True)
class DistillProgress:
    """The target after the first n pairs, at each checkpoint n (rows) — how the target converges."""

    targets: pd.DataFrame

    @property
    def change(self) -> pd.Series:
        """L1 distance of each checkpoint's target to the previous one (NaN for the first)."""
        diff = self.targets.diff().abs().sum(axis=1, min_count=1)
        diff.iloc[0] = np.nan
        return diff.rename("l1_change")

    @property
    def distance_to_final(self) -> pd.Series:
        return (self.targets - self.targets.iloc[-1]).abs().sum(axis=1).rename("l1_to_final")

    def converged_at(self, tol: float = 0.0) -> int:
        """The first checkpoint from which every later target is within L1 `tol` of the final one."""
        far = self.distance_to_final > tol
        later = far[::-1].cumsum()[::-1] == 0  # no far checkpoint at or after this one
        return int(later.index[later.to_numpy()][0])

    def table(self) -> pd.DataFrame:
        return pd.concat([self.change, self.distance_to_final, self.targets], axis=1)


def distill_progress(
    winners: pd.DataFrame,
    losers: pd.DataFrame,
    *,
    every: int = 1000,
    missing: Missing = "zero",
) -> DistillProgress:
    """Targets after the first `every`, 2·`every`, … pairs (in the given order) and after all of them."""
    if every < 1:
        raise DataError(f"distillation: every must be ≥ 1, got {every}")
    w, lo = _pair_arrays(winners, losers, missing)
    if len(w) == 0:
        raise DataError("distillation: no preference pairs")
    checkpoints = sorted({*range(every, len(w), every), len(w)})
    rows = [_solve(w[:n], lo[:n]) for n in checkpoints]
    targets = pd.DataFrame(
        rows, index=pd.Index(checkpoints, name="n_pairs"), columns=winners.columns
    )
    return DistillProgress(targets)


class AlignmentReward:
    """The per-response reward −‖x* − M_E(p, r, V)‖₁ of Eq. 5, for RL libraries.

    Call it with one response's measurements (a Series over values, or a 1-D array in the target's
    order) to get a float, or with many (a DataFrame of responses × values, or a 2-D array) to get an
    array. Missing measurements count as 0 (``missing="zero"``, the paper's choice: no masking) or
    are left out of the distance (``"drop"``).
    """

    def __init__(self, target: pd.Series, *, missing: Missing = "zero") -> None:
        if missing not in ("zero", "drop"):
            raise DataError(f"reward: missing must be 'zero' or 'drop', got {missing!r}")
        if target.isna().any():
            raise DataError(
                f"reward: the target has no value for {', '.join(map(str, target.index[target.isna()][:8]))}"
            )
        self.target = target.astype(float)
        self.missing = missing

    def __call__(self, measurements: pd.Series | pd.DataFrame | np.ndarray) -> float | np.ndarray:
        if isinstance(measurements, pd.Series | pd.DataFrame):
            columns = (
                measurements.index if isinstance(measurements, pd.Series) else measurements.columns
            )
            absent = [v for v in self.target.index if v not in columns]
            if absent:
                raise DataError(
                    f"reward: measurements lack value(s) {', '.join(map(str, absent[:8]))}"
                )
            values = measurements[self.target.index].to_numpy(float)
        else:
            values = np.asarray(measurements, float)
        if values.shape[-1] != len(self.target):
            raise DataError(
                f"reward: expected {len(self.target)} values per response, got {values.shape[-1]}"
            )
        gaps = np.abs(values - self.target.to_numpy())
        gaps = (
            np.nan_to_num(gaps, nan=0.0)
            if self.missing == "drop"
            else np.where(np.isnan(values), np.abs(self.target.to_numpy()), gaps)
        )
        reward = -gaps.sum(axis=-1)
        return float(reward) if reward.ndim == 0 else reward


def pairs_from_judgments(judgments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a judgments table into (winners, losers), both pairs × values in first-appearance order.

    Accepted formats (``response`` is ``winner``/``loser``, or ``chosen``/``rejected``):
    long — ``pair_id, response, value, score`` (several rows per response and value, e.g. one per
    perception, are averaged, as GPV aggregates); wide — ``pair_id, response`` plus one numeric column
    per value.
    """
    required = {"pair_id", "response"}
    if not required <= set(judgments.columns):
        raise DataError(
            f"judgments: need columns pair_id and response (got {', '.join(map(str, judgments.columns))})"
        )
    table = judgments.copy()
    role = (
        table["response"]
        .astype(str)
        .str.strip()
        .str.lower()
        .replace({"chosen": "winner", "rejected": "loser"})
    )
    bad = table.loc[~role.isin(["winner", "loser"]), "response"]
    if len(bad):
        raise DataError(
            f"judgments: response must be winner/loser (or chosen/rejected); row {bad.index[0]} has {bad.iloc[0]!r}"
        )
    table["response"] = role
    table["pair_id"] = table["pair_id"].astype(str)
    pair_order = list(dict.fromkeys(table["pair_id"]))
    if {"value", "score"} <= set(table.columns):
        table["score"] = pd.to_numeric(table["score"], errors="coerce")
        wide = table.pivot_table(
            index=["pair_id", "response"],
            columns="value",
            values="score",
            aggfunc="mean",
            dropna=False,
            sort=False,
        )
        value_order = list(dict.fromkeys(table["value"].astype(str)))
        wide.columns = wide.columns.astype(str)
        wide = wide.reindex(columns=value_order)
    else:
        counts = table.groupby(["pair_id", "response"]).size()
        repeated = counts[counts > 1]
        if len(repeated):
            raise DataError(
                f"judgments: pair {repeated.index[0][0]!r} has more than one {repeated.index[0][1]} row"
            )
        wide = table.set_index(["pair_id", "response"])
        try:
            wide = wide.astype(float)
        except (TypeError, ValueError):
            raise DataError(
                "judgments: every column other than pair_id and response must be a numeric value score"
            ) from None
    roles = wide.index.to_frame(index=False).groupby("pair_id")["response"].agg(set)
    incomplete = [p for p, r in roles.items() if r != {"winner", "loser"}]
    if incomplete:
        raise DataError(
            f"judgments: pair(s) without both a winner and a loser: {', '.join(incomplete[:8])}"
        )
    winners = wide.xs("winner", level="response").reindex(pair_order)
    losers = wide.xs("loser", level="response").reindex(pair_order)
    if winners.shape[1] == 0:
        raise DataError("judgments: no value columns")
    return winners, losers
