"""Speed of alignment-target distillation (GPLA §5.3, Eq. 4) at the paper's scale (~16k pairs).

Compares the O(n log n) sort + prefix-sum solver with the direct O(n²) evaluation of f at every measured
point (the baseline, measured in the same run), and reports the ratio. Usage:

    python benchmarks/bench_distill.py [--pairs 500 2000 8000] [--values 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from gpla.validity import distill_target


def brute_force(winners: np.ndarray, losers: np.ndarray) -> np.ndarray:
    """f at every measured point of every value, in chunks (O(n²) per value)."""
    target = np.empty(winners.shape[1])
    for j in range(winners.shape[1]):
        points = np.concatenate([winners[:, j], losers[:, j]])
        f = np.empty(len(points))
        for start in range(0, len(points), 512):
            chunk = points[start : start + 512, None]
            f[start : start + 512] = np.abs(chunk - winners[:, j]).sum(1) - np.abs(
                chunk - losers[:, j]
            ).sum(1)
        best = points[f <= f.min() + 1e-12 * max(1.0, np.abs(points).sum())]
        target[j] = best[np.lexsort((best, np.abs(best)))[0]]
    return target


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, nargs="+", default=[500, 2000, 8000])
    parser.add_argument("--values", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    rows = []
    for n in args.pairs:
        # GPV-like measurements: a few discrete levels in [-1, 1] (many ties), as in real data.
        levels = np.linspace(-1, 1, 21)
        winners = pd.DataFrame(rng.choice(levels, size=(n, args.values)))
        losers = pd.DataFrame(rng.choice(levels, size=(n, args.values)))
        fast = timed(lambda w=winners, lo=losers: distill_target(w, lo))
        slow = timed(
            lambda w=winners, lo=losers: brute_force(w.to_numpy(), lo.to_numpy()), repeat=1
        )
        same = np.array_equal(
            distill_target(winners, losers).to_numpy(),
            brute_force(winners.to_numpy(), losers.to_numpy()),
        )
        rows.append(
            {
                "pairs": n,
                "values": args.values,
                "sorted_s": fast,
                "brute_force_s": slow,
                "speedup": slow / fast,
                "same_target": bool(same),
            }
        )
        print(
            f"{n:>7} pairs × {args.values} values: sorted {fast * 1e3:8.2f} ms, brute force "
            f"{slow * 1e3:9.2f} ms, speed-up ×{slow / fast:7.1f}, same target: {same}"
        )
    if args.json:
        args.json.write_text(json.dumps({"benchmark": "distill", "results": rows}, indent=2))


if __name__ == "__main__":
    main()
