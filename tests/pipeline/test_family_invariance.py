"""The analysis stage's invariance test across model families, pinned to lavaan on psych::bfi: with the two
genders as two "families", it must give `$GPLA_SHARED/data/psych/bfi_gender_invariance.json`
(``lavaan::cfa(group="gender", group.equal=...)``; fit indices do not depend on which item is the marker)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from gpla.config import parse_config
from gpla.report.invariance import invariance_section
from gpla.shared import shared_path
from gpla.stages.context import ModelPool, StageContext
from gpla.stages.family_invariance import family_invariance

REVERSE = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


def _ctx(tmp_path: Path, families: dict[str, str] | None) -> StageContext:
    raw: dict[str, object] = {"lexicon": {"file": "x.csv"}}
    if families is not None:
        raw["subjects"] = {"models": list(families), "families": families}
    config = parse_config(raw)
    return StageContext(config, tmp_path, ModelPool(), "test", logging.getLogger("test"), "analysis")


@pytest.fixture(scope="module")
def bfi() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(shared_path("data", "psych", "bfi.csv"), index_col=0)
    data = data.iloc[:, :26].dropna()  # the 25 items and gender
    data.index = [f"s{i}" for i in data.index]
    subjects = pd.DataFrame({"subject_id": data.index,
                             "model": data["gender"].map({1: "llama-a", 2: "gpt-b"})})  # fmt: skip
    items = data.iloc[:, :25]
    loadings = pd.DataFrame(0.0, index=items.columns, columns=list("ACENO"))
    for item in items.columns:
        loadings.loc[item, item[0]] = -0.6 if item in REVERSE else 0.6
    return items, subjects, loadings


def test_families_from_the_config_give_lavaan_numbers(tmp_path: Path, bfi: tuple) -> None:
    items, subjects, loadings = bfi
    ctx = _ctx(tmp_path, {"llama-a": "Llama", "gpt-b": "GPT"})
    ctx.write("subjects", subjects)
    (tmp_path / "analysis").mkdir()
    family_invariance(ctx, items, loadings, tmp_path / "analysis")
    report = json.loads((tmp_path / "analysis" / "invariance.json").read_text())
    reference = json.loads(shared_path("data", "psych", "bfi_gender_invariance.json").read_text())
    assert report["groups"] == {"Llama": 805, "GPT": 1631}
    for level in ("configural", "metric", "scalar", "strict"):
        for name in ("chisq", "df", "cfi", "tli", "rmsea", "aic", "bic", "logl", "npar"):
            assert report[level][name] == pytest.approx(reference[level][name], rel=1e-8), (level, name)
    section = "\n".join(invariance_section(tmp_path))
    assert "families Llama (805), GPT (1631)" in section and "| strict |" in section


def test_without_families_the_report_says_not_run(tmp_path: Path, bfi: tuple) -> None:
    items, subjects, loadings = bfi
    ctx = _ctx(tmp_path, None)
    ctx.write("subjects", subjects)
    (tmp_path / "analysis").mkdir()
    family_invariance(ctx, items, loadings, tmp_path / "analysis")
    assert any("subjects carry no model family" in n for n in ctx.notes)
    section = "\n".join(invariance_section(tmp_path))
    assert "Not run: subjects carry no model family" in section
