"""Speed of the model layer on the embedded Gemma 3 270M (llama.cpp, CPU), with baselines measured
in the same run:

- generation tokens/s through ``load_chat_model`` vs llama-cpp-python's ``create_completion`` called
  directly (the ratio is the cost of our wrapper: cache lookups, hashing, bookkeeping);
- label_probs pairs/s (GPV-style few-shot relevance prompts), fresh evaluation (default) vs the
  shared-prefix fast path (``reuse_prefix=True``);
- cache-hit overhead per call: a warm batch answered from SQLite vs the uncached calls it replaced.

Usage:

    python benchmarks/models.py [--n-gen 8] [--max-tokens 32] [--n-pairs 24] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpla.models import ChatRequest, load_chat_model

FEW_SHOT = (
    "[Task] Given a sentence and a value, determine whether the sentence is relevant to the value. "
    'If it is relevant, output "yes", otherwise output "no".\n'
    "Sentence: I never lie to my friends.\nValue: Honesty\nOutput: yes\n\n"
    "Sentence: The bus was late today.\nValue: Achievement\nOutput: no\n\n"
    "Sentence: I spend every weekend volunteering at the shelter.\nValue: Benevolence\nOutput: yes\n\n"
)
SENTENCES = [
    "I save money every month for my children's education.",
    "I love trying food from countries I have never visited.",
    "Winning the competition matters more to me than anything.",
    "I always follow the rules at work, even when nobody checks.",
    "I pray every morning before breakfast.",
    "I think everyone deserves equal treatment regardless of wealth.",
]
VALUES = ["Security", "Stimulation", "Achievement", "Conformity"]


def seconds(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_generation(n: int, max_tokens: int) -> dict[str, float]:
    model = load_chat_model("llamacpp:default", cache=False)
    llm = model.backend._llm  # type: ignore[attr-defined]
    prompts = [f"Q: Name {i + 2} things people value in life.\nA:" for i in range(n)]
    requests = [ChatRequest.completion(p, max_tokens=max_tokens) for p in prompts]
    model.generate(requests[:1])  # warm-up

    def direct() -> int:
        total = 0
        for p in prompts:
            llm.reset()
            out = llm.create_completion(
                prompt=llm.tokenize(p.encode()), max_tokens=max_tokens, temperature=0.0
            )
            total += out["usage"]["completion_tokens"]
        return total

    tokens_direct = direct()
    t_direct = seconds(direct)
    before = model.usage.completion_tokens  # type: ignore[attr-defined]
    t_ours = seconds(lambda: model.generate(requests))
    tokens_ours = model.usage.completion_tokens - before  # type: ignore[attr-defined]
    return {
        "gen_tokens_per_s": tokens_ours / t_ours,
        "gen_tokens_per_s_direct_llama_cpp": tokens_direct / t_direct,
        "gen_ratio_ours_vs_direct": (tokens_ours / t_ours) / (tokens_direct / t_direct),
    }


def bench_label_probs(n_pairs: int) -> dict[str, float]:
    pairs = [(s, v) for s in SENTENCES for v in VALUES][:n_pairs]
    prompts = [
        ChatRequest.completion(f"{FEW_SHOT}Sentence: {s}\nValue: {v}\nOutput:") for s, v in pairs
    ]
    fresh = load_chat_model("llamacpp:default", cache=False)
    fast = load_chat_model("llamacpp:default", cache=False, reuse_prefix=True)
    fresh.label_probs(prompts[:1], ["yes", "no"])  # warm-up
    t_fresh = seconds(lambda: fresh.label_probs(prompts, ["yes", "no"]))
    t_fast = seconds(lambda: fast.label_probs(prompts, ["yes", "no"]))
    return {
        "label_pairs_per_s": len(prompts) / t_fresh,
        "label_pairs_per_s_reuse_prefix": len(prompts) / t_fast,
        "label_ratio_reuse_prefix_vs_fresh": t_fresh / t_fast,
    }


def bench_cache(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        model = load_chat_model("llamacpp:default", cache=Path(tmp) / "calls.sqlite")
        requests = [ChatRequest.completion(f"Value number {i}:", max_tokens=4) for i in range(n)]
        t_miss = seconds(lambda: model.generate(requests))
        t_hit = seconds(lambda: model.generate(requests))
        assert model.usage.cache_hits == n  # type: ignore[attr-defined]
    return {
        "uncached_ms_per_call": 1000 * t_miss / n,
        "cache_hit_ms_per_call": 1000 * t_hit / n,
        "cache_hit_ratio_vs_uncached": t_hit / t_miss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-gen", type=int, default=8, help="completions per timing")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--n-pairs", type=int, default=24, help="(sentence, value) pairs")
    parser.add_argument("--n-cache", type=int, default=40, help="calls in the cache benchmark")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    results = {
        **bench_generation(args.n_gen, args.max_tokens),
        **bench_label_probs(args.n_pairs),
        **bench_cache(args.n_cache),
    }
    width = max(map(len, results))
    for key, value in results.items():
        print(f"{key:<{width}}  {value:10.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
