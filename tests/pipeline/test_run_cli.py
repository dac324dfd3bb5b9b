"""`gpla run` on the command line: the paper preset's dry run and user errors without tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gpla.config import load_preset
from gpla.stages.estimate import estimate


def _gpla(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "gpla", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_paper_dry_run_prints_per_stage_estimates_and_calls_nothing(tmp_path: Path) -> None:
    out = tmp_path / "paper"
    done = _gpla("run", "--preset", "paper", "--out", str(out), "--dry-run")
    assert done.returncode == 0, done.stderr
    for stage in ("perceptions", "value_mentions", "questions", "responses", "judgments: relevance"):
        assert stage in done.stdout
    assert "total" in done.stdout and "cost" in done.stdout
    assert not out.exists()  # nothing ran, nothing was written


def test_paper_estimate_matches_its_design() -> None:
    table = estimate(load_preset("paper")).groupby("stage")[["calls", "completion_tokens"]].sum()
    # 693 subjects × 123 questions (GPLA App. A.3).
    assert table.loc["responses", "calls"] == 693 * 123
    assert table.loc["questions", "calls"] == 123
    # All-responses GPV: every perception (4 per response assumed) against all 123 values.
    assert table.loc["judgments: relevance", "calls"] == 693 * 123 * 4 * 123
    # App. A.1 / Table 5: only BeaverTails' 3,012 responses are parsed; ValueBench's 11,928 answers and
    # GPV's 24,179 perceptions go to the generator as they are; ValueLex's 745 values need no call.
    assert table.loc["perceptions", "calls"] == 3_012
    assert table.loc["value_mentions", "calls"] == 3_012 * 4 + 11_928 + 24_179
    priced = estimate(load_preset("paper")).dropna(subset=["cost_usd"])
    assert set(priced["model"]) >= {"openai:gpt-4o", "openai:gpt-4o-mini"}


def test_dry_run_prices_batch_api_stages_at_half() -> None:
    live = load_preset("paper")
    batched = live.model_copy(update={
        "administration": live.administration.model_copy(update={"batch_api": True})})  # fmt: skip
    cost = [estimate(c).set_index(["stage", "model"])["cost_usd"] for c in (live, batched)]
    key = ("responses", "openai:gpt-4o")
    assert cost[1][key] == cost[0][key] / 2
    assert cost[1][("questions", "openai:gpt-4o")] == cost[0][("questions", "openai:gpt-4o")]


def test_user_errors_print_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[lexicon]\nfile = "x.csv"\n[gpv]\nmode = "sometimes"\n')
    for args in (["run", str(bad), "--out", str(tmp_path / "r")],
                 ["run", "--out", str(tmp_path / "r")],
                 ["run", "--preset", "nope", "--out", str(tmp_path / "r")]):
        done = _gpla(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.startswith("error:")
    assert "gpv.mode" in _gpla("run", str(bad), "--out", str(tmp_path / "r")).stderr
