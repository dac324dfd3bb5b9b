"""Fit a `MultiGroupModel` by ML: start values, Fisher scoring, and the checks lavaan warns about.

A fit that is not identified (singular information), does not converge, or ends in an improper solution
(a negative residual variance — a Heywood case — or factor covariances that are not positive definite)
raises `ModelFitError` naming the group and variable; ``heywood="warn"`` keeps an improper solution and
records it in ``warnings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from gpla.analysis.cfa import ModelFitError
from gpla.analysis.multigroup_ml import GroupStats, Matrices, MultiGroupModel


@dataclass
class MultiGroupFit:
    model: MultiGroupModel
    x: np.ndarray
    discrepancy: float  # lavaan's F: chisq / N
    max_gradient: float
    n_iter: int
    groups: list[str]
    warnings: list[str] = field(default_factory=list)

    def matrices(self, g: int) -> Matrices:
        return self.model.matrices(self.x, g)


def group_stats(blocks: Sequence[np.ndarray]) -> list[GroupStats]:
    """Per-group ML moments: means and the covariance divided by N_g (lavaan's ML convention)."""
    out = []
    for block in blocks:
        centred = block - block.mean(axis=0)
        out.append(GroupStats(centred.T @ centred / len(block), block.mean(axis=0), len(block)))
    return out


def start_matrices(model: MultiGroupModel, s: GroupStats) -> Matrices:
    """Start values for one group: each factor's loadings from the first principal component of its
    indicators, rescaled so the marker keeps its fixed loading; residual variances what the factor
    leaves of each variance (at least 20%); factor covariances from the factor's unit-weighted sums."""
    spec, p, m = model.spec, model.p, model.m
    lam, psi = np.zeros((p, m)), np.zeros((m, m))
    sd = np.sqrt(np.diag(s.cov))
    weights = np.zeros((p, m))
    for f in range(m):
        members = [i for (i, h) in spec.loadings if h == f]
        corr = s.cov[np.ix_(members, members)] / np.outer(sd[members], sd[members])
        values, vectors = np.linalg.eigh(corr)
        load = vectors[:, -1] * np.sqrt(max(values[-1], 1e-6)) * sd[members]
        fixed = [(k, spec.loadings[i, f]) for k, i in enumerate(members) if spec.loadings[i, f]]
        if fixed:  # scale so the first non-zero fixed loading is met exactly
            k, value = fixed[0]
            scale = load[k] / value if abs(load[k]) > 1e-8 else 1.0
        else:
            fixed_var = spec.psi.get((f, f))
            scale = 1.0 / np.sqrt(fixed_var) if fixed_var else 1.0
        psi[f, f] = spec.psi.get((f, f)) or scale**2
        for k, i in enumerate(members):
            given = spec.loadings[i, f]
            lam[i, f] = given if given is not None else load[k] / scale
        weights[members, f] = np.sign(load)
    scores = weights.T @ s.cov @ weights
    for f in range(m):
        for h in range(f + 1, m):
            fixed_cov = spec.psi.get((f, h))
            r = (
                scores[f, h] / np.sqrt(scores[f, f] * scores[h, h])
                if scores[f, f] * scores[h, h] > 0
                else 0
            )
            psi[f, h] = psi[h, f] = (
                fixed_cov
                if fixed_cov is not None
                else np.clip(r, -0.9, 0.9) * np.sqrt(psi[f, f] * psi[h, h])
            )
    common = np.einsum("if,fh,ih->i", lam, psi, lam)
    theta = np.diag(np.maximum(np.diag(s.cov) - common, 0.2 * np.diag(s.cov)))
    for (i, j), value in spec.theta.items():
        if i != j or value is not None:
            theta[i, j] = theta[j, i] = value or 0.0
    return Matrices(lam, theta, psi, s.mean.copy(), np.zeros(m))


def fit_model(
    model: MultiGroupModel,
    stats: Sequence[GroupStats],
    groups: Sequence[str],
    *,
    start: np.ndarray | None = None,
    grad_tol: float = 1e-4,
    max_iter: int = 500,
    heywood: Literal["raise", "warn"] = "raise",
    what: str = "CFA",
) -> MultiGroupFit:
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    p = model.p
    moments = len(stats) * (p * (p + 1) // 2 + (p if model.meanstructure else 0))
    if model.n_free > moments:
        raise ModelFitError(
            f"{what}: model is not identified: {model.n_free} free parameters for {moments} sample moments"
        )
    x0 = start if start is not None else model.pack([start_matrices(model, s) for s in stats])
    if not np.isfinite(model.discrepancy(x0, stats)):
        raise ModelFitError(f"{what}: start values give a non-positive-definite covariance matrix")
    # One BLAS thread: the matrices are small, and threads only contend on a busy 2-core machine.
    with threadpool_limits(1):
        result = minimize(
            model.discrepancy, x0, args=(stats,), jac=model.gradient, hess=model.information,
            method="trust-exact", options={"gtol": grad_tol * 1e-4, "maxiter": max_iter},
        )  # fmt: skip
        x = result.x
        max_grad = float(np.max(np.abs(model.gradient(x, stats)))) if model.n_free else 0.0
        fit = MultiGroupFit(model, x, float(result.fun), max_grad, int(result.nit), list(groups))
        _check_identified(fit, stats, what)
    if not np.isfinite(fit.discrepancy) or max_grad > grad_tol:
        raise ModelFitError(
            f"{what} did not converge: the largest gradient component is {max_grad:.2g} after "
            f"{fit.n_iter} Fisher-scoring iterations; the model may not suit these data"
        )
    _check_proper(fit, heywood, what)
    return fit


def _check_identified(fit: MultiGroupFit, stats: Sequence[GroupStats], what: str) -> None:
    if fit.model.n_free == 0:
        return
    values = np.linalg.eigvalsh(fit.model.information(fit.x, stats))
    if values[0] <= 1e-10 * max(values[-1], 1e-300):
        raise ModelFitError(
            f"{what}: model is not identified (the information matrix is singular, smallest eigenvalue "
            f"{values[0]:.2g}); give each factor a scale (a fixed loading or variance) and enough indicators"
        )


def _check_proper(fit: MultiGroupFit, heywood: str, what: str) -> None:
    spec = fit.model.spec
    problems = []
    for g, label in enumerate(fit.groups):
        mats = fit.matrices(g)
        where = f" in group {label}" if len(fit.groups) > 1 else ""
        negative = [spec.observed[i] for i in range(fit.model.p) if mats.theta[i, i] < 0]
        if negative:
            problems.append(
                f"Heywood case{where}: negative residual variance of {', '.join(negative)}"
            )
        if fit.model.m > 1 and np.linalg.eigvalsh(mats.psi)[0] <= 0:
            problems.append(
                f"improper solution{where}: the factors' covariance matrix is not positive definite"
            )
        elif fit.model.m == 1 and mats.psi[0, 0] <= 0:
            problems.append(f"Heywood case{where}: negative variance of factor {spec.factors[0]}")
    if problems and heywood == "raise":
        raise ModelFitError(f"{what}: " + "; ".join(problems))
    fit.warnings += problems
