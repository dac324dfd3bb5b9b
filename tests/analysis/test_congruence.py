"""Tucker's congruence and factor matching."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.analysis.congruence import match_factors, tucker_congruence
from gpla.errors import DataError


def test_congruence_by_hand() -> None:
    A = pd.DataFrame({"f": [1.0, 0.0, 0.0]}, index=list("xyz"))
    B = pd.DataFrame({"g": [1.0, 1.0, 0.0], "h": [0.0, 0.0, 2.0]}, index=list("xyz"))
    phi = tucker_congruence(A, B)
    assert phi.loc["f", "g"] == pytest.approx(1 / np.sqrt(2))
    assert phi.loc["f", "h"] == 0.0


def test_uses_shared_rows_only() -> None:
    A = pd.DataFrame({"f": [0.8, 0.7, 0.9]}, index=["a", "b", "extra"])
    B = pd.DataFrame({"g": [0.8, 0.7]}, index=["b", "a"])  # other order, one row fewer
    assert tucker_congruence(A, B).loc["f", "g"] == pytest.approx(
        (0.8 * 0.7 + 0.7 * 0.8) / (np.hypot(0.8, 0.7) ** 2)
    )


def test_matching_undoes_permutation_and_sign_flips() -> None:
    rng = np.random.default_rng(1)
    reference = pd.DataFrame(
        rng.uniform(-1, 1, (20, 4)),
        index=[f"v{i}" for i in range(20)],
        columns=["A", "B", "C", "D"],
    )
    ours = pd.DataFrame(
        {
            "RC1": -reference["C"],
            "RC2": reference["A"],
            "RC3": reference["D"],
            "RC4": -reference["B"],
        }
    )
    match = match_factors(ours, reference)
    pairs = match.pairs.set_index("ours")
    assert pairs["reference"].to_dict() == {"RC1": "C", "RC2": "A", "RC3": "D", "RC4": "B"}
    assert pairs["sign"].to_dict() == {"RC1": -1, "RC2": 1, "RC3": 1, "RC4": -1}
    np.testing.assert_allclose(pairs["congruence"], 1.0)
    pd.testing.assert_frame_equal(match.aligned[reference.columns], reference, check_names=False)


def test_unequal_numbers_of_factors_pair_what_they_can() -> None:
    reference = pd.DataFrame(np.eye(4)[:, :3] + 0.1, columns=["A", "B", "C"])
    ours = reference[["B", "A"]].set_axis(["RC1", "RC2"], axis=1)
    match = match_factors(ours, reference)
    assert match.pairs["reference"].tolist() == ["B", "A"]


def test_bad_inputs() -> None:
    A = pd.DataFrame({"f": [1.0, 2.0]}, index=["a", "b"])
    with pytest.raises(DataError, match="share no variables"):
        tucker_congruence(A, pd.DataFrame({"g": [1.0]}, index=["c"]))
    with pytest.raises(DataError, match="all-zero"):
        tucker_congruence(A, pd.DataFrame({"g": [0.0, 0.0]}, index=["a", "b"]))
    with pytest.raises(DataError, match="missing or infinite"):
        tucker_congruence(A, pd.DataFrame({"g": [np.nan, 1.0]}, index=["a", "b"]))
