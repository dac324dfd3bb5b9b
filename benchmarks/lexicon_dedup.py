"""Speed and work of the lexicon dedup at scale: 20,000 synthetic candidate values.

Reports wall time of ``gpla.lexicon.deduplicate`` (embedding, neighbour search and greedy ROUGE
checks) and the ROUGE comparisons it made versus all pairs. The baseline, measured in the same run,
is Value Kaleidoscope's all-pairs greedy (each value ROUGE-scored against every kept value) on a
subset; its time is extrapolated to the full size by its number of comparisons. Usage:

    python benchmarks/lexicon_dedup.py [--n 20000] [--baseline-n 1000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gpla.lexicon import DedupConfig, deduplicate
from gpla.lexicon.rouge import ValueRouge
from gpla.models import load_embedding_model

MODIFIERS = ["Personal", "Social", "Environmental", "Cultural", "Economic", "Global", "Digital", "Family", "Community", "Mutual", "Public", "Individual", "Professional", "Emotional", "Financial", "Moral", "Ethical", "Intellectual", "Physical", "Spiritual", "Academic", "Civic", "Political", "Religious", "Scientific", "Artistic", "Legal", "Collective", "National", "Local", "Responsible", "Honest", "Fair", "Open", "Creative", "Sustainable", "Inclusive", "Democratic", "Healthy", "Safe", "Transparent", "Ecological", "Human"]
NOUNS = ["Equity", "Empathy", "Teamwork", "Equality", "Unity", "Benefit", "Democracy", "Well-being", "Meaning", "Sustainability", "Diversity", "Respect", "Balance", "Cohesion", "Justice", "Accessibility", "Harmony", "Transparency", "Open-mindedness", "Support", "Citizenship", "Tolerance", "Contribution", "Moderation", "Rights", "Goodness", "Comprehension", "Purpose", "Knowledge", "Growth", "Consideration", "Service", "Giving", "Honesty", "Accuracy", "Professionalism", "Guidance", "Hope", "Preservation", "Challenge", "Boldness", "Adventure", "Change", "Flexibility", "Stability", "Entrepreneurship", "Aspiration", "Conformity", "Experience", "Safety", "Creativity", "Stimulation", "Comfort", "Opportunity", "Progress", "Freedom", "Pleasure", "Autonomy", "Spirit", "Tradition", "Sharing", "Realism", "Order", "Responsibility", "Prudence", "Efficiency", "Timeliness", "Reliability", "Punctuality", "Temperance", "Legality", "Serenity", "Ease", "Diligence", "Confidence", "Impact", "Achievement", "Recognition", "Excellence", "Objectivity", "Logic", "Neutrality", "Privacy", "Security", "Loyalty", "Kindness", "Compassion", "Courage", "Curiosity", "Dignity", "Education", "Health", "Humility", "Independence", "Integrity", "Learning", "Patience", "Peace", "Power", "Wealth", "Wisdom", "Innovation", "Care", "Trust", "Fairness", "Gratitude", "Leadership", "Forgiveness", "Cooperation"]


def synthetic_values(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` distinct names: single nouns, modifier + noun, "X and Y", "Right to X", "Respect for X",
    each sometimes written as a formatting variant; Zipf-distributed frequencies."""
    rng = np.random.default_rng(seed)
    names: dict[str, None] = {}
    while len(names) < n:
        a, b = rng.choice(NOUNS, 2, replace=False)
        m = rng.choice(MODIFIERS)
        pattern = rng.integers(6)
        name = [a, f"{m} {a}", f"{a} and {b}", f"Right to {a}", f"Respect for {a}", f"{m} {a} and {b}"][pattern]
        variant = rng.integers(4)
        if variant == 1:
            name = name.lower()
        elif variant == 2:
            name = name + "s" if not name.endswith("s") else name
        elif variant == 3:
            name = name.replace("-", " ")
        names.setdefault(name)
    freq = rng.zipf(1.4, size=n).clip(1, 100_000)
    return pd.DataFrame({"value": list(names), "frequency": freq})


class TimedEmbedder:
    """Counts the time spent embedding, to split the dedup's wall time."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "embedder")
        self.seconds = 0.0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        start = time.perf_counter()
        out = self.inner.embed(texts)  # type: ignore[attr-defined]
        self.seconds += time.perf_counter() - start
        return np.asarray(out)


def all_pairs_greedy(counts: pd.DataFrame, config: DedupConfig) -> tuple[int, int]:
    """Kaleidoscope's baseline: every value against every kept value by ROUGE. (kept, comparisons)."""
    rouge = ValueRouge(config.strip_prefixes)
    order = counts.sort_values(["frequency", "value"], ascending=[False, True])["value"].tolist()
    kept: list[str] = []
    for name in order:
        dup = False
        for other in kept:
            s = rouge.score(other, name)
            if config.rouge_f is not None and s.fmeasure > config.rouge_f:
                dup = True
                break
        if not dup:
            kept.append(name)
    return len(kept), rouge.comparisons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--baseline-n", type=int, default=1_000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    config = DedupConfig()
    embedder = TimedEmbedder(load_embedding_model("st:default", cache=False))  # time real embedding
    embedder.embed(["warm-up"])
    embedder.seconds = 0.0

    values = synthetic_values(args.n)
    start = time.perf_counter()
    result = deduplicate(values, embedder, config)
    ours = time.perf_counter() - start
    embedding_seconds = embedder.seconds
    stats = result.stats

    subset = values.head(args.baseline_n)
    start = time.perf_counter()
    _, base_comparisons = all_pairs_greedy(subset, config)
    base_seconds = time.perf_counter() - start
    per_comparison = base_seconds / max(base_comparisons, 1)
    # The all-pairs greedy compares each value with every kept one: between n·kept/2 and n²/2 pairs.
    full_pairs = stats["all_pairs"]
    extrapolated = per_comparison * full_pairs

    start = time.perf_counter()
    deduplicate(subset, embedder, config)
    ours_small = time.perf_counter() - start

    report = {
        "n_values": args.n,
        "seconds": round(ours, 2),
        "embedding_seconds": round(embedding_seconds, 2),
        "dedup_seconds_without_embedding": round(ours - embedding_seconds, 2),
        "after_normalisation": stats["n_after_normalisation"],
        "lexicon_size": stats["n_values"],
        "rouge_comparisons": stats["rouge_comparisons"],
        "candidate_pairs": stats["candidate_pairs"],
        "all_pairs": full_pairs,
        "rouge_share_of_all_pairs": stats["rouge_comparisons"] / full_pairs,
        "baseline_n": args.baseline_n,
        "baseline_seconds": round(base_seconds, 2),
        "baseline_comparisons": base_comparisons,
        "ours_seconds_on_baseline_subset": round(ours_small, 2),
        "baseline_extrapolated_seconds_all_pairs": round(extrapolated, 1),
        "speedup_vs_all_pairs_extrapolated": round(extrapolated / ours, 1),
    }
    print(f"dedup of {args.n:,} synthetic values: {ours:.1f} s (embedding {embedding_seconds:.1f} s, "
          f"neighbours + greedy ROUGE {ours - embedding_seconds:.1f} s), goal < 60 s on 2 idle cores")
    print(f"  {stats['n_after_normalisation']:,} after normalisation → {stats['n_values']:,} kept")
    print(f"  ROUGE comparisons: {stats['rouge_comparisons']:,} of {full_pairs:,} pairs "
          f"({100 * stats['rouge_comparisons'] / full_pairs:.3f}%); embedding candidates {stats['candidate_pairs']:,}")
    print(f"baseline (all-pairs ROUGE greedy) on {args.baseline_n:,}: {base_seconds:.1f} s, "
          f"{base_comparisons:,} comparisons; ours on the same subset: {ours_small:.1f} s "
          f"(ratio {base_seconds / ours_small:.1f}x)")
    print(f"  all-pairs ROUGE at {args.n:,} values ≈ {extrapolated:,.0f} s → ours is "
          f"{extrapolated / ours:.0f}x faster")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
