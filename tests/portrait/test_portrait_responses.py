"""Reading averaged answers from directories, files and CSVs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from gpla.errors import DataError
from gpla.portrait.responses import load_responses


def test_directory_file_and_csv(vp_data: Path, tmp_path: Path, averaged: pd.DataFrame) -> None:
    assert averaged["model"].nunique() == 24 and len(averaged) == 24 * 520
    one = load_responses(vp_data / "averaged_outputs" / "mistral-tiny_averaged_results.json")
    assert set(one["model"]) == {"mistral-tiny"} and len(one) == 520
    csv = tmp_path / "answers.csv"
    one.drop(columns="model").to_csv(csv, index=False)
    back = load_responses(csv)
    assert set(back["model"]) == {"answers"}
    pd.testing.assert_series_equal(back["numeric_response"], one["numeric_response"])


def test_bad_answer_files(tmp_path: Path, vp_data: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_responses(tmp_path / "nothing")
    with pytest.raises(DataError, match=r"no \*_averaged_results\.json"):
        load_responses(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("portrait_id,option_id,numeric_response\n1003,1,9\n")
    with pytest.raises(DataError, match="9 of item \\(1003, 1\\) is not a number from 1 to 6"):
        load_responses(bad)
    missing = tmp_path / "missing.csv"
    missing.write_text("portrait_id,numeric_response\n1003,4\n")
    with pytest.raises(DataError, match="missing field\\(s\\) option_id"):
        load_responses(missing)
    twice = tmp_path / "twice"
    twice.mkdir()
    src = vp_data / "averaged_outputs" / "mistral-tiny_averaged_results.json"
    shutil.copy(src, twice / "a_averaged_results.json")
    dup = pd.concat([load_responses(src)] * 2).assign(model="m")
    dup.to_csv(twice / "dup.csv", index=False)
    with pytest.raises(DataError, match="more than once"):
        load_responses(twice / "dup.csv")
