"""`gpla bench …`: each command writes CSV + Markdown tables and names mismatched LLMs/subjects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from gpla.cli.bench import register
from gpla.errors import DataError
from gpla.validity import salad_bench_safety

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _values(
    path: Path, llms: list[str], seed: int = 0, values: tuple[str, ...] = ("care", "risk", "rules")
) -> Path:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(len(llms), len(values))), columns=list(values))
    frame.insert(0, "model", llms)
    frame.to_csv(path, index=False)
    return path


def _invoke(app: typer.Typer, args: list[str]) -> None:
    result = runner.invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output


def test_safety_command_writes_accuracy_and_coefficients(app, tmp_path) -> None:
    llms = list(salad_bench_safety().index)
    ours = _values(tmp_path / "ours.csv", llms, seed=1)
    _invoke(
        app,
        [
            "bench",
            "safety",
            "--values",
            str(ours),
            "--values",
            f"other={ours}",
            "--out",
            str(tmp_path / "out"),
            "--splits",
            "5",
        ],
    )
    accuracy = pd.read_csv(tmp_path / "out" / "accuracy.csv", index_col=0)
    assert list(accuracy.index) == ["ours", "other"] and accuracy["n_llms"].tolist() == [17, 17]
    assert (tmp_path / "out" / "accuracy.md").read_text().startswith("| system | accuracy_mean")
    coefficients = pd.read_csv(tmp_path / "out" / "coefficients.csv")
    assert set(coefficients["value"]) == {"care", "risk", "rules"}
    assert (tmp_path / "out" / "coefficients.md").read_text().startswith("| system | value |")


def test_safety_command_names_llms_without_safety_score(app, tmp_path) -> None:
    values = _values(tmp_path / "v.csv", ["gemma-2b", "gpt-5-imaginary", "gemma-7b", "gpt-4-turbo"])
    with pytest.raises(DataError, match="missing from the safety scores: 'gpt-5-imaginary'"):
        _invoke(app, ["bench", "safety", "--values", str(values), "--out", str(tmp_path / "o")])


def test_distill_command_writes_target_and_progress(app, tmp_path) -> None:
    judgments = pd.DataFrame(
        {
            "pair_id": [1, 1, 1, 1, 2, 2, 2, 2],
            "response": ["winner", "winner", "loser", "loser"] * 2,
            "value": ["care", "risk"] * 4,
            "score": [1.0, -1.0, 0.0, 1.0, 0.5, -0.5, -1.0, 0.5],
        }
    )
    judgments.to_csv(tmp_path / "judgments.csv", index=False)
    _invoke(
        app,
        [
            "bench",
            "distill",
            "--judgments",
            str(tmp_path / "judgments.csv"),
            "--out",
            str(tmp_path / "target.csv"),
            "--every",
            "1",
        ],
    )
    target = pd.read_csv(tmp_path / "target.csv", index_col=0)["target"]
    assert target.to_dict() == {"care": 1.0, "risk": -1.0}
    progress = pd.read_csv(tmp_path / "target_progress.csv", index_col=0)
    assert list(progress.index) == [1, 2] and (tmp_path / "target.md").is_file()


def test_distill_command_names_incomplete_pairs(app, tmp_path) -> None:
    pd.DataFrame(
        {
            "pair_id": ["a", "a", "b"],
            "response": ["winner", "loser", "loser"],
            "care": [1.0, 0.0, 0.0],
        }
    ).to_csv(tmp_path / "j.csv", index=False)
    with pytest.raises(DataError, match="without both a winner and a loser: b"):
        _invoke(
            app,
            [
                "bench",
                "distill",
                "--judgments",
                str(tmp_path / "j.csv"),
                "--out",
                str(tmp_path / "t.csv"),
            ],
        )


def test_consistency_command_with_safety(app, tmp_path) -> None:
    llms = list(salad_bench_safety().index)
    a = _values(tmp_path / "a.csv", llms, seed=2)
    frame = pd.read_csv(a)
    frame[["care", "risk", "rules"]] += np.random.default_rng(3).normal(
        scale=0.3, size=(len(llms), 3)
    )
    frame.to_csv(tmp_path / "b.csv", index=False)
    out = tmp_path / "consistency.csv"
    _invoke(
        app,
        [
            "bench",
            "consistency",
            str(a),
            str(tmp_path / "b.csv"),
            "--safety",
            "salad-bench",
            "--out",
            str(out),
        ],
    )
    table = pd.read_csv(out, index_col=0)
    assert list(table.columns) == ["correlation", "n_values", "safety"] and len(table) == 17
    assert out.with_suffix(".md").is_file()


def test_consistency_command_says_which_llms_have_no_correlation(app, tmp_path) -> None:
    a = _values(tmp_path / "a.csv", ["x", "y", "z"], values=("care", "risk", "rules", "fame"))
    frame = pd.read_csv(a)
    frame.loc[2, ["care", "risk"]] = np.nan  # z: two values left, too few for a correlation
    frame.to_csv(tmp_path / "b.csv", index=False)
    result = runner.invoke(app, ["bench", "consistency", str(a), str(tmp_path / "b.csv"), "--out", str(tmp_path / "c.csv")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "mean 1.000 over 2 LLMs (1 without one" in result.output and ": z)" in result.output
    table = pd.read_csv(tmp_path / "c.csv", index_col=0)
    assert table.loc["z", "n_values"] == 2 and np.isnan(table.loc["z", "correlation"])


def test_consistency_command_names_mismatched_llms(app, tmp_path) -> None:
    a = _values(tmp_path / "a.csv", ["x", "y", "z"])
    b = _values(tmp_path / "b.csv", ["x", "y", "q"])
    with pytest.raises(DataError, match=r"only in .*a.csv: 'z'; only in .*b.csv: 'q'"):
        _invoke(app, ["bench", "consistency", str(a), str(b), "--out", str(tmp_path / "c.csv")])


def test_schwartz_and_scores_commands(app, tmp_path) -> None:
    subjects = [f"s{i}" for i in range(30)]
    values = _values(tmp_path / "x.csv", subjects, values=("kind", "caring", "bold", "safe"))
    pd.DataFrame(
        {
            "value": ["kind", "caring", "bold", "safe"],
            "factor": ["Benevolence", "Benevolence", "Stimulation", "Security"],
        }
    ).to_csv(tmp_path / "map.csv", index=False)
    _invoke(
        app,
        [
            "bench",
            "scores",
            "--values",
            str(values),
            "--mapping",
            str(tmp_path / "map.csv"),
            "--out",
            str(tmp_path / "schwartz.csv"),
        ],
    )
    pd.DataFrame(
        {
            "factor": ["Care", "Care", "Risk", "Risk"],
            "value": ["kind", "caring", "bold", "safe"],
            "loading": [0.8, 0.7, 0.75, -0.6],
        }
    ).to_csv(tmp_path / "loadings.csv", index=False)
    _invoke(
        app,
        [
            "bench",
            "scores",
            "--values",
            str(values),
            "--loadings",
            str(tmp_path / "loadings.csv"),
            "--out",
            str(tmp_path / "factors.csv"),
        ],
    )
    _invoke(
        app,
        [
            "bench",
            "schwartz",
            "--factors",
            str(tmp_path / "factors.csv"),
            "--schwartz",
            str(tmp_path / "schwartz.csv"),
            "--out",
            str(tmp_path / "table12.csv"),
        ],
    )
    table = pd.read_csv(tmp_path / "table12.csv", index_col=0)
    assert list(table.index) == ["Benevolence", "Stimulation", "Security"]
    assert list(table.columns) == ["Care", "Risk"]
    assert (
        table.loc["Benevolence", "Care"] > 0.5 and table.loc["Security", "Risk"] < 0
    )  # safe loads −0.6
    assert (tmp_path / "table12_p.csv").is_file()


def test_cli_prints_mismatch_without_traceback(tmp_path) -> None:
    factors = _values(tmp_path / "f.csv", ["m1", "m2", "m3"])
    schwartz = _values(tmp_path / "s.csv", ["m1", "m2", "m4"])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpla",
            "bench",
            "schwartz",
            "--factors",
            str(factors),
            "--schwartz",
            str(schwartz),
            "--out",
            str(tmp_path / "t.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "error:" in done.stderr and "'m3'" in done.stderr and "'m4'" in done.stderr
    assert "Traceback" not in done.stderr
