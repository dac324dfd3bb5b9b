"""The analysis layer at the paper's scale: 693 subjects × 123 values (GPLA §6).

Times, on data simulated from the published five-factor loadings (92 values) plus 31 unrelated values:
PCA with parallel analysis (100 random sets), 1,000-bootstrap Cronbach's alphas of the five factors,
and three CFAs: the constructed five-factor system and Schwartz H (4) and L (10) with every value
mapped by the packaged MiniLM (mapping is done before timing). The baseline, measured in the same run,
is what a semopy user gets by default for the five-factor CFA: ``Model.fit`` (default tolerance) plus
``semopy.calc_stats``, whose indices are not lavaan's. Goal: the three parts under 60 s on 2 cores.
Also timed, outside the goal: measurement invariance of the constructed system (configural, metric,
scalar, strict) across two synthetic model families (the subjects split in halves).

    python benchmarks/analysis_scale.py [--n 693] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gpla.analysis.cfa import CFA, ModelFitError
from gpla.analysis.invariance import MeasurementInvariance
from gpla.analysis.mapping import map_values, mapped_system
from gpla.analysis.pca import PrincipalComponents
from gpla.analysis.reliability import cronbach_alpha
from gpla.models import load_embedding_model
from gpla.systems import ValueSystem, gpla_five_factor, schwartz_basic, schwartz_higher, to_lavaan

GOAL_SECONDS = 60.0


def simulate(n: int, n_extra: int = 31, seed: int = 0) -> pd.DataFrame:
    """X = F Λᵀ + E with the published loadings; `n_extra` more values load only on noise."""
    frame = gpla_five_factor().to_frame()
    factors = list(dict.fromkeys(frame["factor"]))
    lam = np.zeros((len(frame), len(factors)))
    lam[np.arange(len(frame)), frame["factor"].map(factors.index)] = frame["loading"]
    rng = np.random.default_rng(seed)
    signal = rng.standard_normal((n, len(factors))) @ lam.T
    noise = rng.standard_normal((n, len(frame))) * np.sqrt(1 - (lam**2).sum(axis=1))
    extra = rng.standard_normal((n, n_extra))
    columns = [*frame["value"], *(f"Extra value {i + 1}" for i in range(n_extra))]
    return pd.DataFrame(np.hstack([signal + noise, extra]), columns=columns)


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def fit_or_note(model: str, data: pd.DataFrame) -> dict[str, Any]:
    try:
        fit = CFA(model, heywood="warn", converge="warn").fit(data)
    except ModelFitError as err:
        return {"error": str(err)}
    return {"cfi": fit.fit_indices_["cfi"], "rmsea": fit.fit_indices_["rmsea"], "warnings": fit.warnings_}


def invariance(model: str, data: pd.DataFrame) -> dict[str, Any]:
    families = np.where(np.arange(len(data)) < len(data) // 2, "family A", "family B")
    try:
        fit = MeasurementInvariance(model, "family").fit(data.assign(family=families))
    except ModelFitError as err:
        return {"error": str(err)}
    return {level: {"cfi": ix["cfi"], "rmsea": ix["rmsea"]} for level, ix in fit.fits_.items()}


def semopy_default(model: str, data: pd.DataFrame) -> None:
    import semopy

    from gpla.systems import identifier

    sem = semopy.Model(model)
    sem.fit(data.rename(columns=identifier))
    semopy.calc_stats(sem)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=693)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    X = simulate(args.n)
    embedder = load_embedding_model("st:default", cache=False)  # time real embedding
    models = {"Schwartz (H)": schwartz_higher(), "Schwartz (L)": schwartz_basic()}
    mapped = {
        name: to_lavaan(mapped_system(map_values(list(X.columns), s, embedder, min_indicators=2), name))
        for name, s in models.items()
    }

    t_pca, pca = timed(lambda: PrincipalComponents("auto", n_iter=100, random_state=0).fit(X))
    ours = ValueSystem.from_loadings("Ours", pca.loadings_)
    t_alpha, _ = timed(
        lambda: [
            cronbach_alpha(X[members], ci="bootstrap", n_boot=1000, random_state=0)
            for members in ours.factors.values()
            if len(members) >= 2
        ]
    )
    cfa_models = {"Ours": to_lavaan(ours), **mapped}
    cfa_times, cfa_results = {}, {}
    for name, model in cfa_models.items():
        cfa_times[name], cfa_results[name] = timed(lambda m=model: fit_or_note(m, X))
    t_baseline, _ = timed(lambda: semopy_default(cfa_models["Ours"], X))
    t_invariance, invariance_result = timed(lambda: invariance(cfa_models["Ours"], X))

    total = t_pca + t_alpha + sum(cfa_times.values())
    print(f"data: {X.shape[0]} subjects × {X.shape[1]} values; PCA retained {pca.n_factors_} factors")
    print(f"PCA + parallel analysis (100 sets)   {t_pca:8.2f} s")
    print(f"alphas, 1,000 bootstraps × {ours.n_factors}        {t_alpha:8.2f} s")
    for name, seconds in cfa_times.items():
        print(f"CFA {name:<32} {seconds:8.2f} s   {cfa_results[name]}")
    print(f"total                                {total:8.2f} s   = {total / GOAL_SECONDS:.2f} × the 60 s goal")
    print(
        f"five-factor CFA vs semopy defaults   {cfa_times['Ours']:.2f} s vs {t_baseline:.2f} s "
        f"= {cfa_times['Ours'] / t_baseline:.2f} × (ours: lavaan's indices, converged to 1e-4 gradient)"
    )
    print(
        f"invariance, 4 levels × 2 families      {t_invariance:8.2f} s   = "
        f"{t_invariance / cfa_times['Ours']:.2f} × the single-group CFA   {invariance_result}"
    )
    if args.json:
        report = {
            "n": X.shape[0], "p": X.shape[1], "pca_s": t_pca, "alpha_s": t_alpha,
            "cfa_s": cfa_times, "total_s": total, "goal_s": GOAL_SECONDS,
            "ratio_to_goal": total / GOAL_SECONDS, "semopy_default_cfa_s": t_baseline,
            "ratio_cfa_to_semopy_default": cfa_times["Ours"] / t_baseline, "cfa": cfa_results,
            "invariance_s": t_invariance, "invariance": invariance_result,
        }  # fmt: skip
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
