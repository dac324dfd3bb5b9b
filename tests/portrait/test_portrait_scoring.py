"""Scores reproduce the paper's published tables from the authors' averaged answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.errors import DataError
from gpla.portrait.items import FAMILIES, ItemBank, default_items_path, load_items
from gpla.portrait.scoring import PAPER_BFI_FACTOR, keyed_items, score, wide_scores

# Value Portrait paper, Table 5 (and Table 7 for the last four), re-typed; columns Uni, Ben, Con, Tra,
# Sec, Pow, Ach, Hed, Sti, Sel. Keys are the file names in averaged_outputs/ (mistral-small =
# mistral-small-v24.09, mistral-small-24b-instruct-2501 = mistral-small-v25.01).
TABLE_5 = {
    "chatgpt-4o-latest": (0.06, 0.40, -0.02, -0.28, 0.14, -0.09, -0.14, -0.02, 0.03, 0.35),
    "gpt-3.5-turbo": (-0.04, 0.10, -0.09, -0.03, 0.22, -0.01, -0.01, -0.11, 0.10, 0.11),
    "gpt-4o-2024-05-13": (0.47, 0.79, 0.15, -0.35, 0.32, -0.30, -0.41, -0.22, -0.06, 0.62),
    "gpt-4o-2024-08-06": (0.38, 0.66, -0.09, -0.42, 0.14, -0.30, -0.26, -0.03, 0.12, 0.21),
    "gpt-4o-mini-2024-07-18": (0.32, 0.46, 0.05, -0.85, 0.43, -0.14, -0.33, -0.06, 0.19, 0.28),
    "o1-mini-2024-09-12": (0.23, 0.72, -0.10, -0.63, 0.11, 0.00, -0.33, -0.09, -0.13, 0.31),
    "claude-3-5-haiku-20241022": (0.01, 0.07, 0.03, -0.02, 0.02, -0.00, -0.03, -0.03, -0.01, 0.02),
    "claude-3-5-sonnet-20241022": (0.25, 0.54, 0.11, -0.37, 0.41, -0.24, -0.25, -0.14, -0.03, 0.33),
    "claude-3-haiku-20240307": (-0.02, 0.06, 0.10, -0.26, -0.04, 0.02, -0.09, -0.00, 0.17, 0.06),
    "claude-3-sonnet-20240229": (0.05, 0.12, 0.15, 0.01, 0.07, -0.11, -0.08, -0.10, 0.03, 0.10),
    "qwen-plus": (0.48, 0.45, 0.13, -0.41, 0.41, -0.23, -0.26, -0.22, 0.18, 0.35),
    "qwen-turbo": (-0.07, 0.13, 0.08, -0.41, 0.46, -0.01, -0.61, -0.04, 0.20, 0.43),
    "mistral-medium": (0.33, 0.36, 0.10, -0.53, 0.18, -0.08, -0.16, -0.16, 0.06, 0.12),
    "mistral-small": (0.08, -0.22, 0.19, -0.57, -0.15, -0.02, -0.02, -0.01, 0.45, -0.38),
    "mistral-small-24b-instruct-2501": (
        0.40,
        0.92,
        -0.13,
        -0.74,
        0.59,
        -0.20,
        -0.52,
        -0.06,
        0.20,
        0.60,
    ),
    "mistral-tiny": (0.07, 0.17, -0.03, -0.11, 0.10, -0.00, -0.17, -0.03, 0.07, 0.13),
    "llama-3.1-405b-instruct": (0.74, 0.84, 0.24, -0.55, 0.27, -0.29, -0.31, -0.14, -0.11, 0.33),
    "llama-3.1-8b-instruct": (-0.02, -0.01, 0.01, 0.18, -0.02, -0.04, -0.05, 0.01, 0.03, 0.06),
    "deepseek-chat": (0.25, 0.51, 0.06, -0.44, 0.52, -0.20, -0.26, -0.22, 0.08, 0.34),
    # Table 7
    "claude-3.7-sonnet": (0.32, 0.65, 0.15, -0.65, 0.45, -0.35, -0.33, 0.05, 0.09, 0.40),
    "gemini-2.0-flash-thinking-exp-01-21": (
        0.43,
        0.81,
        0.09,
        -0.10,
        0.30,
        -0.28,
        -0.39,
        -0.10,
        -0.20,
        0.64,
    ),
    "gemini-flash-1.5-8b": (0.06, 0.05, -0.03, -0.05, 0.32, -0.02, -0.24, -0.20, 0.15, -0.20),
    "qwq-32b": (0.47, 0.58, 0.14, -0.37, 0.47, -0.12, -0.38, -0.12, -0.17, 0.54),
}

# Cells where the published figure is not what the published answers give. gemini-2.0-flash-thinking's
# averaged file differs from the run behind Table 7 in five values (Tradition −0.148 vs −0.10 is no
# rounding); llama-3.1-8b's Stimulation is 0.0248, printed 0.03. Every other cell is within 0.005.
KNOWN_DIFFERENCES = {
    ("gemini-2.0-flash-thinking-exp-01-21", "Conformity"),
    ("gemini-2.0-flash-thinking-exp-01-21", "Tradition"),
    ("gemini-2.0-flash-thinking-exp-01-21", "Security"),
    ("gemini-2.0-flash-thinking-exp-01-21", "Achievement"),
    ("gemini-2.0-flash-thinking-exp-01-21", "Stimulation"),
    ("llama-3.1-8b-instruct", "Stimulation"),
}

# Table 6 (Big Five), re-typed: Openness, Conscientiousness, Extraversion, Agreeableness, Neuroticism.
TABLE_6 = {
    "chatgpt-4o-latest": (3.91, 3.83, 3.67, 3.71, 3.67),
    "gpt-3.5-turbo": (3.65, 3.74, 3.73, 3.64, 3.50),
    "gpt-4o-2024-05-13": (3.97, 3.90, 3.58, 3.71, 3.75),
    "gpt-4o-2024-08-06": (3.71, 3.45, 3.32, 3.40, 3.72),
    "gpt-4o-mini-2024-07-18": (4.17, 4.05, 3.67, 3.71, 3.53),
    "o1-mini-2024-09-12": (3.11, 3.12, 2.95, 3.10, 3.28),
    "claude-3-5-haiku-20241022": (3.42, 3.39, 3.34, 3.36, 3.33),
    "claude-3-5-sonnet-20241022": (3.89, 3.64, 3.30, 3.56, 3.50),
    "claude-3-haiku-20240307": (3.17, 3.19, 3.17, 3.13, 3.17),
    "claude-3-sonnet-20240229": (3.35, 3.30, 3.23, 3.25, 3.33),
    "qwen-plus": (4.04, 3.94, 3.41, 3.58, 3.42),
    "qwen-turbo": (3.88, 3.64, 3.26, 3.34, 2.94),
    "mistral-medium": (3.64, 3.63, 3.34, 3.43, 3.44),
    "mistral-small": (1.86, 2.40, 1.97, 2.04, 1.89),
    "mistral-small-24b-instruct-2501": (4.29, 3.93, 3.54, 3.68, 3.89),
    "mistral-tiny": (3.22, 3.22, 3.17, 3.18, 3.25),
    "llama-3.1-405b-instruct": (3.98, 3.51, 3.11, 3.22, 3.56),
    "llama-3.1-8b-instruct": (3.41, 3.33, 3.26, 3.29, 3.33),
    "deepseek-chat": (4.26, 4.13, 3.75, 3.86, 3.92),
}

TOL = 0.005 + 1e-9  # the tables print two decimals


@pytest.fixture(scope="module")
def scores(averaged: pd.DataFrame, bank: ItemBank) -> pd.DataFrame:
    return score(averaged, bank)


def test_reproduces_table_5(scores: pd.DataFrame) -> None:
    table = wide_scores(scores, "pvq")
    assert len(table) == 24
    off = set()
    for model, published in TABLE_5.items():
        for dimension, ours, theirs in zip(
            FAMILIES["pvq"], table.loc[model], published, strict=True
        ):
            if abs(ours - theirs) > TOL:
                off.add((model, dimension))
    assert off == KNOWN_DIFFERENCES
    # The one model of averaged_outputs/ with no published row (gemini-flash-1.5) is still scored.
    assert table.loc["gemini-flash-1.5"].notna().all()


def test_reproduces_table_6_on_the_papers_five_point_range(scores: pd.DataFrame) -> None:
    table = wide_scores(scores, "bfi", column="mean") * PAPER_BFI_FACTOR
    for model, published in TABLE_6.items():
        np.testing.assert_allclose(table.loc[model].to_numpy(), published, atol=TOL, err_msg=model)


# The pairs the authors' score.py leaves out by hand (holi-lab/ValuePortrait, lm_evaluation/score.py).
AUTHORS_EXCLUDED = {(3902, 4, "Achievement"), (1901, 1, "Universalism"), (2901, 4, "Extraversion")}


def _pairs(keyed: pd.DataFrame) -> set[tuple[int, int, str]]:
    return set(zip(keyed["portrait_id"], keyed["option_id"], keyed["dimension"], strict=True))


def test_the_p_rule_keeps_the_pairs_the_authors_kept(bank: ItemBank) -> None:
    kept = {}
    for family in FAMILIES:
        by_r = _pairs(keyed_items(bank, family, max_p=None))
        kept[family] = _pairs(keyed_items(bank, family))
        authors = by_r - AUTHORS_EXCLUDED
        if family == "higher_pvq":
            # The rule drops one pair the authors kept (r 0.301, p 0.056; no table shows it).
            assert authors - kept[family] == {(1902, 2, "Openness_to_Change")}
            assert kept[family] < authors
        else:
            assert kept[family] == authors, family
    assert {f: len(k) for f, k in kept.items()} == {"pvq": 284, "higher_pvq": 114, "bfi": 227}
    # Both signs: the paper's counts of significant pairs (§1: 549 with PVQ, 287 with BFI).
    assert len(keyed_items(bank, "pvq", reverse_negative=True)) == 549
    assert len(keyed_items(bank, "bfi", reverse_negative=True)) == 287


def test_without_the_p_rule_table_5_is_not_reproduced(
    averaged: pd.DataFrame, bank: ItemBank
) -> None:
    # Ignoring p-values, qwen-plus Universalism is 0.42, not the published 0.48.
    plain = wide_scores(score(averaged, bank, families=["pvq"], max_p=None), "pvq")
    assert plain.loc["qwen-plus", "Universalism"] == pytest.approx(0.423, abs=0.001)
    ruled = wide_scores(score(averaged, bank, families=["pvq"]), "pvq")
    assert ruled.loc["qwen-plus", "Universalism"] == pytest.approx(0.48, abs=TOL)


def test_p_values_come_with_the_bank_and_are_required(bank: ItemBank) -> None:
    # The bank file lists r only; the authors' correlation files give the same r and the p-values.
    bare = load_items(default_items_path())
    assert bare.correlations["p_value"].isna().all()
    keys = ["portrait_id", "option_id", "family", "dimension"]
    both = bare.correlations.merge(bank.correlations, on=keys, validate="one_to_one")
    assert len(both) == 9880 and (both["r_x"] == both["r_y"]).all()
    assert bank.correlations["p_value"].notna().all()
    with pytest.raises(DataError, match="no p-value for 286 pvq item–dimension pair"):
        keyed_items(bare, "pvq")
    assert len(keyed_items(bare, "pvq", max_p=None)) == 286
    assert len(keyed_items(bank, "pvq", max_p=0.001)) < 284  # the threshold is an option


def test_item_counts_and_centering(
    scores: pd.DataFrame, averaged: pd.DataFrame, bank: ItemBank
) -> None:
    pvq = scores[(scores["family"] == "pvq") & (scores["model"] == "mistral-tiny")].set_index(
        "dimension"
    )
    assert pvq["n"].to_dict() == {
        "Universalism": 15, "Benevolence": 13, "Conformity": 23, "Tradition": 12, "Security": 14,
        "Power": 64, "Achievement": 56, "Hedonism": 33, "Stimulation": 43, "Self_Direction": 11,
    }  # fmt: skip
    keyed = keyed_items(bank, "pvq")
    union = set(zip(keyed["portrait_id"], keyed["option_id"], strict=True))
    answers = averaged[averaged["model"] == "mistral-tiny"]
    centre = answers[
        [k in union for k in zip(answers["portrait_id"], answers["option_id"], strict=True)]
    ]["numeric_response"].mean()
    np.testing.assert_allclose(pvq["mean"] - pvq["centered_mean"], centre)


def test_reverse_scoring_uses_negative_items_as_7_minus_x(bank: ItemBank) -> None:
    keyed = keyed_items(bank, "pvq", reverse_negative=True)
    item = keyed[keyed["sign"] < 0].iloc[0]
    answers = pd.DataFrame({
        "model": "m", "portrait_id": [item["portrait_id"]], "option_id": [item["option_id"]], "numeric_response": [2.0],
    })  # fmt: skip
    result = score(answers, bank, families=["pvq"], reverse_negative=True)
    row = result[result["dimension"] == item["dimension"]].iloc[0]
    assert row["n"] == 1 and row["mean"] == pytest.approx(5.0)


def test_missing_answers_are_left_out_and_foreign_items_refused(
    averaged: pd.DataFrame, bank: ItemBank
) -> None:
    one = averaged[averaged["model"] == "mistral-tiny"].copy()
    one.loc[one.index[:100], "numeric_response"] = np.nan
    result = score(one, bank, families=["pvq"])
    full = pd.Series([15, 13, 23, 12, 14, 64, 56, 33, 43, 11])  # mistral-tiny's counts above
    assert (result["n"] <= full).all() and result["n"].sum() < full.sum()
    assert result["centered_mean"].notna().all()
    foreign = pd.DataFrame(
        {"model": "m", "portrait_id": [7], "option_id": [1], "numeric_response": [3.0]}
    )
    with pytest.raises(DataError, match="none of the 1 answered items counts for a pvq dimension"):
        score(foreign, bank, families=["pvq"])
