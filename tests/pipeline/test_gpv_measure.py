"""GPV aggregation, pairing modes and subject construction (pure functions, hand-computed answers)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gpla.errors import ConfigError
from gpla.measure.gpv import aggregate, judgment_pairs, perceive
from gpla.measure.subjects import build_subjects, profiling_prompts

NAN = float("nan")


def _judgments() -> pd.DataFrame:
    # subject a: Honesty scores 0.5 and 0.1 (one irrelevant NaN ignored); b: Honesty 0.2, Care -0.4.
    return pd.DataFrame({
        "subject_id": ["a", "a", "a", "b", "b"],
        "perception_id": ["a1", "a2", "a3", "b1", "b2"],
        "value": ["Honesty", "Honesty", "Care", "Honesty", "Care"],
        "score": [0.5, 0.1, NAN, 0.2, -0.4],
    })


def test_aggregate_means_relevant_scores_and_counts_evidence() -> None:
    m = aggregate(_judgments(), ["a", "b", "c"], ["Honesty", "Care", "Wealth"], missing="nan")
    assert m.X.loc["a", "Honesty"] == pytest.approx(0.3)
    assert m.X.loc["b", "Care"] == pytest.approx(-0.4)
    assert math.isnan(m.X.loc["a", "Care"])
    assert m.n.loc["a"].tolist() == [2, 0, 0]
    # a: Care, Wealth; b: Wealth; c: all three → 6 cells without evidence.
    assert m.n_missing == 6
    assert m.empty_values == ["Wealth"]


def test_missing_cells_stay_missing_by_default() -> None:
    # GPV gives no score without a relevant perception: X must not invent one unless asked
    # (mean imputation moved to the analysis stage, analysis.missing = "mean").
    m = aggregate(_judgments(), ["a", "b", "c"], ["Honesty", "Care", "Wealth"])
    assert m.policy == "nan" and m.n_missing == 6
    assert int(m.X.isna().to_numpy().sum()) == 6
    assert math.isnan(m.X.loc["a", "Care"]) and m.X.loc["c"].isna().all()


def test_zero_policy_scores_missing_cells_neutral() -> None:
    m = aggregate(_judgments(), ["a", "b", "c"], ["Honesty", "Care", "Wealth"], missing="zero")
    assert m.X.loc["a", "Care"] == 0.0 and m.X.loc["c", "Honesty"] == 0.0
    assert m.X["Wealth"].isna().all()  # no evidence anywhere stays missing whatever the policy
    assert m.n_missing == 6
    with pytest.raises(ConfigError, match="'nan' or 'zero'"):
        aggregate(_judgments(), ["a"], ["Honesty"], missing="value_mean")  # type: ignore[arg-type]


def test_pairs_all_responses_vs_per_question() -> None:
    perceptions = pd.DataFrame({
        "perception_id": ["p1", "p2"], "subject_id": ["a", "a"],
        "question_value": ["Honesty", "Care"], "text": ["t1", "t2"],
    })
    every = judgment_pairs(perceptions, ["Honesty", "Care", "Wealth"], "all")
    assert len(every) == 6 and set(every["value"]) == {"Honesty", "Care", "Wealth"}
    own = judgment_pairs(perceptions, ["Honesty", "Care", "Wealth"], "per_question")
    assert own[["perception_id", "value"]].values.tolist() == [["p1", "Honesty"], ["p2", "Care"]]


class _Parser:
    """Splits on '.'; one doc fails like the real agent does (an error row)."""

    def parse(self, docs: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for doc_id, text in zip(docs["doc_id"], docs["text"], strict=True):
            if "FAIL" in text:
                rows.append({"perception_id": None, "doc_id": doc_id, "text": None, "error": "bad json"})
                continue
            for i, s in enumerate(p for p in text.split(".") if p.strip()):
                rows.append({"perception_id": f"{doc_id}-{i}", "doc_id": doc_id, "text": s.strip(), "error": None})
        return pd.DataFrame(rows)


def test_perceive_keeps_owner_and_question_and_drops_failures() -> None:
    responses = pd.DataFrame({
        "subject_id": ["m|default", "m|default", "m|power"],
        "value": ["Honesty", "Care", "Honesty"],
        "response": ["Be honest. Tell her.", "FAIL", "Win at all costs."],
    })
    out = perceive(_Parser(), responses)
    assert out["perception_id"].tolist() == ["m|default#Honesty#0", "m|default#Honesty#1", "m|power#Honesty#0"]
    assert out["subject_id"].tolist() == ["m|default", "m|default", "m|power"]
    assert out["question_value"].tolist() == ["Honesty"] * 3


def test_subjects_are_models_times_profiles() -> None:
    table = profiling_prompts()
    # GPLA paper Table 7: 21 anchoring prompts, the first the default assistant prompt.
    assert len(table) == 21 and table.loc[0, "system_prompt"] == "You are a helpful assistant."
    subjects = build_subjects(["m1", "m2"], [1, "Animal Welfare"], custom=[("Pirate", "Talk like a pirate.")])
    assert len(subjects) == 6 and subjects["subject_id"].is_unique
    assert subjects.loc[subjects["profile"] == "Pirate", "system_prompt"].iloc[0] == "Talk like a pirate."
    assert np.array_equal(subjects["model"].unique(), ["m1", "m2"])
