"""Cross-dataset consistency (App. B.3, Table 11) and correlations with Schwartz values (App. B.4, Table 12)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gpla.errors import DataError
from gpla.validity import (
    consistency_safety_correlation,
    correlate_with_schwartz,
    cross_dataset_consistency,
    salad_bench_safety,
)


def _pearson(x: list[float], y: list[float]) -> float:
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    return sxy / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))


def test_consistency_is_the_per_llm_correlation_of_its_two_value_vectors() -> None:
    a = pd.DataFrame(
        {"care": [1.0, 0.2], "risk": [-1.0, 0.4], "rules": [0.5, np.nan], "logic": [0.0, 0.9]},
        index=["gpt", "llama"],
    )
    # B lists the LLMs and values in another order: matching is by name.
    b = pd.DataFrame(
        {"logic": [0.3, 0.1], "care": [0.1, 0.8], "risk": [0.5, -0.6], "rules": [0.2, 0.7]},
        index=["llama", "gpt"],
    )
    table = cross_dataset_consistency(a, b)
    # Hand-computed: gpt over all 4 values; llama over the 3 measured in both (rules missing in A).
    expected_gpt = _pearson([1.0, -1.0, 0.5, 0.0], [0.8, -0.6, 0.7, 0.1])
    expected_llama = _pearson([0.2, 0.4, 0.9], [0.1, 0.5, 0.3])
    assert table.loc["gpt", "correlation"] == pytest.approx(expected_gpt, abs=1e-12)
    assert table.loc["llama", "correlation"] == pytest.approx(expected_llama, abs=1e-12)
    assert table["n_values"].tolist() == [4, 3]
    assert list(table.index) == ["gpt", "llama"]


def test_consistency_safety_correlation_reproduces_table_11() -> None:
    # GPLA paper, Table 11: intra-LLM correlations (the safety scores are the packaged SALAD-Bench copy);
    # App. B.3 reports a mean of 0.87 and a correlation with safety of 0.73.
    correlations = pd.Series(
        {
            "gemma-2b": 0.953,
            "gemma-7b": 0.945,
            "gpt-3.5-turbo": 0.966,
            "gpt-4-turbo": 0.917,
            "internlm-chat-7b": 0.886,
            "internlm2-chat-7b": 0.960,
            "Llama-2-7b": 0.985,
            "Mistral-7B-Instruct-v0.1": 0.186,
            "Mistral-7B-Instruct-v0.2": 0.980,
            "Qwen1.5-0.5B-Chat": 0.947,
            "Qwen1.5-1.8B-Chat": 0.759,
            "Qwen1.5-14B-Chat": 0.922,
            "Qwen1.5-4B-Chat": 0.981,
            "Qwen1.5-72B-Chat": 0.893,
            "Qwen1.5-7B-Chat": 0.975,
            "vicuna-7b-v1.5-16k": 0.716,
            "Yi-6B-Chat": 0.897,
        }
    )
    assert correlations.mean() == pytest.approx(0.87, abs=0.005)
    link = consistency_safety_correlation(correlations, salad_bench_safety())
    assert link.r == pytest.approx(0.73, abs=0.005) and link.n == 17
    with pytest.raises(DataError, match="missing from the safety scores: 'my-llm'"):
        consistency_safety_correlation(pd.Series({"my-llm": 0.9}), salad_bench_safety())


def test_consistency_refuses_mismatched_llms_or_values() -> None:
    a = pd.DataFrame({"care": [1.0, 0.0, 0.3], "risk": [0.0, 1.0, 0.2]}, index=["x", "y", "z"])
    with pytest.raises(
        DataError, match=r"LLMs differ between A and B; only in A: 'z'; only in B: 'w'"
    ):
        cross_dataset_consistency(a, a.rename(index={"z": "w"}))
    with pytest.raises(DataError, match=r"values differ.*only in B: 'Risk'"):
        cross_dataset_consistency(a, a.rename(columns={"risk": "Risk"}))


def test_schwartz_table_rows_are_schwartz_values_and_columns_factors() -> None:
    factors = pd.DataFrame(
        {
            "Social Responsibility": [1.0, 2.0, 3.0, 4.0, 5.0],
            "Risk-taking": [2.0, 1.0, 4.0, 3.0, np.nan],
        },
        index=list("abcde"),
    )
    schwartz = pd.DataFrame(
        {"Benevolence": [1.0, 3.0, 2.0, 5.0, 4.0], "Security": [5.0, 4.0, 3.0, 2.0, 2.0]},
        index=list("edcba"),
    )
    result = correlate_with_schwartz(factors, schwartz)
    assert list(result.r.index) == ["Benevolence", "Security"]
    assert list(result.r.columns) == ["Social Responsibility", "Risk-taking"]
    benevolence = schwartz["Benevolence"].loc[list("abcde")].tolist()
    security = schwartz["Security"].loc[list("abcd")].tolist()
    assert result.r.loc["Benevolence", "Social Responsibility"] == pytest.approx(
        _pearson([1, 2, 3, 4, 5], benevolence), abs=1e-12
    )
    assert result.r.loc["Security", "Risk-taking"] == pytest.approx(
        _pearson([2, 1, 4, 3], security), abs=1e-12
    )
    assert result.n.loc["Security", "Risk-taking"] == 4
    spearman = correlate_with_schwartz(factors, schwartz, method="spearman")
    assert spearman.r.loc["Benevolence", "Social Responsibility"] == pytest.approx(
        _pearson([1, 2, 3, 4, 5], [4, 5, 2, 3, 1]), abs=1e-12
    )  # Pearson of the ranks


def test_schwartz_refuses_mismatched_subjects() -> None:
    factors = pd.DataFrame({"F": [1.0, 2.0, 3.0]}, index=["m1", "m2", "m3"])
    with pytest.raises(DataError, match=r"subjects differ.*only in factor scores: 'm3'"):
        correlate_with_schwartz(factors, pd.DataFrame({"Power": [1.0, 2.0]}, index=["m1", "m2"]))
