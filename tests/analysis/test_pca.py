"""PCA, rotation, retention and pruning against R (psych 2.2.9 on psych::bfi, `$GPLA_SHARED/data/psych/`)
and against data simulated from the published GPLA five-factor system."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from five_factor_sim import published_loadings, simulate

from gpla.analysis.congruence import match_factors
from gpla.analysis.data import read_csv_data
from gpla.analysis.pca import PrincipalComponents
from gpla.analysis.pruning import prune_items
from gpla.shared import shared_path


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    items = read_csv_data(shared_path("data", "psych", "bfi.csv")).iloc[:, :25].dropna()
    assert items.shape == (2436, 25)  # the complete cases R's reference results use
    return items


@pytest.fixture(scope="module")
def bfi_auto(bfi: pd.DataFrame) -> PrincipalComponents:
    return PrincipalComponents("auto").fit(bfi)


@pytest.fixture(scope="module")
def r_loadings() -> pd.DataFrame:
    # psych::principal(items, nfactors=5, rotate="varimax")$loadings
    return pd.read_csv(
        shared_path("data", "psych", "bfi_principal_varimax_loadings.csv"), index_col=0
    )


def test_eigenvalues_equal_r(bfi_auto: PrincipalComponents) -> None:
    r = pd.read_csv(shared_path("data", "psych", "bfi_eigenvalues.csv"))  # eigen(cor(items))$values
    np.testing.assert_allclose(
        bfi_auto.eigenvalues_.to_numpy(), r["eigenvalue"].to_numpy(), atol=1e-10
    )


def test_varimax_loadings_equal_psych_principal(
    bfi_auto: PrincipalComponents, r_loadings: pd.DataFrame
) -> None:
    assert bfi_auto.n_factors_ == 5
    match = match_factors(bfi_auto.loadings_, r_loadings)
    assert (match.pairs["congruence"] > 0.9999).all()
    diff = (match.aligned - r_loadings.loc[match.aligned.index]).abs().to_numpy().max()
    # issue 2 asks for 1e-3; R's file has 6 decimals and we agree with it to its rounding
    assert diff < 1e-6


def test_factors_sorted_by_variance_with_positive_column_sums(
    bfi_auto: PrincipalComponents,
) -> None:
    loadings = bfi_auto.loadings_
    assert list(loadings.columns) == ["RC1", "RC2", "RC3", "RC4", "RC5"]
    assert (np.diff((loadings**2).sum().to_numpy()) <= 0).all()
    assert (loadings.sum() > 0).all()
    # Rotation keeps the variance of the retained components (psych's "Cumulative Var").
    kept = bfi_auto.eigenvalues_.iloc[:5].sum() / 25
    assert bfi_auto.explained_variance_.sum() == pytest.approx(kept, abs=1e-12)


def test_parallel_analysis_matches_r_and_is_reproducible(
    bfi: pd.DataFrame, bfi_auto: PrincipalComponents
) -> None:
    r_ncomp = int(shared_path("data", "psych", "bfi_parallel_ncomp.txt").read_text().strip())
    assert bfi_auto.n_factors_ == r_ncomp == 5
    again = PrincipalComponents("auto").fit(bfi)
    np.testing.assert_array_equal(again.parallel_, bfi_auto.parallel_)
    other_seed = PrincipalComponents("auto", random_state=7, n_iter=20, quantile=None).fit(bfi)
    assert not np.allclose(other_seed.parallel_, bfi_auto.parallel_)
    assert other_seed.n_factors_ == r_ncomp  # psych's own rule (mean of random eigenvalues) agrees


def test_kaiser_counts_eigenvalues_above_one(bfi: pd.DataFrame) -> None:
    r = pd.read_csv(shared_path("data", "psych", "bfi_eigenvalues.csv"))
    assert (
        PrincipalComponents("kaiser").fit(bfi).n_factors_ == int((r["eigenvalue"] > 1).sum()) == 6
    )


def test_promax_is_an_oblique_rotation_of_the_same_components(
    bfi: pd.DataFrame, bfi_auto: PrincipalComponents
) -> None:
    promax = PrincipalComponents(5, rotation="promax").fit(bfi)
    pattern, phi = promax.loadings_.to_numpy(), promax.factor_correlation_.to_numpy()
    np.testing.assert_allclose(np.diag(phi), 1.0, atol=1e-12)
    # communalities do not depend on the rotation: diag(P Φ Pᵀ) = h² of the unrotated components
    np.testing.assert_allclose(
        np.diag(pattern @ phi @ pattern.T), bfi_auto.communalities_, atol=1e-10
    )
    same = match_factors(promax.loadings_, bfi_auto.loadings_)
    assert (same.pairs["congruence"] > 0.95).all()
    # every item keeps its primary factor
    primary = same.aligned.abs().idxmax(axis=1)
    assert (primary == bfi_auto.loadings_.abs().idxmax(axis=1)).all()


def test_unrotated_components_are_named_pc(bfi: pd.DataFrame) -> None:
    model = PrincipalComponents(2, rotation="none").fit(bfi)
    assert list(model.loadings_.columns) == ["PC1", "PC2"]
    assert model.factor_correlation_ is None


def test_simulated_five_factor_system_is_recovered() -> None:
    X = simulate(n=693, seed=0)
    model = PrincipalComponents("auto").fit(X)
    assert model.n_factors_ == 5
    assert (
        PrincipalComponents("kaiser").fit(X).n_factors_ >= 10
    )  # Kaiser over-extracts (issue 2: ~13)
    match = match_factors(model.loadings_, published_loadings())
    assert len(match.pairs) == 5
    assert (match.pairs["congruence"] >= 0.95).all(), match.pairs


def test_scree_plot_writes_png(bfi_auto: PrincipalComponents, tmp_path: Path) -> None:
    path = bfi_auto.scree_plot(tmp_path / "scree.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pruning_drops_the_cross_loading_item_first(bfi: pd.DataFrame) -> None:
    # In R's varimax loadings A5 has the closest top two loadings: 0.572 (A) vs 0.436 (E), gap 0.136.
    result = prune_items(bfi, n_factors=5, min_loading=0.4, cross_margin=0.2)
    assert result.removed.columns.tolist() == ["variable", "step", "reason"]
    assert result.removed["variable"].iloc[0] == "A5"
    assert result.removed["reason"].iloc[0].startswith("cross-loads")
    assert result.removed["step"].tolist() == list(range(1, len(result.removed) + 1))
    assert sorted(result.kept + result.removed["variable"].tolist()) == sorted(bfi.columns)
    # the final pattern is clean by the same rule
    ranked = np.sort(result.model.loadings_.abs().to_numpy(), axis=1)[:, ::-1]
    assert (ranked[:, 0] >= 0.4).all() and (ranked[:, 0] - ranked[:, 1] >= 0.2).all()
    assert result.model.n_factors_ == 5


def test_pruning_drops_the_weakest_item_first(bfi: pd.DataFrame) -> None:
    # O4's largest |loading| in R's solution is 0.494, the smallest of all 25 items.
    result = prune_items(bfi, n_factors=5, min_loading=0.5, cross_margin=0.0, max_steps=1)
    assert result.removed.to_dict("records")[0]["variable"] == "O4"
    assert result.removed["reason"].iloc[0].startswith("weak")
    assert "O4" not in result.kept and len(result.kept) == 24


def test_clean_data_loses_nothing(bfi: pd.DataFrame) -> None:
    result = prune_items(bfi, n_factors=5)
    assert result.removed.empty and result.kept == list(bfi.columns)
