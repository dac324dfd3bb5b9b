"""Stage 10: X → structure (PCA + retention + pruning), reliability, CFA comparison on held-out
subjects, congruence with the published five factors, Table 12 correlations.

Small runs give degenerate statistics (fewer subjects than values, constant columns...). Every
step that cannot be computed is skipped with a note that the report shows, instead of failing the
run: the quickstart must end with a report whatever its size.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gpla.errors import DataError, GplaError
from gpla.stages.context import StageContext

ANALYSIS_DIR = "analysis"
MIN_SUBJECTS_PCA = 5
MIN_SUBJECTS_CFA = 10
# Statistics code signals a degenerate input with DataError; numerical libraries with these.
_DEGENERATE = (GplaError, np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError)


def _attempt(ctx: StageContext, what: str, step: Callable[[], Any]) -> Any:
    """Run one analysis step; on a degenerate input, record why it was skipped and go on."""
    try:
        return step()
    except _DEGENERATE as err:
        ctx.note(f"{what} skipped: {err}")
        return None


def prepare(ctx: StageContext, X: pd.DataFrame) -> pd.DataFrame:
    """Drop what no statistic can use, saying so: all-missing or constant values, incomplete subjects."""
    empty = [c for c in X.columns if X[c].isna().all()]
    X = X.drop(columns=empty)
    constant = [c for c in X.columns if X[c].nunique(dropna=True) <= 1]
    X = X.drop(columns=constant)
    incomplete = X.index[X.isna().any(axis=1)]
    X = X.drop(index=incomplete)
    for label, names in (("without evidence", empty), ("constant over subjects", constant)):
        if names:
            ctx.note(f"{len(names)} values dropped as {label}: {', '.join(map(str, names[:15]))}")
    if len(incomplete):
        ctx.note(f"{len(incomplete)} subjects dropped for missing cells (listwise)")
    return X


def split_subjects(X: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Exploration / held-out subjects. Too few subjects: PCA on all, no held-out CFA."""
    n_hold = round(len(X) * fraction)
    if n_hold < MIN_SUBJECTS_CFA or len(X) - n_hold < MIN_SUBJECTS_PCA:
        return X, None
    order = np.random.default_rng(seed).permutation(len(X))
    return X.iloc[np.sort(order[n_hold:])], X.iloc[np.sort(order[:n_hold])]


def run_analysis(ctx: StageContext) -> None:
    cfg = ctx.config.analysis
    out = ctx.run_dir / ANALYSIS_DIR
    out.mkdir(exist_ok=True)
    for old in out.iterdir():  # a re-run must not leave tables from a previous configuration
        old.unlink()
    X = prepare(ctx, ctx.read("X").set_index("subject_id"))
    summary: dict[str, Any] = {"n_subjects": len(X), "n_values": X.shape[1]}
    explore, holdout = split_subjects(X, cfg.holdout_fraction, cfg.random_state)
    if holdout is None:
        ctx.note(f"too few subjects ({len(X)}) for CFA on held-out data (needs ≥ "
                 f"{MIN_SUBJECTS_CFA} held out): PCA uses all subjects, CFA is skipped")
    summary["n_explore"] = len(explore)
    summary["n_holdout"] = 0 if holdout is None else len(holdout)

    model = None
    if len(explore) < MIN_SUBJECTS_PCA or X.shape[1] < 2:
        ctx.note(f"PCA skipped: {len(explore)} subjects × {X.shape[1]} usable values is too few")
    else:
        model = _attempt(ctx, "PCA", lambda: _structure(ctx, explore, out))
    system: dict[str, list[str]] = {}
    if model is not None:
        system = _factors(model.loadings_)
        summary.update(n_factors=int(model.n_factors_), factors={f: len(v) for f, v in system.items()})
        _attempt(ctx, "reliability", lambda: _alphas(ctx, explore, model.loadings_, system, out))
        _attempt(ctx, "congruence with the published five factors",
                 lambda: _congruence(ctx, model.loadings_, out))
        if cfg.schwartz_scores is not None:
            _attempt(ctx, "Table 12 correlations", lambda: _schwartz(ctx, X, model.loadings_, out))
    if holdout is not None and system:
        _attempt(ctx, "CFA comparison", lambda: _cfa(ctx, holdout, system, out))
    summary["notes"] = ctx.notes
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    ctx.info.update({k: v for k, v in summary.items() if k != "notes"})


def _structure(ctx: StageContext, X: pd.DataFrame, out: Path) -> Any:
    from gpla.analysis.pca import PrincipalComponents, prune_items

    cfg = ctx.config.analysis
    n_factors = cfg.n_factors
    if isinstance(n_factors, int) and n_factors >= min(X.shape):
        ctx.note(f"{n_factors} factors asked but only {X.shape} data: using the Kaiser rule")
        n_factors = "kaiser"
    if cfg.prune:
        result = prune_items(X, n_factors=n_factors, min_loading=cfg.min_loading,
                             cross_margin=cfg.cross_margin, rotation=cfg.rotation,
                             random_state=cfg.random_state)
        result.removed.to_csv(out / "removed.csv", index=False)
        if len(result.removed):
            ctx.note(f"pruning removed {len(result.removed)} values (min loading {cfg.min_loading}, "
                     f"cross-loading margin {cfg.cross_margin})")
        model = result.model
    else:
        model = PrincipalComponents(n_factors=n_factors, rotation=cfg.rotation,
                                    random_state=cfg.random_state).fit(X)
    model.loadings_.rename_axis("value").to_csv(out / "loadings.csv")
    model.eigenvalues_.rename("eigenvalue").to_csv(out / "eigenvalues.csv")
    model.scree_plot(out / "scree.png")
    return model


def _factors(loadings: pd.DataFrame) -> dict[str, list[str]]:
    """Each value belongs to the factor it loads on most (absolute loading)."""
    main = loadings.abs().idxmax(axis=1)
    return {f: main.index[main == f].tolist() for f in loadings.columns if (main == f).any()}


def _alphas(ctx: StageContext, X: pd.DataFrame, loadings: pd.DataFrame,
            system: dict[str, list[str]], out: Path) -> None:
    from gpla.analysis.reliability import cronbach_alpha

    rows = []
    for factor, values in system.items():
        if len(values) < 2:
            ctx.note(f"alpha of {factor} skipped: a single value")
            continue
        reverse = [v for v in values if loadings.at[v, factor] < 0]
        res = _attempt(ctx, f"alpha of {factor}", lambda v=values, r=reverse: cronbach_alpha(X[v], reverse=r))
        if res is not None:
            rows.append({"factor": factor, "alpha": res.alpha, "ci_low": res.ci_low, "ci_high": res.ci_high,
                         "ci_method": res.ci_method, "n_items": res.n_items})
    pd.DataFrame(rows, columns=["factor", "alpha", "ci_low", "ci_high", "ci_method", "n_items"]).to_csv(
        out / "alphas.csv", index=False)


def _congruence(ctx: StageContext, loadings: pd.DataFrame, out: Path) -> None:
    from gpla.analysis.congruence import match_factors
    from gpla.systems import gpla_five_factor

    published = gpla_five_factor()
    ref = _wide(published.to_frame())
    ours = loadings.copy()
    ours.index = ours.index.str.lower()
    ref.index = ref.index.str.lower()
    common = ours.index.intersection(ref.index)
    if len(common) < 3:
        raise DataError(f"only {len(common)} of our values are in the published system (needs ≥ 3)")
    match = match_factors(ours.loc[common], ref.loc[common])
    match.pairs.assign(n_common_values=len(common)).to_csv(out / "congruence.csv", index=False)
    ctx.note(f"congruence computed on the {len(common)} values shared with the published system")


def _wide(loadings: pd.DataFrame) -> pd.DataFrame:
    """Published loadings in long form (factor, value, loading) → values × factors, zeros elsewhere."""
    if {"factor", "value", "loading"} <= set(loadings.columns):
        return loadings.pivot_table(index="value", columns="factor", values="loading", fill_value=0.0)
    return loadings


def _cfa(ctx: StageContext, holdout: pd.DataFrame, system: dict[str, list[str]], out: Path) -> None:
    from gpla.analysis.cfa import CFA
    from gpla.analysis.mapping import system_to_lavaan
    from gpla.systems import ValueSystem

    rows = []
    candidates = [("GPLA (this run)", ValueSystem(name="this run", factors=system))]
    for name in ctx.config.analysis.compare_systems:
        mapped = _attempt(ctx, f"mapping onto {name}", lambda n=name: _mapped_system(ctx, n, list(holdout.columns)))
        if mapped is not None:
            candidates.append((name, mapped))
    for label, sys_ in candidates:
        def fit(s: Any = sys_) -> dict[str, Any]:
            return CFA(system_to_lavaan(s, list(holdout.columns))).fit(holdout).fit_indices_
        indices = _attempt(ctx, f"CFA of {label}", fit)
        if indices is not None:
            rows.append({"system": label, **indices})
    pd.DataFrame(rows).to_csv(out / "cfa.csv", index=False)


def _mapped_system(ctx: StageContext, name: str, values: list[str]) -> Any:
    """A comparison system over *our* values: each value mapped to its most similar factor by
    embedding similarity (the paper's §5.1 procedure for Schwartz's systems)."""
    from gpla.analysis.mapping import map_values, mapped_system
    from gpla.systems.io import get_system

    mapping = map_values(values, get_system(name), ctx.models.embedder(ctx.config.models.embedding))
    return mapped_system(mapping, f"{name} (mapped)")


def _schwartz(ctx: StageContext, X: pd.DataFrame, loadings: pd.DataFrame, out: Path) -> None:
    from gpla.analysis.benchmarks.factor_scores import factor_scores

    path = Path(str(ctx.config.analysis.schwartz_scores))
    if not path.is_file():
        raise DataError(f"analysis.schwartz_scores {path} does not exist")
    schwartz = pd.read_csv(path)
    if "subject_id" not in schwartz.columns:
        raise DataError(f"analysis.schwartz_scores {path}: needs a subject_id column")
    schwartz = schwartz.set_index("subject_id")
    common = X.index.intersection(schwartz.index)
    if len(common) < 3:
        raise DataError(f"{path}: only {len(common)} subjects in common with this run")
    scores = factor_scores(X.loc[common], loadings)
    table = pd.DataFrame({f: schwartz.loc[common].corrwith(scores[f]) for f in scores.columns})
    table.rename_axis("schwartz_value").to_csv(out / "schwartz_correlations.csv")
