"""Evaluator pairs/s of vLLM's engine (``vllm:``, issue 13) against our llama.cpp and transformers paths,
on the same perceptions × values in one process, as ratios measured in the same run.

- vllm: ``vllm:default`` (vLLM's offline ``LLM`` on the packaged Gemma 3 270M as a float32
  transformers folder; prefix caching on; GPV's processed logprobs of the label ids);
- hf: ``hf:default`` (the same folder in transformers, shared-prefix KV cache, issue 8);
- llamacpp: ``llamacpp:default`` (the same model as the Q4_K_M GGUF, label-head fast path). Its weights
  are quantised, so its probabilities are not compared; vllm and hf share weights and are.

Each model is loaded first (load time reported apart) and warmed up on one perception; then the three
alternate block by block (``--block`` perceptions each) so that they see the same background load on a
shared machine. ``--eager`` runs vLLM without torch.compile (faster load, slower steps).

Usage:

    python benchmarks/vllm_evaluator.py [--perceptions 20] [--values 20] [--block 5]
        [--eager] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from evaluator_throughput import PERCEPTIONS, pick_values

from gpla.agents import ValueEvaluator
from gpla.models import load_chat_model

COLUMNS = ["p_relevant", "p_support", "p_oppose", "p_either"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--perceptions", type=int, default=20)
    ap.add_argument("--values", type=int, default=20)
    ap.add_argument("--block", type=int, default=5, help="perceptions per timed block")
    ap.add_argument("--eager", action="store_true", help="vLLM without torch.compile")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    texts = (PERCEPTIONS * (args.perceptions // len(PERCEPTIONS) + 1))[: args.perceptions]
    perceptions = pd.DataFrame({"perception_id": [f"p{i}" for i in range(len(texts))], "text": texts})
    pairs = perceptions.merge(pd.DataFrame({"value": pick_values(args.values)}), how="cross")
    batch = args.block * args.values  # one block = one batch on every side

    specs = {
        "vllm": "vllm:default" + ("?enforce_eager=true" if args.eager else ""),
        "hf": "hf:default",
        "llamacpp": "llamacpp:default",
    }
    evaluators: dict[str, ValueEvaluator] = {}
    load_s: dict[str, float] = {}
    for name, spec in specs.items():
        start = time.perf_counter()
        model = load_chat_model(spec, cache=False, batch_size=batch)
        load_s[name] = time.perf_counter() - start
        evaluators[name] = ValueEvaluator(model, batch_size=batch)
        # Warm-up (first-call set-up, e.g. vLLM's kernels and hf's processors), not timed.
        warm = perceptions.iloc[:1].assign(text="I like warm bread.").merge(
            pd.DataFrame({"value": pick_values(args.values)}), how="cross"
        )
        evaluators[name].evaluate(warm)
        print(f"{name}: {spec} loaded in {load_s[name]:.1f} s", flush=True)

    seconds = dict.fromkeys(specs, 0.0)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in specs}
    ids = perceptions["perception_id"].tolist()
    for start in range(0, len(ids), args.block):
        block = pairs[pairs["perception_id"].isin(ids[start : start + args.block])]
        for name, evaluator in evaluators.items():
            began = time.perf_counter()
            parts[name].append(evaluator.evaluate(block))
            seconds[name] += time.perf_counter() - began
    outs = {name: pd.concat(p) for name, p in parts.items()}
    rate = {name: len(pairs) / s for name, s in seconds.items()}
    a, b = (outs[k][COLUMNS].to_numpy(dtype=float) for k in ("vllm", "hf"))
    same_nan = bool((np.isnan(a) == np.isnan(b)).all())
    max_diff = float(np.nanmax(np.abs(a - b))) if same_nan else float("inf")
    routes: dict[str, Any] = {
        n: getattr(e.model, "routes", {}).get("label_probs", "") for n, e in evaluators.items()
    }

    result = {
        "perceptions": len(texts),
        "values": args.values,
        "pairs": len(pairs),
        "specs": specs,
        "load_seconds": load_s,
        "pairs_per_s": rate,
        "vllm_over_hf": rate["vllm"] / rate["hf"],
        "vllm_over_llamacpp": rate["vllm"] / rate["llamacpp"],
        "max_abs_prob_diff_vllm_hf": max_diff,
        "routes": routes,
    }
    print(f"pairs: {len(pairs)} ({len(texts)} perceptions × {args.values} values), same on every side")
    for name in specs:
        print(f"{name:9s} {rate[name]:7.2f} pairs/s  (load {load_s[name]:.0f} s)  {routes[name]}")
    print(
        f"vllm / hf x{result['vllm_over_hf']:.2f}, vllm / llamacpp x{result['vllm_over_llamacpp']:.2f}; "
        f"max |Δp| vllm vs hf (same weights) = {max_diff:.2e}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
