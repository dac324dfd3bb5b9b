"""The analysis stage's EFA beside PCA (``analysis.method = "efa"``) and omega beside alpha in Table 1,
on psych::bfi's 2,436 complete cases (R references: `$GPLA_SHARED/data/psych/bfi_fa_minres_oblimin_*`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from gpla.analysis.omega import CFAOmega
from gpla.analysis.reliability import reverse_items
from gpla.config import parse_config
from gpla.report.build import _efa_section
from gpla.report.tables import table1
from gpla.shared import shared_path
from gpla.stages.analysis import _alphas, _efa
from gpla.stages.context import ModelPool, StageContext

REVERSE = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


def _ctx(tmp_path: Path, **analysis: object) -> StageContext:
    config = parse_config({"lexicon": {"file": "x.csv"}, "analysis": {"n_factors": 5, **analysis}})
    return StageContext(config, tmp_path, ModelPool(), "test", logging.getLogger("test"), "analysis")


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return pd.read_csv(shared_path("data", "psych", "bfi.csv"), index_col=0).iloc[:, :25].dropna()


def test_efa_beside_pca_writes_psych_fa(tmp_path: Path, items: pd.DataFrame) -> None:
    ctx = _ctx(tmp_path, method="efa")
    assert ctx.config.analysis.efa_extraction == "minres" and ctx.config.analysis.efa_rotation == "oblimin"
    _efa(ctx, items, 5, tmp_path)
    loadings = pd.read_csv(tmp_path / "efa" / "loadings.csv", index_col=0)
    reference = pd.read_csv(shared_path("data", "psych", "bfi_fa_minres_oblimin_loadings.csv"), index_col=0)
    assert list(loadings.columns) == list(reference.columns)
    assert (loadings - reference).abs().to_numpy().max() < 1e-10
    fit = json.loads((tmp_path / "efa" / "fit.json").read_text())
    assert fit["RMSEA"] == pytest.approx(0.054801921446969, abs=1e-12)  # bfi_fa_minres_oblimin_stats.json
    assert any("EFA (minres + oblimin, 5 factors" in n for n in ctx.notes)
    (tmp_path / "analysis").mkdir()
    (tmp_path / "efa").rename(tmp_path / "analysis" / "efa")
    section = "\n".join(_efa_section(tmp_path))
    assert "psych::fa: minres + oblimin" in section and "RMSEA 0.055" in section and "| MR2 |" in section


def test_table1_shows_omega_beside_alpha(tmp_path: Path, items: pd.DataFrame) -> None:
    system = {s: [c for c in items.columns if c.startswith(s)] for s in "ACENO"}
    loadings = pd.DataFrame(0.0, index=items.columns, columns=list(system))
    for scale, members in system.items():
        loadings.loc[members, scale] = [-0.5 if m in REVERSE else 0.5 for m in members]
    _alphas(_ctx(tmp_path), items, loadings, system, tmp_path)
    alphas = pd.read_csv(tmp_path / "alphas.csv").set_index("factor")
    # the omega of a one-factor model per scale is compRelSEM of "A =~ A1 + ... + A5" (CFA equal to lavaan)
    cfa = CFAOmega("A =~ A1 + A2 + A3 + A4 + A5").fit(reverse_items(items[system["A"]], ["A1"]))
    assert alphas.at["A", "omega"] == pytest.approx(cfa.omega_["A"]["omega"], abs=1e-6)
    assert (alphas["omega"] > alphas["alpha"] - 0.02).all()  # omega ≥ alpha up to tau-equivalence slack
    table = table1(loadings, alphas.reset_index())
    assert list(table.columns)[-1] == "McDonald's Omega"
    assert table.loc[table["Factor"] == "A", "McDonald's Omega"].item() == f"{alphas.at['A', 'omega']:.3f}"
