"""LLM safety prediction: the Bradley–Terry probe (paper §5.2, Eq. 2) and its split protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from gpla.errors import DataError
from gpla.validity import (
    BradleyTerryProbe,
    compare_value_systems,
    evaluate_safety_prediction,
    pairwise_accuracy,
    salad_bench_safety,
)


def _planted(
    n_llms: int = 40, seed: int = 7, noise: float = 0.05
) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = [
        "Social Responsibility",
        "Risk-taking",
        "Rule-Following",
        "Self-Competence",
        "Rationality",
    ]
    X = pd.DataFrame(
        rng.normal(size=(n_llms, len(values))),
        columns=values,
        index=[f"llm-{i:02d}" for i in range(n_llms)],
    )
    w = np.array([0.8, -0.7, 0.8, -0.9, 0.8])
    safety = pd.Series(X.to_numpy() @ w + noise * rng.normal(size=n_llms), index=X.index)
    return X, safety, w


def test_probe_recovers_a_planted_linear_safety_function() -> None:
    X, safety, w = _planted()
    result = evaluate_safety_prediction(X, safety, n_splits=30, test_size=0.25, random_state=1)
    assert result.mean_accuracy > 0.9
    assert len(result.accuracy) == 30
    mean_w = result.coefficient_table()["coefficient_mean"].loc[X.columns].to_numpy()
    assert mean_w @ w / (np.linalg.norm(mean_w) * np.linalg.norm(w)) > 0.95
    assert np.array_equal(np.sign(mean_w), np.sign(w))


def test_probe_on_random_safety_is_near_chance() -> None:
    X, _, _ = _planted()
    shuffled = pd.Series(np.random.default_rng(0).permutation(len(X)), index=X.index, dtype=float)
    result = evaluate_safety_prediction(X, shuffled, n_splits=30, random_state=1)
    assert 0.3 < result.mean_accuracy < 0.7


def test_probe_solves_the_stationarity_condition_of_eq_2() -> None:
    # Two LLMs, one value: loss softplus(−d·w) + (l2/2)w²; the optimum has σ(−d·w)·d = l2·w.
    X = pd.DataFrame({"v": [1.0, 3.0]}, index=["safe", "risky"])
    probe = BradleyTerryProbe(l2=0.1, standardize=False).fit(
        X, pd.Series([2.0, 1.0], index=X.index)
    )
    d, w = 1.0 - 3.0, probe.coef_["v"]
    assert expit(-d * w) * d == pytest.approx(0.1 * w, abs=1e-6)
    assert w < 0 and probe.n_pairs_ == 1


def test_pairwise_accuracy_counts_pairs_by_hand() -> None:
    # pairs (0,1) right, (0,2) right, (1,2) wrong → 2/3; a predicted tie counts ½; tied safety is skipped.
    assert pairwise_accuracy(np.array([1, 2, 3]), np.array([1, 3, 2])) == pytest.approx(2 / 3)
    assert pairwise_accuracy(np.array([1, 1]), np.array([1, 2])) == 0.5
    assert pairwise_accuracy(np.array([1, 2, 5]), np.array([1, 1, 2])) == 1.0


def test_same_splits_for_every_value_system() -> None:
    X, safety, _ = _planted(n_llms=20)
    shuffled_rows = X.sample(frac=1.0, random_state=3)
    summary, results = compare_value_systems(
        {"ours": X, "again": shuffled_rows}, safety, n_splits=10
    )
    assert summary.loc["ours", "accuracy_mean"] == summary.loc["again", "accuracy_mean"]
    assert list(summary.columns) == [
        "accuracy_mean",
        "accuracy_sd",
        "n_llms",
        "n_values",
        "n_splits",
    ]
    assert set(results) == {"ours", "again"}


def test_mismatched_llm_names_are_one_clear_error() -> None:
    X, safety, _ = _planted(n_llms=10)
    with pytest.raises(DataError, match=r"missing from the safety scores: 'llm-03'"):
        evaluate_safety_prediction(X, safety.drop("llm-03"))
    with pytest.raises(DataError, match=r"only in b: 'other'"):
        compare_value_systems({"a": X, "b": X.rename(index={"llm-00": "other"})}, safety)
    gappy = X.copy()
    gappy.loc["llm-01", "Rationality"] = np.nan
    with pytest.raises(DataError, match="missing value for LLM 'llm-01', value 'Rationality'"):
        evaluate_safety_prediction(gappy, safety)
    with pytest.raises(DataError, match="fewer than 2 LLMs"):
        evaluate_safety_prediction(X.iloc[:3], safety, test_size=0.25)


def test_salad_bench_scores_are_the_papers_table_11() -> None:
    scores = salad_bench_safety()
    assert len(scores) == 17
    # GPLA paper, Table 11.
    assert scores["gemma-2b"] == 95.90 and scores["vicuna-7b-v1.5-16k"] == 44.46
    assert scores["Mistral-7B-Instruct-v0.1"] == 54.13
