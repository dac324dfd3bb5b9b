"""GPV's measurement, number for number: ``gpla evaluate`` on a transformers folder of the packaged
Gemma equals an independent re-implementation of GPV's ``valuellama.py`` (``gpv_reference.py``),
with a greedy and with a sampling generation config (temperature, top-k), in float32 on the CPU."""

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
from gpla.agents.prompts.evaluation import RELEVANCE_LABELS, relevance_prompt
from gpla.models import ChatRequest, load_chat_model

pytestmark = pytest.mark.slow

TOLERANCE = 1e-4  # float32 on both sides; GPV left-pads its batches, we do not


def _judgments_match_reference(rows: pd.DataFrame, reference: GPVReference) -> float:
    """Assert our columns equal GPV's procedure on the same pairs; returns the largest difference."""
    pairs = list(zip(rows["perception"], rows["value"], strict=True))
    rel, val = reference.relevance(pairs), reference.valence(pairs)
    ours_rel = rows["p_relevant"].to_numpy(dtype=float)
    ours_val = rows[["p_support", "p_oppose", "p_either"]].to_numpy(dtype=float)
    np.testing.assert_allclose(ours_rel, rel[:, 0], atol=TOLERANCE, rtol=0)  # NaN where GPV's is
    relevant = rel[:, 0] > 0.5  # GPV's test: a NaN row is not relevant
    assert np.isnan(ours_val[~relevant]).all()  # valence is asked only for relevant pairs
    np.testing.assert_allclose(ours_val[relevant], val[relevant], atol=TOLERANCE, rtol=0)
    diffs = np.concatenate(
        [np.abs(ours_rel - rel[:, 0]), np.abs(ours_val[relevant] - val[relevant]).ravel()]
    )
    return float(np.nanmax(diffs))


def test_cli_json_equals_gpvs_code_with_a_sampling_generation_config(
    gemma_sampling_dir: Path,
    tmp_path: Path,
) -> None:
    perceptions = tmp_path / "perceptions.txt"
    perceptions.write_text("\n".join(SENTENCES) + "\n")
    env = {**os.environ, "GPLA_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("GPLA_QUIET", None)  # progress bars on: they must go to stderr, not into the JSON
    args = [sys.executable, "-m", "gpla", "evaluate", "--model", f"hf:{gemma_sampling_dir}",
            "--file", str(perceptions), "--values", ",".join(VALUES), "--json"]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = pd.DataFrame(json.loads(done.stdout))  # stdout is pure JSON
    assert len(rows) == len(SENTENCES) * len(VALUES)

    reference = GPVReference(gemma_sampling_dir)
    worst = _judgments_match_reference(rows, reference)
    print(f"max |gpla - GPV reference| with do_sample/temperature/top_k: {worst:.2e}")

    # The config really shaped the numbers: top-k cut one label of some rows (probability 0) and
    # both relevance labels of others (NaN: not relevant, and counted on stderr).
    pairs = list(zip(rows["perception"], rows["value"], strict=True))
    rel = reference.relevance(pairs)
    assert np.isnan(rel[:, 0]).any() and not np.isnan(rel[:, 0]).all()
    assert ((rel == 0).any(axis=1) & ~np.isnan(rel[:, 0])).any()
    n_cut = int(rows["p_relevant"].isna().sum())
    assert f"every label of {n_cut} of {len(rows)} relevance prompts" in done.stderr
    assert rows.loc[rows["p_relevant"].isna(), "score"].isna().all()


def test_hf_default_equals_gpvs_code_with_its_greedy_config(
    gemma_hf_dir: Path,
    gemma_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GPLA_CACHE_DIR", str(gemma_cache))  # where hf:default was converted
    model = load_chat_model("hf:default", cache=False)
    pairs = pd.DataFrame(
        [(i, s, v) for i, s in enumerate(SENTENCES) for v in VALUES],
        columns=["perception_id", "text", "value"],
    )
    out = ValueEvaluator(model).evaluate(pairs)
    out["perception"] = pairs["text"]
    worst = _judgments_match_reference(out, GPVReference(gemma_hf_dir))
    print(f"max |gpla - GPV reference| with the greedy config: {worst:.2e}")
    assert model.routes["gpv_processors"] == "none"  # greedy: generate's scores are the raw logits
    assert out["p_relevant"].notna().all()


def test_shared_prefix_path_applies_the_same_processors(
    gemma_sampling_dir: Path,
) -> None:
    prompts = [
        ChatRequest.completion(relevance_prompt(s, v), max_tokens=1)
        for s in SENTENCES
        for v in VALUES
    ]
    fast = load_chat_model(f"hf:{gemma_sampling_dir}", cache=False, shared_prefix=True)
    naive = load_chat_model(f"hf:{gemma_sampling_dir}", cache=False, shared_prefix=False)
    got, want = (
        fast.label_probs(prompts, RELEVANCE_LABELS),
        naive.label_probs(prompts, RELEVANCE_LABELS),
    )
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)  # NaN rows included
    assert np.isnan(want[:, 0]).any() and (want == 0).any()
    assert fast.routes["gpv_processors"] == "TemperatureLogitsWarper, TopKLogitsWarper"
    assert 0 < fast.backend.forward_tokens < naive.backend.forward_tokens  # type: ignore[attr-defined]
