"""Missing cells of X: GPV leaves them missing, the analysis stage applies ``analysis.missing``
(pairwise by default, as psych) and reports the count. References: R 4.2.2 / psych 2.2.9 on all
2,800 rows of psych::bfi's 25 items with their 508 NAs (``r_reference/bfi_pairwise.R``)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gpla.analysis.congruence import match_factors
from gpla.analysis.data import read_csv_data
from gpla.config import parse_config
from gpla.report.build import _analysis_missing
from gpla.shared import shared_path
from gpla.stages.analysis import _alphas, _structure, prepare
from gpla.stages.context import ModelPool, StageContext
from gpla.stages.measure import run_x

REFERENCE = Path(__file__).parent / "r_reference"


def _ctx(tmp_path: Path, **analysis: object) -> StageContext:
    config = parse_config({"lexicon": {"file": "x.csv"},
                           "analysis": {"n_factors": 5, "prune": False, **analysis}})
    return StageContext(config, tmp_path, ModelPool(), "test", logging.getLogger("test"), "analysis")


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return read_csv_data(shared_path("data", "psych", "bfi.csv")).iloc[:, :25]


def test_x_keeps_missing_cells_and_counts_them(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    ctx.write("subjects", pd.DataFrame({"subject_id": ["a", "b"]}))
    ctx.write("lexicon", pd.DataFrame({"value": ["Honesty", "Care"]}))
    ctx.write("judgments", pd.DataFrame({"subject_id": ["a", "a", "b"], "value": ["Honesty", "Care", "Honesty"],
                                         "score": [0.5, 0.25, -0.5]}))
    run_x(ctx)
    X = ctx.read("X").set_index("subject_id")
    assert np.isnan(X.loc["b", "Care"]) and X.loc["a", "Care"] == 0.25  # nothing invented
    assert ctx.info["missing_cells"] == 1 and ctx.info["missing_policy"] == "nan"
    assert any("1 of 4 cells had no relevant perception" in n for n in ctx.notes)


def test_pairwise_is_the_default_and_keeps_every_subject(tmp_path: Path, items: pd.DataFrame) -> None:
    ctx = _ctx(tmp_path)
    X = prepare(ctx, items)
    n_missing = int((REFERENCE / "bfi_missing_cells.txt").read_text())  # R: sum(is.na(items))
    assert X.shape == (2800, 25) and int(X.isna().to_numpy().sum()) == n_missing == 508
    assert ctx.info["missing"] == {"policy": "pairwise", "cells": 508, "of": 2800 * 25}
    report = _analysis_missing({"stages": {"analysis": {"info": ctx.info}}})
    assert "508 of 70000 cells were missing" in report and "`pairwise`" in report


def test_pairwise_pca_equals_psych_principal(tmp_path: Path, items: pd.DataFrame) -> None:
    ctx = _ctx(tmp_path)
    model = _structure(ctx, prepare(ctx, items))
    r = pd.read_csv(REFERENCE / "bfi_principal_varimax_pairwise_loadings.csv", index_col=0)
    assert model.n_obs_ == 2800
    match = match_factors(model.loadings_, r)
    assert (match.pairs["congruence"] > 0.9999).all()
    assert (match.aligned - r.loc[match.aligned.index]).abs().to_numpy().max() < 1e-6


def test_pairwise_alpha_equals_psych_alpha(tmp_path: Path, items: pd.DataFrame) -> None:
    ctx = _ctx(tmp_path)
    X = prepare(ctx, items)
    reverse = {"A1", "C4", "C5", "E1", "E2", "O2", "O5"}
    system = {s: [c for c in items.columns if c.startswith(s)] for s in "ACENO"}
    loadings = pd.DataFrame(0.0, index=items.columns, columns=list(system))
    for scale, members in system.items():
        loadings.loc[members, scale] = [-1.0 if m in reverse else 1.0 for m in members]
    _alphas(ctx, X, loadings, system, tmp_path)
    ours = pd.read_csv(tmp_path / "alphas.csv").set_index("factor")
    r = pd.read_csv(REFERENCE / "bfi_alpha_pairwise.csv").set_index("scale")
    np.testing.assert_allclose(ours.loc[list("ACENO"), "alpha"], r.loc[list("ACENO"), "raw_alpha"], atol=1e-12)


def test_listwise_and_mean_only_when_asked(tmp_path: Path, items: pd.DataFrame) -> None:
    listwise = _ctx(tmp_path, missing="listwise")
    assert prepare(listwise, items).shape == (2436, 25)  # psych's complete cases
    assert any("508 missing cells: 364 incomplete subjects dropped (listwise)" in n for n in listwise.notes)
    mean = _ctx(tmp_path, missing="mean")
    imputed = prepare(mean, items)
    assert not imputed.isna().to_numpy().any()
    gap = items["A1"].isna()
    assert np.allclose(imputed.loc[gap, "A1"], items["A1"].mean())
    assert mean.info["missing"]["policy"] == "mean" and any("imputed" in n for n in mean.notes)


def test_stage_maps_with_its_own_embedder_and_keeps_missing_cells_to_the_end(tmp_path: Path) -> None:
    from gpla.stages.analysis import run_analysis
    from tests.analysis.five_factor_sim import simulate

    columns = ["Equity", "Empathy", "Teamwork", "Challenge", "Boldness", "Adventure"]
    X = simulate(120, seed=5)[columns]
    X = X.mask(np.random.default_rng(1).random(X.shape) < 0.03).rename_axis("subject_id").reset_index()
    n_missing = int(X[columns].isna().to_numpy().sum())
    config = parse_config({
        "lexicon": {"file": "x.csv"},
        # The dedup embedder cannot load: the mapping must not use it.
        "models": {"embedding": "st:/no/such/folder"},
        "analysis": {"n_factors": 2, "prune": False, "compare_systems": ["schwartz-h"],
                     "mapping_embedder": "st:default"},
    })
    ctx = StageContext(config, tmp_path, ModelPool(), "test", logging.getLogger("test"), "analysis")
    ctx.write("X", X)
    run_analysis(ctx)
    summary = ctx.info
    assert summary["mapping_embedder"] == "st:default" and summary["missing"]["cells"] == n_missing > 0
    assert summary["n_subjects"] == 120 and summary["n_construct"] == 60  # nobody dropped
    table = pd.read_csv(tmp_path / "analysis" / "cfa" / "table.csv", index_col=0)
    assert list(table.index) == ["Ours", "Schwartz (H)"] and table["CFI"].notna().all()
    assert (table["n"] < 60).all()  # each CFA listwise on its own variables
