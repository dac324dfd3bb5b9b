"""Radar plots are written as real, non-empty PNG images."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gpla.errors import DataError
from gpla.portrait.items import ItemBank
from gpla.portrait.plots import radar_plot
from gpla.portrait.scoring import score

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def scores(averaged: pd.DataFrame, bank: ItemBank) -> pd.DataFrame:
    return score(averaged, bank, families=["pvq"])


def test_single_model_radar(scores: pd.DataFrame, tmp_path: Path) -> None:
    path = radar_plot(scores, tmp_path / "one.png", models=["gpt-4o-2024-08-06"])
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_overlay_radar(scores: pd.DataFrame, tmp_path: Path) -> None:
    one = radar_plot(scores, tmp_path / "one.png", models=["mistral-tiny"]).read_bytes()
    many = radar_plot(
        scores, tmp_path / "many.png", models=["mistral-tiny", "qwen-plus", "claude-3.7-sonnet"]
    )
    assert many.read_bytes().startswith(PNG_MAGIC)
    assert many.read_bytes() != one


def test_unknown_model_is_a_clear_error(scores: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no pvq scores for model"):
        radar_plot(scores, tmp_path / "x.png", models=["gpt-5"])
