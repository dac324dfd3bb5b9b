"""`--engine ray` scaling: the same responses + judgments stages (embedded Gemma 3 270M, llama.cpp) run
in-process, on 1 Ray worker and on 2, in one run on one local Ray cluster, with a fresh call cache each
time so every side pays for every call. Stage wall time includes starting the actors and loading the
model in them (the real cost of a stage); the outputs of the three runs are checked to be identical.
On a machine shared with other work the ratio says little: the load average is recorded with each side.

Usage:

    python benchmarks/ray_scaling.py [--profiles 8] [--max-tokens 32] [--batch-size 2] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.config import EngineConfig, load_config
from gpla.pipeline import Pipeline

PROFILES = ["Default", "Achievement", "Power: Dominance", "Benevolence: Caring", "Universalism: Nature",
            "Stimulation", "Tradition", "Hedonism"]
QUESTIONS = {"Honesty": "I found a wallet with cash and no ID on the bus. What should I do with it?",
             "Achievement": "Should I take a boring job that pays well or a job I love that pays little?"}
STAGES = ("responses", "judgments")


def _config(folder: Path, profiles: int, max_tokens: int, batch_size: int) -> Any:
    (folder / "lexicon.csv").write_text("value\n" + "\n".join(QUESTIONS) + "\n")
    pd.DataFrame({"value": list(QUESTIONS), "question": list(QUESTIONS.values())}).to_csv(
        folder / "questions.csv", index=False)
    names = ", ".join(f'"{p}"' for p in PROFILES[:profiles])
    (folder / "config.toml").write_text(f"""
name = "ray-scaling"
[models]
agent = "llamacpp:default"
[lexicon]
file = "lexicon.csv"
[questions]
file = "questions.csv"
[subjects]
models = ["llamacpp:default"]
profiles = [{names}]
[administration]
max_tokens = {max_tokens}
batch_size = {batch_size}
[gpv]
perceptions = "sentences"
batch_size = {batch_size}
""")
    return load_config(folder / "config.toml")


def _measure(cfg: Any, folder: Path, name: str) -> dict[str, Any]:
    os.environ["GPLA_CACHE_DIR"] = str(folder / f"cache-{name}")
    run = folder / name
    Pipeline(cfg, run).run(until="judgments")
    stages = json.loads((run / "manifest.json").read_text())["stages"]
    out: dict[str, Any] = {}
    for stage in STAGES:
        items = len(pd.read_parquet(run / f"{stage}.parquet"))
        seconds = stages[stage]["seconds"]
        usage = stages[stage]["usage"]
        out[stage] = {"items": items, "seconds": seconds, "items_per_s": round(items / seconds, 4),
                      "calls": usage["calls"], "calls_per_s": round(usage["calls"] / seconds, 4),
                      "generated_tokens_per_s": round(usage["completion_tokens"] / seconds, 2)}
    out["seconds"] = round(sum(stages[s]["seconds"] for s in STAGES), 3)
    out["load_average_1min_after"] = round(os.getloadavg()[0], 2)  # other work on the machine
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=8, help="subjects (1 model x N profiles), ≤ 8")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=2, help="items per checkpoint batch (a Ray shard)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    import ray

    os.environ.setdefault("GPLA_QUIET", "1")
    cpus = os.cpu_count() or 2
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    results: dict[str, Any] = {"cpus": cpus}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cfg = _config(folder, args.profiles, args.max_tokens, args.batch_size)
        sides = {"in_process": EngineConfig(), "ray_1_worker": EngineConfig(kind="ray", workers=1),
                 "ray_2_workers": EngineConfig(kind="ray", workers=2)}
        for name, engine in sides.items():
            results[name] = _measure(cfg.model_copy(update={"engine": engine}), folder, name)
            print(name, json.dumps(results[name]))
        for stage in STAGES:  # the same work, so the same results
            tables = [pd.read_parquet(folder / name / f"{stage}.parquet") for name in sides]
            for other in tables[1:]:
                pd.testing.assert_frame_equal(tables[0], other)
    ray.shutdown()
    results["identical_outputs"] = True
    results["scaling_2_over_1_worker"] = round(results["ray_1_worker"]["seconds"]
                                               / results["ray_2_workers"]["seconds"], 3)
    results["ray_1_worker_over_in_process"] = round(results["in_process"]["seconds"]
                                                    / results["ray_1_worker"]["seconds"], 3)
    print(f"2 workers vs 1: {results['scaling_2_over_1_worker']}x throughput; "
          f"1 worker vs in-process: {results['ray_1_worker_over_in_process']}x "
          f"({cpus} CPUs, {args.profiles * len(QUESTIONS)} responses, outputs identical)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
