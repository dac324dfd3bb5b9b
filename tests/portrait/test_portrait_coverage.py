"""Coverage of the value dimensions (VP Table 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.errors import DataError
from gpla.portrait.coverage import coverage
from gpla.portrait.items import ItemBank

# VP Table 2, row "Ours": shares for Uni, Ben, Con, Tra, Sec, Pow, Ach, Hed, Sti, Sel; Std 0.042; IR 3.69.
TABLE_2_OURS = (0.174, 0.128, 0.056, 0.056, 0.047, 0.127, 0.112, 0.076, 0.090, 0.134)


def test_reproduces_table_2_from_the_item_bank(bank: ItemBank) -> None:
    # Table 2 counts |r| > 0.3 without the p criterion: 553 pairs (549 with p < 0.05, VP §1).
    assert int(coverage(bank.correlations, "pvq").counts.sum()) == 549
    result = coverage(bank.correlations, "pvq", alpha=None)
    np.testing.assert_allclose(result.shares.to_numpy(), TABLE_2_OURS, atol=0.0005 + 1e-9)
    assert result.std == pytest.approx(0.042, abs=0.0005)
    assert result.imbalance_ratio == pytest.approx(3.69, abs=0.005)
    assert int(result.counts.sum()) == 553


def test_table_2_std_is_the_sample_sd() -> None:
    # The paper's ValueNet row: shares → Std 0.077 and IR 9.76 (IR from unrounded shares, so ≈).
    shares = pd.Series([0.076, 0.229, 0.024, 0.025, 0.165, 0.113, 0.050, 0.212, 0.079, 0.028])
    frame = pd.DataFrame({
        "family": "pvq",
        "dimension": np.repeat(["Universalism", "Benevolence", "Conformity", "Tradition", "Security", "Power",
                                "Achievement", "Hedonism", "Stimulation", "Self_Direction"], (shares * 1000).round().astype(int)),
        "rho": 0.5,
    })  # fmt: skip
    result = coverage(frame)
    assert result.std == pytest.approx(0.077, abs=0.0005)


def test_p_values_filter_when_present_and_empty_is_an_error() -> None:
    frame = pd.DataFrame({
        "family": "pvq", "dimension": ["Power", "Power", "Hedonism"],
        "rho": [0.5, -0.4, 0.6], "p_value": [0.01, 0.2, 0.001],
    })  # fmt: skip
    result = coverage(frame)
    assert result.counts["Power"] == 1 and result.counts["Hedonism"] == 1
    assert result.imbalance_ratio == float("inf")
    with pytest.raises(DataError, match="no significant bfi correlations"):
        coverage(frame, "bfi")
