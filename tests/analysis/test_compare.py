"""compare-systems on data simulated from the published GPLA five factors: the constructed system and
the published one fit the held-out data better than Schwartz's, in the paper's Table 2 format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from embedder_fixture import minilm  # noqa: F401
from five_factor_sim import simulate

from gpla.analysis.compare import TABLE_COLUMNS, Comparison, compare_systems
from gpla.errors import ConfigError, DataError
from gpla.models.base import EmbeddingModel
from gpla.systems import gpla_five_factor


def five_factor_data(n: int, per_factor: int = 8, seed: int = 0) -> pd.DataFrame:
    """The first `per_factor` values of each published factor (34 variables: a quick CFA)."""
    columns = [v for members in gpla_five_factor().factors.values() for v in members[:per_factor]]
    return simulate(n, seed)[columns]


@pytest.fixture(scope="module")
def comparison(minilm: EmbeddingModel) -> Comparison:  # noqa: F811
    # n = 300: the construction half (150 rows) is below 5 × 34 variables and is bootstrapped to 170
    # (§5.1: "construct it using half of the measurement data and bootstrap the data"); the CFA uses
    # the 150 held-out rows as they are.
    X = five_factor_data(300)
    return compare_systems(X, ["ours", "schwartz-h", "schwartz-l", "five-factor"], minilm, random_state=0)


def test_table_has_the_paper_columns(comparison: Comparison) -> None:
    table = comparison.table
    assert list(table.columns) == TABLE_COLUMNS
    assert list(table.index) == ["Ours", "Schwartz (H)", "Schwartz (L)", "GPLA five-factor"]
    assert (comparison.n_construct, comparison.n_holdout, comparison.n_cfa) == (150, 150, 150)
    assert comparison.n_pca == 170 and comparison.settings["bootstrap"] == "construction"
    assert (table["n"] == 150).all()
    assert table.loc["Ours", "#factors"] == 5 and table.loc["GPLA five-factor", "#factors"] == 5
    assert table.loc["Schwartz (H)", "#factors"] == 4
    assert "58 of its 92 values not in the data" in table.loc["GPLA five-factor", "note"]


def test_true_structure_fits_better_than_schwartz(comparison: Comparison) -> None:
    table = comparison.table
    for ours in ("Ours", "GPLA five-factor"):
        for schwartz in ("Schwartz (H)", "Schwartz (L)"):
            assert table.loc[ours, "CFI"] > table.loc[schwartz, "CFI"] + 0.2
            assert table.loc[ours, "GFI"] > table.loc[schwartz, "GFI"]
            assert table.loc[ours, "RMSEA"] < table.loc[schwartz, "RMSEA"]
            assert table.loc[ours, "BIC"] < table.loc[schwartz, "BIC"]
    assert table.loc["Ours", "CFI"] > 0.9  # a true model


def test_outputs_are_written(comparison: Comparison, tmp_path: Path) -> None:
    out = comparison.save(tmp_path / "cmp")
    table = pd.read_csv(out / "table.csv", index_col=0)
    assert list(table.index) == list(comparison.table.index)
    markdown = (out / "table.md").read_text()
    assert "| Ours | 5 |" in markdown
    assert (out / "models" / "schwartz__l.lavaan").read_text().count("=~") == table.loc["Schwartz (L)", "#factors"]
    mapping = pd.read_csv(out / "mapping_schwartz__h.csv")
    assert list(mapping.columns) == ["value", "factor", "similarity"] and len(mapping) == 34


def test_seeded_and_reproducible() -> None:
    X = five_factor_data(200, per_factor=4, seed=3)
    first = compare_systems(X, ["ours"], random_state=7).table
    again = compare_systems(X, ["ours"], random_state=7).table
    pd.testing.assert_frame_equal(first, again)


def test_mapped_systems_need_an_embedder() -> None:
    with pytest.raises(ConfigError, match="give an embedder"):
        compare_systems(five_factor_data(100, per_factor=4), ["schwartz-h"])


def test_theory_systems_on_all_rows_and_the_holdout_fraction() -> None:
    # 200 subjects, 20 variables: 5 x 20 = 100 rows needed, so no top-up in either case.
    X = five_factor_data(200, per_factor=4, seed=3)
    same = compare_systems(X, ["ours", "five-factor"], random_state=1)
    assert same.table["n"].tolist() == [100, 100]
    paper = compare_systems(X, ["ours", "five-factor"], random_state=1, theory_data="all")
    assert paper.table["n"].tolist() == [100, 200]  # the paper fitted Schwartz's on all data
    pd.testing.assert_series_equal(same.table.loc["Ours"], paper.table.loc["Ours"])  # ours unchanged
    quarter = compare_systems(X, ["ours"], random_state=1, holdout_fraction=0.25)
    assert (quarter.n_construct, quarter.n_holdout) == (150, 50)
    with pytest.raises(ConfigError, match="theory_data"):
        compare_systems(X, ["ours"], theory_data="half")  # type: ignore[arg-type]


def test_bootstrap_choices() -> None:
    # 120 subjects, 20 variables: 5 x 20 = 100 rows wanted, each half has 60.
    X = five_factor_data(120, per_factor=4, seed=2)
    sizes = {}
    for choice in ("construction", "holdout", "both", "none"):
        c = compare_systems(X, ["ours", "five-factor"], random_state=1, bootstrap=choice, theory_data="all")
        sizes[choice] = (c.n_pca, c.n_cfa, c.table["n"].tolist())
    assert sizes["construction"] == (100, 60, [60, 120])  # the paper: Schwartz's on all 120 rows
    assert sizes["holdout"] == (60, 100, [100, 120])
    assert sizes["both"] == (100, 100, [100, 120])
    assert sizes["none"] == (60, 60, [60, 120])
    with pytest.raises(ConfigError, match="bootstrap"):
        compare_systems(X, ["ours"], bootstrap="all")  # type: ignore[arg-type]


def test_pairwise_constructs_on_pairwise_correlations_and_each_cfa_is_listwise() -> None:
    X = five_factor_data(400, per_factor=4, seed=4)
    holes = X.mask(np.random.default_rng(0).random(X.shape) < 0.02)  # ~2% of cells, spread out
    with pytest.raises(DataError, match="missing values"):
        compare_systems(holes, ["ours"], random_state=1)
    c = compare_systems(holes, ["ours", "five-factor"], random_state=1, missing="pairwise")
    assert (c.n_construct, c.n_holdout) == (200, 200)  # no subject dropped before the split
    held_out = holes.iloc[np.random.default_rng(1).permutation(400)[200:]]  # the split random_state=1 makes
    for name, fit in c.fits.items():
        assert fit.cfa is not None and fit.system is not None, name
        complete = held_out.dropna(subset=list(fit.system.members))
        assert fit.cfa.n_obs_ == len(complete) < 200  # lavaan's listwise deletion, per model
