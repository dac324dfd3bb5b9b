"""Cronbach's alpha against psych::alpha on psych::bfi (`$GPLA_SHARED/data/psych/bfi_alpha.csv`) and the
Feldt interval against the GPLA paper's Table 1 (`$GPLA_SHARED/reference/gpla_five_factor_*.csv`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.analysis.data import read_csv_data
from gpla.analysis.reliability import cronbach_alpha, feldt_interval
from gpla.errors import DataError
from gpla.shared import shared_path


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return read_csv_data(shared_path("data", "psych", "bfi.csv")).iloc[:, :25].dropna()


def _scales() -> list[tuple[str, list[str], list[str], float, float]]:
    ref = pd.read_csv(shared_path("data", "psych", "bfi_alpha.csv"))
    out = []
    for row in ref.itertuples():
        keyed = row.items.split()  # "-A1 A2 ...": "-" marks a reverse-keyed item
        items = [k.lstrip("-") for k in keyed]
        reverse = [k[1:] for k in keyed if k.startswith("-")]
        out.append((row.scale, items, reverse, row.raw_alpha, row.std_alpha))
    return out


@pytest.mark.parametrize(("scale", "items", "reverse", "raw", "std"), _scales())
def test_alpha_equals_psych(
    bfi: pd.DataFrame, scale: str, items: list[str], reverse: list[str], raw: float, std: float
) -> None:
    result = cronbach_alpha(bfi[items], reverse=reverse)
    assert result.alpha == pytest.approx(raw, abs=1e-4)
    assert result.std_alpha == pytest.approx(std, abs=1e-4)
    assert (result.n_items, result.n_obs, result.ci_method) == (5, 2436, "feldt")
    assert result.ci_low < result.alpha < result.ci_high


def test_reverse_keying_matters(bfi: pd.DataFrame) -> None:
    keyed = cronbach_alpha(bfi[["A1", "A2", "A3", "A4", "A5"]], reverse=["A1"]).alpha
    unkeyed = cronbach_alpha(bfi[["A1", "A2", "A3", "A4", "A5"]]).alpha
    assert keyed > unkeyed + 0.1


def test_feldt_interval_reproduces_gpla_table_1() -> None:
    # Table 1 reports alpha and its 95% CI per factor for the 693 LLM subjects; items per factor from Table 10.
    alphas = pd.read_csv(shared_path("reference", "gpla_five_factor_alphas.csv"))
    n_items = (
        pd.read_csv(shared_path("reference", "gpla_five_factor_loadings.csv"))
        .groupby("factor")
        .size()
    )
    for row in alphas.itertuples():
        low, high = feldt_interval(row.alpha, 693, int(n_items[row.factor]))
        assert low == pytest.approx(row.ci_low, abs=6e-4)  # the paper rounds to 3 decimals
        assert high == pytest.approx(row.ci_high, abs=6e-4)


def test_item_statistics_match_their_definitions(bfi: pd.DataFrame) -> None:
    items = ["N1", "N2", "N3", "N4", "N5"]
    result = cronbach_alpha(bfi[items])
    for item in items:
        rest = [i for i in items if i != item]
        assert result.alpha_if_deleted[item] == pytest.approx(
            cronbach_alpha(bfi[rest]).alpha, abs=1e-12
        )
        # psych's r.drop: the item against the sum of the other items
        assert result.item_total[item] == pytest.approx(
            bfi[item].corr(bfi[rest].sum(axis=1)), abs=1e-12
        )


def test_bootstrap_ci_is_seeded_and_agrees_with_feldt(bfi: pd.DataFrame) -> None:
    items = bfi[["C1", "C2", "C3", "C4", "C5"]]
    boot = cronbach_alpha(items, reverse=["C4", "C5"], ci="bootstrap", n_boot=500, random_state=3)
    again = cronbach_alpha(items, reverse=["C4", "C5"], ci="bootstrap", n_boot=500, random_state=3)
    other = cronbach_alpha(items, reverse=["C4", "C5"], ci="bootstrap", n_boot=500, random_state=4)
    feldt = cronbach_alpha(items, reverse=["C4", "C5"])
    assert boot.ci_method == "bootstrap"
    assert (boot.ci_low, boot.ci_high) == (again.ci_low, again.ci_high)
    assert (boot.ci_low, boot.ci_high) != (other.ci_low, other.ci_high)
    assert boot.ci_low < boot.alpha < boot.ci_high
    assert boot.ci_low == pytest.approx(feldt.ci_low, abs=0.01)
    assert boot.ci_high == pytest.approx(feldt.ci_high, abs=0.01)


def test_pairwise_alpha_uses_every_row() -> None:
    rng = np.random.default_rng(0)
    common = rng.standard_normal((300, 1))
    X = pd.DataFrame(common + rng.standard_normal((300, 4)), columns=list("abcd"))
    full = cronbach_alpha(X)
    X.iloc[::10, 0] = np.nan
    with pytest.raises(DataError, match="listwise"):
        cronbach_alpha(X)
    pairwise = cronbach_alpha(X, missing="pairwise")
    listwise = cronbach_alpha(X, missing="listwise")
    assert pairwise.n_obs == 300 and listwise.n_obs == 270
    assert pairwise.alpha == pytest.approx(full.alpha, abs=0.02)


def test_unknown_reverse_item_is_an_error(bfi: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="Z9"):
        cronbach_alpha(bfi[["A1", "A2"]], reverse=["Z9"])


def test_bootstrap_with_undefined_resamples_is_an_error_not_a_narrower_interval() -> None:
    # 4 rows: some resamples repeat one row, so the scale sum is constant and alpha is 0/0.
    X = pd.DataFrame({"a": [1.0, 2, 1, 2], "b": [2.0, 1, 2, 2.5], "c": [1.0, 1, 2, 2]})
    with pytest.raises(DataError, match=r"undefined in \d+ of 200 resamples"):
        cronbach_alpha(X, ci="bootstrap", n_boot=200)


def test_items_that_cancel_out_are_an_error_not_minus_infinity() -> None:
    a = np.array([1.0, 2, 3, 4, 5, 6, 2, 3])
    with pytest.raises(DataError, match=r"items cancel out.*reverse-keyed"):
        cronbach_alpha(pd.DataFrame({"a": a, "b": 7 - a}))
    assert cronbach_alpha(pd.DataFrame({"a": a, "b": 7 - a}), reverse=["b"]).alpha == (
        pytest.approx(1.0)
    )


def test_two_item_scale(bfi: pd.DataFrame) -> None:
    # alpha of two items is 2·cov/(var₁ + var₂ + 2·cov); without one item nothing is left to correlate.
    result = cronbach_alpha(bfi[["A2", "A3"]])
    cov = bfi[["A2", "A3"]].cov().to_numpy()
    assert result.alpha == pytest.approx(4 * cov[0, 1] / cov.sum(), abs=1e-12)
    assert result.alpha_if_deleted.isna().all()
    assert result.item_total["A2"] == pytest.approx(bfi["A2"].corr(bfi["A3"]), abs=1e-12)
