"""Human-grounded recall of the embedding prefilter (issue 16), no LLM involved.

Every Value Portrait item's response text (520) against each of the 10 Schwartz basic values: the
human-relevant pairs are those with survey |ρ| > 0.3 and p < 0.05. For each packaged embedder
(MiniLM ``st:default``, ``st:all-mpnet-base-v2``) the cosine similarity ranks the pairs; the script
reports its relevance ROC AUC and, for ``top:1..10`` and ``sim:T``, the recall of human-relevant
pairs against the share of evaluator calls kept (item-bootstrap 95% CIs). Values are embedded by
name, as a run's prefilter embeds lexicon values; ``+def`` rows embed "name: definition" (the
Value Portrait paper's short definitions) to show what a definition adds. Usage:

    python benchmarks/prefilter_recall.py [--n-boot 1000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from gpla.models import load_embedding_model
from gpla.portrait.items import load_items
from gpla.systems.builtin import schwartz_definitions
from gpla.validation.human import human_pairs
from gpla.validation.metrics import auc, item_bootstrap
from gpla.validation.runner import (
    candidate_prefilters,
    pair_similarity,
    prefilter_masks,
    recall_curve,
)

EMBEDDERS = ("st:default", "st:all-mpnet-base-v2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    pairs = human_pairs(load_items())
    y, items = pairs["human_relevant"].to_numpy(), pairs["item"].to_numpy()
    out: dict[str, object] = {"items": int(pairs["item"].nunique()), "pairs": len(pairs),
                              "human_relevant": int(y.sum()), "n_boot": args.n_boot, "runs": []}
    print(f"{out['items']} items × 10 values = {len(pairs)} pairs, {int(y.sum())} human-relevant")
    for spec in EMBEDDERS:
        model = load_embedding_model(spec)
        for label, defs in (("name", None), ("name+def", schwartz_definitions())):
            start = time.perf_counter()
            sim = pair_similarity(pairs, model, defs)
            seconds = time.perf_counter() - start
            est = item_bootstrap(lambda i, s=sim: auc(y[i], s[i]), items, n_boot=args.n_boot,
                                 random_state=args.seed)
            curve = recall_curve(prefilter_masks(pairs, sim, candidate_prefilters()), y, items,
                                 n_boot=args.n_boot, random_state=args.seed)
            print(f"\n{spec} ({label}): relevance AUC {est}; embedding {seconds:.1f} s")
            print(curve[["prefilter", "recall", "recall_low", "recall_high", "share_kept",
                         "fewer_calls"]].to_string(index=False, float_format=lambda x: f"{x:.3f}"))
            runs = out["runs"]
            assert isinstance(runs, list)
            runs.append({"embedder": spec, "value_text": label, "auc": est.as_dict(),
                         "seconds": round(seconds, 2),
                         "curve": curve.replace({np.inf: None}).to_dict(orient="records")})
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
