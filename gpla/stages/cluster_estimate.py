"""``--dry-run --engine ray``: the compute the estimated model work needs, and a cluster to do it.

Each (stage, model) row of ``estimate`` becomes hours of work on one of three kinds of worker:

- hosted models (``openai:NAME`` without a URL) are an API's work, not the cluster's;
- the packaged Gemma 3 270M (``llamacpp:default``, ``hf:default``, ``vllm:default``) runs on CPU
  workers, at rates MEASURED on this project's 2-core machine (one llama.cpp thread per worker);
- every other model (``hf:``, ``vllm:``, a local GGUF, a self-hosted ``openai:NAME@URL``) runs on GPU
  workers, at ASSUMED vLLM rates of an 8B model on one 80 GB data-centre GPU (A100/H100 class),
  scaled by the parameter count read from the model's name (``13B`` → ×13/8); these are round numbers
  for planning, not measurements: time a shard on your hardware before booking the cluster.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from gpla.config import RunConfig

# Measured on the 2-core machine, one llama.cpp thread, Gemma 270M Q4:
CPU_GENERATED_TOKENS_PER_S = 14.0  # benchmarks/ray_scaling.py, responses in-process (prompts included)
CPU_EVALUATOR_CALLS_PER_S = 9.0  # benchmarks/evaluator_throughput.py: 8.9-9.4 pairs/s (≤ calls/s)
# Assumed (vLLM, 8B, bf16, one 80 GB GPU, large batches, prefix caching on):
GPU_PROMPT_TOKENS_PER_S = 20_000.0
GPU_GENERATED_TOKENS_PER_S = 2_500.0
REFERENCE_BILLION_PARAMS = 8.0
BIG_BILLION_PARAMS = 35.0  # bf16 weights past ~70 GB do not fit one 80 GB GPU with a KV cache
WALL_HOURS = 24.0  # the cluster is sized to finish the run in a day
PACKAGED = ("llamacpp:default", "hf:default", "vllm:default")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])")
_T5_SIZES = {"xxl": 11.0, "xl": 3.0}  # Kaleido's names say T5 sizes, not parameters


def worker_kind(spec: str) -> str:
    if spec in PACKAGED:
        return "cpu"
    if spec.startswith("openai:") and "@" not in spec:
        return "hosted"
    return "gpu"


def billion_params(spec: str) -> float:
    """Parameters read from the model's name (``Llama-3-8B`` → 8), else the 8B reference."""
    name = spec.split(":", 1)[-1].split("@")[0]
    found = _SIZE.findall(name)
    if found:
        return float(found[-1])
    suffix = name.rsplit("-", 1)[-1].lower()
    return _T5_SIZES.get(suffix, REFERENCE_BILLION_PARAMS)


def cluster_estimate(cfg: RunConfig, table: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Hours per (stage, model) row of ``estimate(cfg)`` and a one-paragraph cluster plan."""
    rows = []
    for r in table.itertuples():
        kind = worker_kind(str(r.model))
        scoring = r.completion_tokens == 0  # the evaluator: label probabilities from the prompt only
        if kind == "cpu":
            seconds = r.calls / CPU_EVALUATOR_CALLS_PER_S if scoring \
                else r.completion_tokens / CPU_GENERATED_TOKENS_PER_S
        elif kind == "gpu":
            scale = billion_params(str(r.model)) / REFERENCE_BILLION_PARAMS
            seconds = scale * (r.prompt_tokens / GPU_PROMPT_TOKENS_PER_S
                               + r.completion_tokens / GPU_GENERATED_TOKENS_PER_S)
        else:
            seconds = 0.0
        rows.append({"stage": r.stage, "model": r.model, "worker": kind, "hours": seconds / 3600})
    hours = pd.DataFrame(rows, columns=["stage", "model", "worker", "hours"])
    hosted_rows = hours["worker"] == "hosted"
    hosted_models = hours[hosted_rows].groupby("stage", sort=False)["model"].agg(
        lambda m: m.iloc[0] if len(m) == 1 else f"{len(m)} hosted models")
    hours = pd.concat([hours[~hosted_rows], pd.DataFrame({
        "stage": hosted_models.index, "model": hosted_models.values, "worker": "hosted", "hours": 0.0})])
    order = {stage: i for i, stage in enumerate(table["stage"].drop_duplicates())}
    hours = hours.sort_values("stage", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    gpu_h = float(hours.loc[hours["worker"] == "gpu", "hours"].sum())
    cpu_h = float(hours.loc[hours["worker"] == "cpu", "hours"].sum())
    hosted = int(hosted_rows.sum())
    big = sorted({str(r.model) for r in table.itertuples()
                  if worker_kind(str(r.model)) == "gpu" and billion_params(str(r.model)) > BIG_BILLION_PARAMS})
    gpus, cpus = math.ceil(gpu_h / WALL_HOURS), math.ceil(cpu_h / WALL_HOURS)
    plan = [f"≈ {gpu_h:,.0f} GPU-hours (assumed vLLM rates: {GPU_PROMPT_TOKENS_PER_S:,.0f} prompt and "
            f"{GPU_GENERATED_TOKENS_PER_S:,.0f} generated tokens/s for an 8B model on one 80 GB GPU, "
            "scaled by model size)" if gpu_h else "no GPU work"]
    if cpu_h:
        plan.append(f"≈ {cpu_h:,.1f} CPU-hours of the packaged Gemma at measured rates "
                    f"({CPU_GENERATED_TOKENS_PER_S:g} tokens/s, {CPU_EVALUATOR_CALLS_PER_S:g} evaluator "
                    "calls/s per 1-CPU worker)")
    if hosted:
        plan.append(f"{hosted} (stage, model) pairs on hosted APIs (not cluster work; see the cost column)")
    layout = []
    if gpus:
        layout.append(f"{gpus} GPUs (engine.workers = {gpus}, gpus_per_worker = 1)")
    if cpus:
        layout.append(f"{cpus} CPU workers (+0.5 CPU for Ray Data)")
    if layout:
        plan.append(f"to finish in {WALL_HOURS:g} h: {' and '.join(layout)}; one actor per worker "
                    f"loads each model once; a stage's models must fit one worker's GPU memory")
    if big:
        plan.append(f"{len(big)} model(s) over {BIG_BILLION_PARAMS:g}B need several GPUs per replica "
                    "(gpus_per_worker ≥ 2 and vLLM tensor parallelism)")
    return hours, "; ".join(plan) + "."
