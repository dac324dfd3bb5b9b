"""Evaluator throughput at the paper's scale (issue 8), on the embedded Gemma 3 270M (llama.cpp, CPU).

Both sides run ``ValueEvaluator.evaluate`` (relevance for every pair, valence for relevant ones) on the
same perceptions × values in one process:

- naive: GPV style, every (perception, value) prompt evaluated in full from an empty KV cache
  (``shared_prefix=False``: llama.cpp's context is reset before each prompt);
- ours: the default path, where the prompts of one perception share the evaluation of their common
  prefix, the task text is kept from one perception to the next, and only the label tokens' logits
  are computed (``gpla/models/llamacpp_prefix.py``).

By default the naive side is timed on every perception (about 20 minutes on 2 cores);
``--naive-perceptions N`` times it on the first N only. Probabilities are compared on the pairs both
sides evaluated. The embedding prefilter's recall of the
evaluator's relevant pairs and its call reduction are printed for several k.

Usage:

    python benchmarks/evaluator_throughput.py [--perceptions 50] [--values 40]
        [--naive-perceptions 50] [--k 5,10,15,20] [--default-k 10] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gpla.agents import ValueEvaluator
from gpla.measure.prefilter import Prefilter, calibrate, similarities
from gpla.models import load_chat_model, load_embedding_model
from gpla.systems import gpla_five_factor

PERCEPTIONS = [
    "I volunteer at the animal shelter every weekend.",
    "Lying to customers is acceptable if it closes the deal.",
    "I always follow the instructions my manager gives me.",
    "I quit my stable job to travel around the world.",
    "Everyone deserves the same access to healthcare.",
    "I read scientific papers before forming an opinion.",
    "Our family celebrates the old festivals exactly as my grandparents did.",
    "I would rather be feared than loved as a leader.",
    "I recycle everything and avoid flying to protect the climate.",
    "Winning is the only thing that matters in sport.",
    "I enjoy skydiving and other extreme sports.",
    "I check my facts twice before I publish an article.",
    "I believe cheating on taxes hurts everyone.",
    "I help my neighbours carry their groceries.",
    "I prefer to decide everything for myself without advice.",
    "Rules exist for a reason and should never be broken.",
    "I speak up when someone is treated unfairly.",
    "I keep a strict budget and never take on debt.",
    "Learning new languages keeps my mind young.",
    "I donate a tenth of my income to charity.",
    "I like to gamble large sums at the casino.",
    "An AI assistant should always tell users the truth.",
    "I respect people whose religion differs from mine.",
    "I work late every night to get promoted.",
    "I think the government should stay out of private life.",
    "Our team succeeds only when everyone cooperates.",
    "I try every new restaurant that opens in town.",
    "Parents should be obeyed without question.",
    "I reason through problems step by step before acting.",
    "I forgive people who apologise sincerely.",
    "Protecting my country's borders is my top priority.",
    "I meditate every morning to find inner peace.",
    "I enjoy being admired for my expensive car.",
    "I mentor young colleagues so that they can grow.",
    "I refuse to eat meat because animals suffer.",
    "I never miss a deadline at work.",
    "Diversity makes our community stronger.",
    "I bet my savings on a risky start-up.",
    "Being polite to strangers costs nothing.",
    "I answer every user question as accurately as I can.",
    "Public services should be accessible to disabled people.",
    "I love the thrill of riding fast motorcycles.",
    "I keep the promises I make to my friends.",
    "Elections must be free and fair.",
    "I spend my free time learning to paint.",
    "Breaking the law is fine if nobody finds out.",
    "I listen carefully before I judge someone.",
    "Hard work is the path to a meaningful life.",
    "I join protests against injustice.",
    "I take care of my health by exercising daily.",
]


def pick_values(n: int) -> list[str]:
    """``n`` lexicon values, round-robin over the GPLA five factors so every factor is present."""
    factors = list(gpla_five_factor().factors.values())
    picked: list[str] = []
    depth = 0
    while len(picked) < n and depth < max(len(f) for f in factors):
        picked.extend(f[depth] for f in factors if depth < len(f) and len(picked) < n)
        depth += 1
    return picked


def run(evaluator: ValueEvaluator, pairs: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    start = time.perf_counter()
    out = evaluator.evaluate(pairs)
    return out, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--perceptions", type=int, default=50)
    ap.add_argument("--values", type=int, default=40)
    ap.add_argument("--naive-perceptions", type=int, default=None, help="default: all")
    ap.add_argument("--k", default="5,10,15,20", help="prefilter top-k values to report")
    ap.add_argument("--default-k", type=int, default=10, help="k for the JSON prefilter keys")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    texts = (PERCEPTIONS * (args.perceptions // len(PERCEPTIONS) + 1))[: args.perceptions]
    values = pick_values(args.values)
    perceptions = pd.DataFrame(
        {"perception_id": [f"p{i}" for i in range(len(texts))], "text": texts}
    )
    pairs = perceptions.merge(pd.DataFrame({"value": values}), how="cross")
    n_naive = min(args.naive_perceptions or len(texts), len(texts))
    naive_pairs = pairs[pairs["perception_id"].isin(perceptions["perception_id"][:n_naive])]

    # Batches hold whole perceptions (sorted by text, 40 values each) on both sides.
    batch = 10 * len(values)
    ours_model = load_chat_model("llamacpp:default", cache=False, batch_size=batch)
    naive_model = load_chat_model(
        "llamacpp:default", cache=False, batch_size=batch, shared_prefix=False
    )
    # The machine is shared: the two sides alternate block by block (5 perceptions each) so that
    # both see the same background load.
    ours_eval = ValueEvaluator(ours_model, batch_size=batch)
    naive_eval = ValueEvaluator(naive_model, batch_size=batch)
    ours_parts, naive_parts, ours_s, naive_s = [], [], 0.0, 0.0
    ids = perceptions["perception_id"].tolist()
    for start in range(0, len(ids), 5):
        block = pairs[pairs["perception_id"].isin(ids[start : start + 5])]
        out, took = run(ours_eval, block)
        ours_parts.append(out)
        ours_s += took
        block = naive_pairs[naive_pairs["perception_id"].isin(ids[start : start + 5])]
        if len(block):
            out, took = run(naive_eval, block)
            naive_parts.append(out)
            naive_s += took
    ours_out, naive_out = pd.concat(ours_parts), pd.concat(naive_parts)

    cols = ["p_relevant", "p_support", "p_oppose", "p_either"]
    a = naive_out[cols].to_numpy(dtype=float)
    b = ours_out.iloc[: len(naive_out)][cols].to_numpy(dtype=float)
    same_nan = bool((np.isnan(a) == np.isnan(b)).all())
    max_diff = float(np.nanmax(np.abs(a - b))) if same_nan else float("inf")

    scorer: Any = ours_model.backend._scorer  # type: ignore[attr-defined]
    ours_tokens = scorer.evaluated_tokens + (ours_model.usage.prompt_tokens - scorer.prompt_tokens)
    ours_calls, naive_calls = ours_model.usage.calls, naive_model.usage.calls

    relevant = (ours_out["p_relevant"].to_numpy() > 0.5).reshape(len(texts), len(values))
    sim = similarities(texts, values, load_embedding_model("st:default"))
    ks = sorted({int(k) for k in args.k.split(",")} | {args.default_k})
    table = calibrate(sim, relevant, [Prefilter("top", k=k) for k in ks])
    default = table[table["prefilter"] == f"top:{args.default_k}"].iloc[0]

    result = {
        "model": "llamacpp:default",
        "perceptions": len(texts),
        "values": len(values),
        "pairs": len(pairs),
        "naive_pairs_timed": len(naive_pairs),
        "naive_pairs_per_s": len(naive_pairs) / naive_s,
        "ours_pairs_per_s": len(pairs) / ours_s,
        "speedup": (len(pairs) / ours_s) / (len(naive_pairs) / naive_s),
        "max_abs_prob_diff": max_diff,
        "ours_route": ours_model.backend.routes["label_probs"],  # type: ignore[attr-defined]
        "naive_prompt_tokens_per_call": naive_model.usage.prompt_tokens / naive_calls,
        "ours_prompt_tokens_per_call": ours_tokens / ours_calls,
        "naive_prompt_tokens": naive_model.usage.prompt_tokens,
        "ours_prompt_tokens": ours_tokens,
        "relevant_share": float(relevant.mean()),
        "prefilter_k": args.default_k,
        "prefilter_recall": float(default["recall"]),
        "prefilter_call_reduction": float(default["call_reduction"]),
        "prefilter": table.to_dict(orient="records"),
    }
    print(f"pairs: {len(pairs)} ours, {len(naive_pairs)} naive (timed on the same model)")
    print(
        f"naive {result['naive_pairs_per_s']:.2f} pairs/s, ours {result['ours_pairs_per_s']:.2f} "
        f"pairs/s: speedup x{result['speedup']:.2f}, max |Δp| = {max_diff:.2e}"
    )
    print(
        f"tokens evaluated per call: naive {result['naive_prompt_tokens_per_call']:.1f}, "
        f"ours {result['ours_prompt_tokens_per_call']:.1f}"
    )
    print(f"our route: {result['ours_route']}")
    print(f"relevant pairs (p_relevant > 0.5): {relevant.mean():.1%}")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
