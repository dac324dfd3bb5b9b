"""Stage 10: X → structure (PCA + retention + pruning), reliability, CFA comparison on held-out
subjects, congruence with the published five factors, Table 12 correlations.

Small runs give degenerate statistics (fewer subjects than values, constant columns...). Every
step that cannot be computed is skipped with a note that the report shows, instead of failing the
run: the quickstart must end with a report whatever its size.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gpla.analysis.data import MissingPolicy
from gpla.analysis.minimums import MIN_SUBJECTS_HELDOUT_CFA, MIN_SUBJECTS_PCA
from gpla.errors import ConfigError, DataError, GplaError
from gpla.stages.context import StageContext
from gpla.stages.family_invariance import family_invariance

ANALYSIS_DIR = "analysis"
# Statistics code signals a degenerate input with DataError; numerical libraries with these.
_DEGENERATE = (DataError, np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError)


def _attempt(ctx: StageContext, what: str, step: Callable[[], Any]) -> Any:
    """Run one analysis step; on a degenerate input, record why it was skipped and go on.

    Only degenerate data becomes a note: a ConfigError (although a ValueError), a ModelError or any other
    exception fails the stage, so a result degraded by a fixable mistake is never checkpointed as done."""
    try:
        return step()
    except GplaError as err:
        if not isinstance(err, DataError):
            raise
        ctx.note(f"{what} skipped: {err}")
        return None
    except _DEGENERATE as err:
        ctx.note(f"{what} skipped: {err}")
        return None


def prepare(ctx: StageContext, X: pd.DataFrame) -> pd.DataFrame:
    """Drop what no statistic can use, saying so (all-missing or constant values), then apply the
    missing-cell policy ``analysis.missing`` and record how many cells it touched."""
    empty = [c for c in X.columns if X[c].isna().all()]
    X = X.drop(columns=empty)
    constant = [c for c in X.columns if X[c].nunique(dropna=True) <= 1]
    X = X.drop(columns=constant)
    for label, names in (("without evidence", empty), ("constant over subjects", constant)):
        if names:
            ctx.note(f"{len(names)} values dropped as {label}: {', '.join(map(str, names[:15]))}")
    policy = ctx.config.analysis.missing
    n_missing = int(X.isna().to_numpy().sum())
    ctx.info["missing"] = {"policy": policy, "cells": n_missing, "of": int(X.size)}
    if not n_missing:
        return X
    if policy == "listwise":
        incomplete = X.index[X.isna().any(axis=1)]
        ctx.note(f"{n_missing} missing cells: {len(incomplete)} incomplete subjects dropped (listwise)")
        return X.drop(index=incomplete)
    if policy == "mean":
        ctx.note(f"{n_missing} missing cells imputed with the value's mean over subjects with evidence "
                 "(analysis.missing = mean)")
        return X.fillna(X.mean())
    ctx.note(f"{n_missing} missing cells kept: PCA and alpha use pairwise-complete correlations "
             "(psych's use=\"pairwise\"), each CFA drops its incomplete rows (lavaan's listwise)")
    return X


def run_analysis(ctx: StageContext) -> None:
    cfg = ctx.config.analysis
    out = ctx.run_dir / ANALYSIS_DIR
    shutil.rmtree(out, ignore_errors=True)  # no table may survive from a previous configuration
    out.mkdir()
    X = prepare(ctx, ctx.read("X").set_index("subject_id"))
    summary: dict[str, Any] = {"n_subjects": len(X), "n_values": X.shape[1], "missing": ctx.info["missing"]}
    model = None
    if len(X) >= MIN_SUBJECTS_HELDOUT_CFA and X.shape[1] >= 3:
        model = _attempt(ctx, "CFA comparison", lambda: _compare(ctx, X, out, summary))
    elif len(X) >= MIN_SUBJECTS_PCA:
        ctx.note(f"too few subjects ({len(X)}) for CFA on held-out data (needs ≥ {MIN_SUBJECTS_HELDOUT_CFA}): "
                 "PCA uses all subjects, CFA is skipped")
    if model is None and len(X) >= MIN_SUBJECTS_PCA and X.shape[1] >= 2:
        model = _attempt(ctx, "PCA", lambda: _structure(ctx, X))
    elif model is None:
        ctx.note(f"PCA skipped: {len(X)} subjects × {X.shape[1]} usable values is too few")
    if model is not None:
        _write_structure(model, out)
        system = _factors(model.loadings_)
        summary.update(n_factors=int(model.n_factors_), factors={f: len(v) for f, v in system.items()})
        _attempt(ctx, "reliability", lambda: _alphas(ctx, X, model.loadings_, system, out))
        _attempt(ctx, "congruence with the published five factors",
                 lambda: _congruence(ctx, model.loadings_, out))
        if cfg.schwartz_scores is not None:
            _attempt(ctx, "Table 12 correlations", lambda: _schwartz(ctx, X, model.loadings_, out))
        if cfg.method == "efa":
            _attempt(ctx, "EFA", lambda: _efa(ctx, X[list(model.loadings_.index)], model.n_factors_, out))
        _attempt(ctx, "measurement invariance across model families",
                 lambda: family_invariance(ctx, X, model.loadings_, out))
    summary["notes"] = ctx.notes
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    ctx.info.update({k: v for k, v in summary.items() if k != "notes"})


def _compare(ctx: StageContext, X: pd.DataFrame, out: Path, summary: dict[str, Any]) -> Any:
    """The paper's §5.1 procedure (``gpla.analysis.compare``): construct our system on half of the
    subjects, fit every system's CFA on the other half (Table 2). Returns the constructed PCA."""
    from gpla.analysis.compare import compare_systems

    cfg = ctx.config.analysis
    mapping = cfg.mapping_embedder or ctx.config.models.embedding
    embedder = ctx.models.embedder(mapping) if cfg.compare_systems else None
    comparison = compare_systems(
        X, ["ours", *cfg.compare_systems], embedder, n_factors=cfg.n_factors,
        # no pruning = thresholds no value can fail
        min_loading=cfg.min_loading if cfg.prune else 0.0, cross_margin=cfg.cross_margin if cfg.prune else 0.0,
        random_state=cfg.random_state, theory_data=cfg.theory_data,
        holdout_fraction=cfg.holdout_fraction, bootstrap=cfg.bootstrap, missing=_policy(X),
    )
    comparison.save(out / "cfa")
    summary.update(n_construct=comparison.n_construct, n_pca=comparison.n_pca, n_holdout=comparison.n_holdout,
                   n_cfa=comparison.n_cfa, mapping_embedder=mapping if cfg.compare_systems else None)
    for fit in comparison.fits.values():
        if fit.mapping_warning:
            ctx.note(f"WARNING: {fit.mapping_warning}")
    assert comparison.construction is not None
    removed = comparison.construction.removed
    removed.to_csv(out / "removed.csv", index=False)
    if len(removed):
        ctx.note(f"pruning removed {len(removed)} values (min loading {cfg.min_loading}, "
                 f"cross-loading margin {cfg.cross_margin})")
    ctx.note(f"system constructed on {comparison.n_construct} subjects (bootstrapped to {comparison.n_pca} "
             f"rows); CFA on {comparison.n_holdout} held-out subjects (bootstrapped to {comparison.n_cfa} rows)")
    return comparison.construction.model


def _policy(X: pd.DataFrame) -> MissingPolicy:
    """What the statistics do with the NaNs ``prepare`` left (only under analysis.missing = pairwise)."""
    return "pairwise" if X.isna().to_numpy().any() else "raise"


def _structure(ctx: StageContext, X: pd.DataFrame) -> Any:
    """PCA (+ pruning) on all subjects, when there are too few to hold any out."""
    from gpla.analysis.pca import PrincipalComponents
    from gpla.analysis.pruning import prune_items

    cfg = ctx.config.analysis
    n_factors = cfg.n_factors
    if isinstance(n_factors, int) and n_factors >= min(X.shape):
        ctx.note(f"{n_factors} factors asked but the data are only {X.shape[0]} × {X.shape[1]}: "
                 "using the Kaiser rule")
        n_factors = "kaiser"
    if not cfg.prune:
        return PrincipalComponents(n_factors=n_factors, rotation=cfg.rotation,
                                   random_state=cfg.random_state, missing=_policy(X)).fit(X)
    result = prune_items(X, n_factors=n_factors, min_loading=cfg.min_loading, cross_margin=cfg.cross_margin,
                         rotation=cfg.rotation, random_state=cfg.random_state, missing=_policy(X))
    result.removed.to_csv(ctx.run_dir / ANALYSIS_DIR / "removed.csv", index=False)
    if len(result.removed):
        ctx.note(f"pruning removed {len(result.removed)} values (min loading {cfg.min_loading}, "
                 f"cross-loading margin {cfg.cross_margin})")
    return result.model


def _efa(ctx: StageContext, X: pd.DataFrame, n_factors: int, out: Path) -> None:
    """psych::fa of the values the PCA kept, with the PCA's number of factors (``analysis.method = efa``)."""
    from gpla.analysis.efa import FactorAnalysis

    cfg = ctx.config.analysis
    fit = FactorAnalysis(n_factors, cfg.efa_extraction, cfg.efa_rotation, heywood="warn",
                         missing=_policy(X)).fit(X)
    folder = out / "efa"
    folder.mkdir(exist_ok=True)
    fit.loadings_.rename_axis("value").to_csv(folder / "loadings.csv")
    if fit.factor_correlation_ is not None:
        fit.factor_correlation_.to_csv(folder / "phi.csv")
    fit.communalities_.to_frame().join(fit.uniquenesses_).rename_axis("value").to_csv(folder / "communalities.csv")
    stats = {"n_factors": n_factors, "method": cfg.efa_extraction, "rotation": cfg.efa_rotation,
             **fit.fit_stats_, "warnings": fit.warnings_}
    (folder / "fit.json").write_text(json.dumps(stats, indent=2, default=float))
    for warning in fit.warnings_:
        ctx.note(f"EFA: {warning}")
    ctx.note(f"EFA ({cfg.efa_extraction} + {cfg.efa_rotation}, {n_factors} factors, psych::fa) of the "
             f"{X.shape[1]} values the PCA kept: RMSEA {fit.fit_stats_['RMSEA']:.3f}, TLI {fit.fit_stats_['TLI']:.3f}")


def _write_structure(model: Any, out: Path) -> None:
    model.loadings_.rename_axis("value").to_csv(out / "loadings.csv")
    model.eigenvalues_.rename("eigenvalue").to_csv(out / "eigenvalues.csv")
    model.scree_plot(out / "scree.png")


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
        res = _attempt(ctx, f"alpha of {factor}",
                       partial(cronbach_alpha, X[values], reverse=reverse, missing=_policy(X[values])))
        if res is not None:
            omega = _attempt(ctx, f"omega of {factor}", partial(_omega, X[values], reverse))
            rows.append({"factor": factor, "alpha": res.alpha, "ci_low": res.ci_low, "ci_high": res.ci_high,
                         "ci_method": res.ci_method, "n_items": res.n_items, "omega": omega})
    columns = ["factor", "alpha", "ci_low", "ci_high", "ci_method", "n_items", "omega"]
    pd.DataFrame(rows, columns=columns).to_csv(out / "alphas.csv", index=False)


def _omega(items: pd.DataFrame, reverse: list[str]) -> float:
    """McDonald's omega of a factor's values under a one-factor model (reverse-keyed ones recoded)."""
    from gpla.analysis.omega import congeneric_omega
    from gpla.analysis.reliability import reverse_items

    return congeneric_omega(reverse_items(items, reverse), missing=_policy(items))


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
    ref = ref.loc[common]
    ref = ref.loc[:, (ref != 0).any()]  # published factors none of whose values we measured
    match = match_factors(ours.loc[common], ref)
    match.pairs.assign(n_common_values=len(common)).to_csv(out / "congruence.csv", index=False)
    ctx.note(f"congruence computed on the {len(common)} values shared with the published system")


def _wide(loadings: pd.DataFrame) -> pd.DataFrame:
    """Published loadings in long form (factor, value, loading) → values × factors, zeros elsewhere."""
    if {"factor", "value", "loading"} <= set(loadings.columns):
        return loadings.pivot_table(index="value", columns="factor", values="loading", fill_value=0.0)
    return loadings


def _schwartz(ctx: StageContext, X: pd.DataFrame, loadings: pd.DataFrame, out: Path) -> None:
    from gpla.tables import read_table
    from gpla.validity.factor_scores import factor_scores

    path = Path(str(ctx.config.analysis.schwartz_scores))
    if not path.is_file():
        raise ConfigError(f"analysis.schwartz_scores {path} does not exist")
    schwartz = read_table(path, what=f"analysis.schwartz_scores {path}")
    if schwartz.index.name != "subject_id":
        raise DataError(f"analysis.schwartz_scores {path}: needs a subject_id column")
    common = X.index.intersection(schwartz.index)
    if len(common) < 3:
        raise DataError(f"{path}: only {len(common)} subjects in common with this run")
    scores = factor_scores(X.loc[common], loadings)
    table = pd.DataFrame({f: schwartz.loc[common].corrwith(scores[f]) for f in scores.columns})
    table.rename_axis("schwartz_value").to_csv(out / "schwartz_correlations.csv")
