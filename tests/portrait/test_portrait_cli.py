"""`gpla portrait …` commands, in process (typer's runner) and, for errors, as the real executable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gpla.cli import app
from gpla.errors import GplaError
from gpla.portrait.items import ItemBank
from gpla.portrait.responses import load_responses
from gpla.portrait.scoring import SCORE_COLUMNS, score

runner = CliRunner()
MODELS = ("gpt-4o-2024-08-06", "mistral-tiny", "qwen-plus")


@pytest.fixture(scope="module")
def three_models(vp_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("averaged")
    for model in MODELS:
        name = f"{model}_averaged_results.json"
        (folder / name).symlink_to(vp_data / "averaged_outputs" / name)
    return folder


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, ["portrait", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_score_and_radar(three_models: Path, tmp_path: Path, bank: ItemBank) -> None:
    out = tmp_path / "scores.csv"
    _ok(["score", "--responses", str(three_models), "--out", str(out)])
    table = pd.read_csv(out)
    assert list(table.columns) == SCORE_COLUMNS
    expected = score(load_responses(three_models), bank)
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    png = tmp_path / "radar.png"
    _ok(
        [
            "radar",
            "--scores",
            str(out),
            "--out",
            str(png),
            "--model",
            "mistral-tiny",
            "--model",
            "qwen-plus",
        ]
    )
    assert png.stat().st_size > 10_000


def test_score_options(three_models: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    _ok(
        [
            "score",
            "--responses",
            str(three_models),
            "--out",
            str(out),
            "--families",
            "pvq",
            "--max-p",
            "none",
        ]
    )
    table = pd.read_csv(out).set_index(["model", "dimension"])
    assert set(table["family"]) == {"pvq"}
    assert table.loc[("qwen-plus", "Universalism"), "centered_mean"] == pytest.approx(
        0.423, abs=0.001
    )


def test_average(vp_data: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in (vp_data / "raw_outputs").glob("mistral-tiny_*_results.json"):
        (raw / path.name).symlink_to(path)
    _ok(["average", "--raw", str(raw), "--out", str(tmp_path / "avg")])
    _ok(["average", "--raw", str(raw), "--out", str(tmp_path / "re"), "--reparse"])
    name = "mistral-tiny_averaged_results.json"
    assert (tmp_path / "re" / name).read_bytes() == (
        vp_data / "averaged_outputs" / name
    ).read_bytes()
    _ok(
        [
            "average",
            "--raw",
            str(raw),
            "--out",
            str(tmp_path / "st"),
            "--reparse",
            "--parsing",
            "strict",
        ]
    )
    assert (tmp_path / "st" / name).read_bytes() != (tmp_path / "re" / name).read_bytes()
    ours = (tmp_path / "avg" / "mistral-tiny_averaged_results.json").read_bytes()
    assert (
        ours == (vp_data / "averaged_outputs" / "mistral-tiny_averaged_results.json").read_bytes()
    )


def test_reliability(three_models: Path, tmp_path: Path) -> None:
    out = tmp_path / "alphas.csv"
    _ok(["reliability", "--responses", str(three_models), "--out", str(out)])
    table = pd.read_csv(out)
    assert len(table) == 10 and (table["n_models"] == 3).all()


def test_annotate_one_survey_batch(vp_data: Path, tmp_path: Path) -> None:
    batches = json.loads((vp_data / "survey" / "item_ratings.json").read_text(encoding="utf-8"))
    one = tmp_path / "ratings.json"
    one.write_text(json.dumps([batches[1]]), encoding="utf-8")
    out = tmp_path / "corr.csv"
    printed = _ok([
        "annotate", "--ratings", str(one), "--participants", str(vp_data / "survey" / "participant_scores.json"),
        "--out", str(out),
    ])  # fmt: skip
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "portrait_id",
        "option_id",
        "family",
        "dimension",
        "rho",
        "p_value",
        "n",
    ]
    assert len(table) == 40 * 19 and (table["n"] == 48).all()
    assert "pvq:" in printed and "significant" in printed


def test_coverage_prints_table_2(tmp_path: Path) -> None:
    printed = _ok(["coverage"])
    assert "std 0.042  imbalance ratio 3.69" in printed


def test_bad_input_raises_one_user_error(tmp_path: Path) -> None:
    cases = {
        "no such file or directory": ["score", "--responses", str(tmp_path / "none"), "--out", str(tmp_path / "x.csv")],
        "not PORTRAIT:OPTION:DIMENSION": [
            "score", "--responses", str(tmp_path), "--out", str(tmp_path / "x.csv"), "--exclusions", "3902-4",
        ],
        "--max-p: expected a number": [
            "score", "--responses", str(tmp_path), "--out", str(tmp_path / "x.csv"), "--max-p", "five",
        ],
        "parsing must be one of": ["average", "--raw", str(tmp_path), "--out", str(tmp_path), "--parsing", "x"],
        "--families": ["reliability", "--responses", str(tmp_path), "--out", "x.csv", "--families", "mbti"],
        "--family: expected one family": ["coverage", "--family", "pvq,bfi"],
    }  # fmt: skip
    for message, args in cases.items():
        result = runner.invoke(app, ["portrait", *args])
        assert isinstance(result.exception, GplaError) and message in str(result.exception)


def test_the_executable_prints_errors_without_traceback(tmp_path: Path) -> None:
    args = [
        "administer",
        "--model",
        "llamacpp:default",
        "--out",
        str(tmp_path / "a"),
        "--steer",
        "Honesty",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "gpla", "portrait", *args], capture_output=True, text=True
    )
    assert proc.returncode == 2, proc.stderr
    assert (
        proc.stderr.startswith("error: cannot steer toward 'Honesty'")
        and "Traceback" not in proc.stderr
    )
    assert not (tmp_path / "a").exists()  # nothing created before the options were checked
