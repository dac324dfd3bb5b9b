"""`gpla run --dry-run --engine ray`: the paper's design in GPU-hours (assumed vLLM rates, stated) and
the packaged Gemma in CPU-hours (measured rates), with a cluster to finish in a day."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from gpla.cli import app
from gpla.config import load_preset
from gpla.stages.cluster_estimate import (
    GPU_PROMPT_TOKENS_PER_S,
    billion_params,
    cluster_estimate,
    worker_kind,
)
from gpla.stages.estimate import estimate


def test_model_sizes_and_workers_come_from_the_spec() -> None:
    assert billion_params("hf:Value4AI/ValueLlama-3-8B") == 8
    assert billion_params("openai:Qwen/Qwen1.5-0.5B-Chat@http://127.0.0.1:8000/v1") == 0.5
    assert billion_params("hf:allenai/kaleido-xxl") == 11
    assert billion_params("vllm:/models/mystery") == 8  # unknown: the 8B reference
    assert [worker_kind(s) for s in ("openai:gpt-4o", "openai:m@http://h/v1", "llamacpp:default", "hf:x")] \
        == ["hosted", "gpu", "cpu", "gpu"]


def test_paper_design_needs_gpu_hours_for_the_evaluator() -> None:
    cfg = load_preset("paper")
    table = estimate(cfg)
    hours, plan = cluster_estimate(cfg, table)
    relevance = table.set_index("stage").loc["judgments: relevance"]
    expected = relevance["prompt_tokens"] / GPU_PROMPT_TOKENS_PER_S / 3600  # an 8B evaluator
    got = hours.set_index("stage").loc["judgments: relevance", "hours"]
    assert got == pytest.approx(expected)
    gpu_hours = hours.loc[hours["worker"] == "gpu", "hours"].sum()
    assert f"≈ {gpu_hours:,.0f} GPU-hours" in plan and "assumed" in plan and "GPUs (engine.workers" in plan
    assert set(hours.loc[hours["worker"] == "hosted", "hours"]) == {0.0}


def test_dry_run_on_ray_prints_the_cluster() -> None:
    result = CliRunner().invoke(app, ["run", "--preset", "paper", "--dry-run", "--engine", "ray"])
    assert result.exit_code == 0, result.output
    assert "GPU-hours" in result.output and "judgments: relevance" in result.output
    plain = CliRunner().invoke(app, ["run", "--preset", "paper", "--dry-run"])
    assert "GPU-hours" not in plain.output


def test_unknown_engine_is_one_line() -> None:
    done = subprocess.run([sys.executable, "-m", "gpla", "run", "--preset", "quickstart", "--dry-run",
                           "--engine", "spark"], capture_output=True, text=True,
                          env={**os.environ, "GPLA_QUIET": "1"})
    assert done.returncode == 2 and done.stderr.strip() == "error: --engine 'spark': expected local or ray"
