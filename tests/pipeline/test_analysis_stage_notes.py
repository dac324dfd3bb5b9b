"""The analysis stage turns degenerate data into notes, and nothing else: a config or model error
fails the stage so its degraded result is never checkpointed as done."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gpla.config import parse_config
from gpla.errors import ConfigError, DataError, ModelError
from gpla.stages.analysis import _attempt, _schwartz
from gpla.stages.context import ModelPool, StageContext


def _ctx(tmp_path: Path, **analysis: object) -> StageContext:
    config = parse_config({"lexicon": {"file": "x.csv"}, "analysis": {"n_factors": 2, **analysis}})
    return StageContext(config, tmp_path, ModelPool(), "test", logging.getLogger("test"), "analysis")


def _raise(err: BaseException) -> None:
    raise err


def test_degenerate_data_becomes_a_note(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    assert _attempt(ctx, "PCA", lambda: _raise(DataError("3 subjects"))) is None
    assert _attempt(ctx, "alpha", lambda: _raise(np.linalg.LinAlgError("singular"))) is None
    assert ctx.notes == ["PCA skipped: 3 subjects", "alpha skipped: singular"]


@pytest.mark.parametrize("err", [ConfigError("analysis.x: bad"), ModelError("server down"), KeyError("bug")])
def test_config_model_and_other_errors_fail_the_stage(tmp_path: Path, err: Exception) -> None:
    ctx = _ctx(tmp_path)
    with pytest.raises(type(err)):
        _attempt(ctx, "PCA", lambda: _raise(err))
    assert ctx.notes == []


def test_a_missing_schwartz_file_is_a_config_error_not_a_note(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, schwartz_scores=str(tmp_path / "absent.csv"))
    X = pd.DataFrame(np.eye(4), index=pd.Index(list("abcd"), name="subject_id"), columns=list("wxyz"))
    loadings = pd.DataFrame({"RC1": [0.9, 0.8, 0.1, 0.0]}, index=list("wxyz"))
    with pytest.raises(ConfigError, match="schwartz_scores"):
        _attempt(ctx, "Table 12 correlations", lambda: _schwartz(ctx, X, loadings, tmp_path))
