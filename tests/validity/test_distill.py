"""Alignment-target distillation (paper §5.3, Eq. 3–4): exact solver vs brute force, progress, reward."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpla.errors import DataError
from gpla.validity import (
    AlignmentReward,
    distill_coordinate,
    distill_progress,
    distill_target,
    pairs_from_judgments,
)
from gpla.validity.distill import objective

# Measurements on GPV's [-1, 1] scale; a coarse grid makes ties (the hard case) frequent.
grid_scores = st.integers(-4, 4).map(lambda k: k / 4)
real_scores = st.floats(-1, 1, allow_nan=False, allow_subnormal=False)
pairs = st.integers(1, 9).flatmap(
    lambda n: st.tuples(
        *(st.lists(st.one_of(grid_scores, real_scores), min_size=n, max_size=n) for _ in "wl")
    )
)


@settings(max_examples=200, deadline=None, database=None)
@given(pairs)
def test_coordinate_solver_equals_brute_force(instance: tuple[list[float], list[float]]) -> None:
    winners, losers = np.array(instance[0]), np.array(instance[1])
    x = distill_coordinate(winners, losers)
    points = np.concatenate([winners, losers])
    values = np.array([objective(p, winners, losers) for p in points])
    best = values.min()
    tol = 1e-12 * max(1.0, float(np.abs(points).sum()))  # the solver's tie tolerance
    assert objective(x, winners, losers) <= best + 2 * tol
    # Ties go to the minimiser closest to 0 (then the smaller one).
    clear_minimisers = points[values <= best + tol / 2]
    assert (abs(x), x) <= min((abs(p), p) for p in clear_minimisers)
    # Exact over the reals too: f is linear between kinks, so checking midpoints and beyond suffices.
    kinks = np.unique(points)
    probes = np.concatenate([[kinks[0] - 1, kinks[-1] + 1], (kinks[1:] + kinks[:-1]) / 2])
    assert min(objective(p, winners, losers) for p in probes) >= best - tol


def test_target_on_a_hand_worked_example() -> None:
    # Value "care": winners 1, 1, 0.5; losers −1, 0, 1 → f(1) = 0.5 − 3 = −2.5 is the minimum.
    # Value "risk": winners −1 everywhere, losers 1 → x = −1.
    winners = pd.DataFrame({"care": [1.0, 1.0, 0.5], "risk": [-1.0, -1.0, -1.0]})
    losers = pd.DataFrame({"care": [-1.0, 0.0, 1.0], "risk": [1.0, 1.0, 1.0]})
    target = distill_target(winners, losers)
    assert target.to_dict() == {"care": 1.0, "risk": -1.0}
    assert objective(1.0, winners["care"].to_numpy(), losers["care"].to_numpy()) == -2.5


def test_missing_measurements_count_as_neutral_or_drop_the_pair() -> None:
    winners = pd.DataFrame({"v": [1.0, np.nan, np.nan]})
    losers = pd.DataFrame({"v": [-1.0, 1.0, 1.0]})
    # zero: winners 1, 0, 0 vs losers −1, 1, 1 → f(0) = 1 − 3 = −2, f(1) = 2 − 2 = 0, f(−1) = 4 − 4 = 0.
    assert distill_target(winners, losers)["v"] == 0.0
    # drop: only pair 0 counts → x = 1.
    assert distill_target(winners, losers, missing="drop")["v"] == 1.0
    nothing = distill_target(
        pd.DataFrame({"v": [np.nan]}), pd.DataFrame({"v": [0.5]}), missing="drop"
    )
    assert np.isnan(nothing["v"])


def test_progress_tracks_the_target_as_pairs_accumulate() -> None:
    rng = np.random.default_rng(0)
    n = 250
    # Preferred responses express "care" (+) and avoid "risk" (−); the target settles at (1, −1).
    winners = pd.DataFrame(
        {
            "care": rng.choice([0.0, 0.5, 1.0], n, p=[0.2, 0.3, 0.5]),
            "risk": rng.choice([-1.0, 0.0, 0.5], n, p=[0.5, 0.3, 0.2]),
        }
    )
    losers = pd.DataFrame(
        {"care": rng.choice([-1.0, 0.0, 0.5], n), "risk": rng.choice([0.0, 0.5, 1.0], n)}
    )
    progress = distill_progress(winners, losers, every=50)
    assert list(progress.targets.index) == [50, 100, 150, 200, 250]
    pd.testing.assert_series_equal(
        progress.targets.iloc[-1], distill_target(winners, losers), check_names=False
    )
    assert progress.targets.iloc[-1].to_dict() == {"care": 1.0, "risk": -1.0}
    table = progress.table()
    assert list(table.columns[:2]) == ["l1_change", "l1_to_final"] and np.isnan(
        table["l1_change"].iloc[0]
    )
    assert progress.distance_to_final.loc[progress.converged_at() :].eq(0).all()
    assert progress.converged_at() <= 250


def test_reward_is_negative_l1_distance_to_the_target() -> None:
    reward = AlignmentReward(pd.Series({"care": 1.0, "risk": -1.0}))
    assert reward(pd.Series({"risk": 0.0, "care": 0.5, "other": 3.0})) == -1.5
    batch = pd.DataFrame({"care": [1.0, np.nan], "risk": [-1.0, 1.0]})
    np.testing.assert_allclose(reward(batch), [0.0, -3.0])  # missing care = neutral 0 → |1 − 0|
    np.testing.assert_allclose(AlignmentReward(reward.target, missing="drop")(batch), [0.0, -2.0])
    assert reward(np.array([1.0, -1.0])) == 0.0
    with pytest.raises(DataError, match="lack value"):
        reward(pd.Series({"care": 1.0}))
    with pytest.raises(DataError, match="expected 2 values"):
        reward(np.zeros(3))


def test_judgments_long_and_wide_formats() -> None:
    long = pd.DataFrame(
        {
            "pair_id": ["p2", "p2", "p2", "p2", "p1", "p1"],
            "response": ["winner", "winner", "loser", "loser", "chosen", "rejected"],
            "value": ["care", "care", "care", "risk", "risk", "risk"],
            "score": [1.0, 0.0, -1.0, 1.0, -1.0, 0.5],
        }
    )
    winners, losers = pairs_from_judgments(long)
    assert list(winners.index) == ["p2", "p1"] and list(winners.columns) == ["care", "risk"]
    assert winners.loc["p2", "care"] == 0.5  # two perceptions averaged
    assert np.isnan(winners.loc["p2", "risk"]) and losers.loc["p1", "risk"] == 0.5
    wide = pd.DataFrame({"pair_id": [1, 1], "response": ["loser", "winner"], "care": [0.0, 1.0]})
    w, lo = pairs_from_judgments(wide)
    assert w.loc["1", "care"] == 1.0 and lo.loc["1", "care"] == 0.0


def test_judgments_errors_name_the_pair_or_row() -> None:
    with pytest.raises(DataError, match="without both a winner and a loser: p9"):
        pairs_from_judgments(
            pd.DataFrame({"pair_id": ["p9"], "response": ["winner"], "care": [1.0]})
        )
    with pytest.raises(DataError, match="row 0 has 'best'"):
        pairs_from_judgments(pd.DataFrame({"pair_id": ["p9"], "response": ["best"], "care": [1.0]}))
    with pytest.raises(DataError, match="need columns pair_id and response"):
        pairs_from_judgments(pd.DataFrame({"id": [1]}))
