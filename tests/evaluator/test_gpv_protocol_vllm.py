"""vLLM's evaluator equals GPV's code (``gpv_reference.py``) and ``hf:`` on the same folder within 2e-3
(issue 13): in-process on the session's engine with the greedy config, and ``gpla evaluate --model
vllm:FOLDER`` (a subprocess that loads its own engine) with a sampling generation config (temperature,
top-k), whose processors vLLM must apply as transformers' ``generate`` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gpv_reference import SENTENCES, VALUES, GPVReference

from gpla.agents import ValueEvaluator
from gpla.models import ChatModel, load_chat_model

pytestmark = pytest.mark.slow

TOLERANCE = 2e-3
COLUMNS = ["p_relevant", "p_support", "p_oppose", "p_either"]


def test_cli_vllm_equals_gpvs_code_and_hf_with_a_sampling_config(
    gemma_sampling_dir: Path, tmp_path: Path
) -> None:
    pytest.importorskip("vllm")
    perceptions = tmp_path / "perceptions.txt"
    perceptions.write_text("\n".join(SENTENCES) + "\n")
    env = {**os.environ, "GPLA_CACHE_DIR": str(tmp_path / "cache")}
    spec = f"vllm:{gemma_sampling_dir}?enforce_eager=true"  # no torch.compile warm-up in tests
    args = [sys.executable, "-m", "gpla", "evaluate", "--model", spec,
            "--file", str(perceptions), "--values", ",".join(VALUES), "--json"]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = pd.DataFrame(json.loads(done.stdout))  # stdout is pure JSON despite vLLM's workers
    assert len(rows) == len(SENTENCES) * len(VALUES)
    got = rows[COLUMNS].to_numpy(dtype=float)

    reference = GPVReference(gemma_sampling_dir)
    pairs = list(zip(rows["perception"], rows["value"], strict=True))
    rel, val = reference.relevance(pairs), reference.valence(pairs)
    relevant = rel[:, 0] > 0.5  # GPV's test: a NaN row is not relevant
    want = np.column_stack([rel[:, 0], np.where(relevant[:, None], val, np.nan)])
    hf_pairs = pd.DataFrame(
        {"perception_id": range(len(rows)), "text": rows["perception"], "value": rows["value"]}
    )
    hf = ValueEvaluator(load_chat_model(f"hf:{gemma_sampling_dir}", cache=False)).evaluate(hf_pairs)
    print(
        f"vllm sampling config: max |vllm - GPV reference| = {np.nanmax(np.abs(got - want)):.2e}, "
        f"|vllm - hf| = {np.nanmax(np.abs(got - hf[COLUMNS].to_numpy(dtype=float))):.2e}"
    )
    np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=0)  # NaN where GPV's is
    np.testing.assert_allclose(got, hf[COLUMNS].to_numpy(dtype=float), atol=TOLERANCE, rtol=0)
    # The config really shaped the numbers: top-k cut both relevance labels of some rows (NaN).
    assert np.isnan(rel[:, 0]).any() and not np.isnan(rel[:, 0]).all()
    assert np.isnan(got[:, 0]).any()


def test_evaluator_equals_gpvs_code_and_hf(vllm_gemma: ChatModel, gemma_hf_dir: Path) -> None:
    pairs = pd.DataFrame(
        [(i, s, v) for i, s in enumerate(SENTENCES) for v in VALUES],
        columns=["perception_id", "text", "value"],
    )
    cols = ["p_relevant", "p_support", "p_oppose", "p_either"]
    ours = ValueEvaluator(vllm_gemma).evaluate(pairs)
    hf = ValueEvaluator(load_chat_model(f"hf:{gemma_hf_dir}", cache=False)).evaluate(pairs)
    reference = GPVReference(gemma_hf_dir)
    texts = list(zip(pairs["text"], pairs["value"], strict=True))
    rel, val = reference.relevance(texts), reference.valence(texts)
    relevant = rel[:, 0] > 0.5
    got = ours[cols].to_numpy(dtype=float)
    want = np.column_stack([rel[:, 0], np.where(relevant[:, None], val, np.nan)])
    vs_gpv = float(np.nanmax(np.abs(got - want)))
    vs_hf = float(np.nanmax(np.abs(got - hf[cols].to_numpy(dtype=float))))
    print(f"vllm greedy config: max |vllm - GPV reference| = {vs_gpv:.2e}, |vllm - hf| = {vs_hf:.2e}")
    np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=0)  # NaN where GPV's is
    np.testing.assert_allclose(got, hf[cols].to_numpy(dtype=float), atol=TOLERANCE, rtol=0)
    assert vllm_gemma.routes["gpv_processors"] == "none"  # greedy config: raw logprobs
