"""Unrotated factor extraction as ``psych::fa`` (psych 2.2.9, ``fac``/``fit`` in R/fa.R) does it.

Both methods optimise the uniquenesses Psi with L-BFGS-B exactly as psych calls R's ``optim``: start at
1 − SMC, bounds [0.005, max(SMC, 1)], ``parscale = 0.01``, R's defaults ``factr = 1e7``, ``pgtol = 0``,
``lmm = 5``, ``maxit = 100``. scipy's L-BFGS-B with those settings retraces R's path: on psych::bfi the
communalities agree with R to 1e-14, where a tighter optimum would sit ~4e-6 away from psych's.

- ``minres``: psych's objective (sum of squared lower-triangle residuals of R with 1 − Psi on its
  diagonal, ``fit.residuals``) with psych's gradient ``FAgr.minres``. factor_analyzer's ULS objective
  also counts the diagonal and is minimised without a gradient, so it finds another optimum: ours.
- ``ml``: factanal's objective, which is factor_analyzer's ``_fit_ml_objective`` (used as is), with
  factanal's gradient ``FAgr`` (factor_analyzer has none) and factanal's loadings (``_normalize_ml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import minimize

Method = Literal["minres", "ml"]
METHODS: tuple[str, ...] = ("minres", "ml")
#: psych's lower bound on a uniqueness; a fit that ends on it is a Heywood case.
LOWER = 0.005
_PARSCALE = 0.01
_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class Extraction:
    loadings: np.ndarray  # variables × factors, unrotated, each column sum positive (psych's flip)
    uniquenesses: np.ndarray  # the optimiser's Psi
    converged: bool
    message: str
    n_iter: int


def smc(corr: np.ndarray) -> np.ndarray:
    """Squared multiple correlations 1 − 1/diag(R⁻¹) (psych::smc for a positive definite R)."""
    return 1.0 - 1.0 / np.diag(np.linalg.inv(corr))


def extract(corr: np.ndarray, n_factors: int, method: Method) -> Extraction:
    """Fit `n_factors` factors to the correlation matrix `corr` by minres or ML (psych's way)."""
    s_smc = smc(corr)
    upper = max(float(s_smc.max()), 1.0)
    start = np.diag(corr) - s_smc
    objective, gradient = (
        (_minres_objective, _minres_gradient)
        if method == "minres"
        else (_ml_objective, _ml_gradient)
    )
    result = minimize(
        lambda x: objective(x * _PARSCALE, corr, n_factors),
        start / _PARSCALE,
        jac=lambda x: gradient(x * _PARSCALE, corr, n_factors) * _PARSCALE,
        method="L-BFGS-B",
        bounds=[(LOWER / _PARSCALE, upper / _PARSCALE)] * len(start),
        options={"maxcor": 5, "ftol": 1e7 * _EPS, "gtol": 0.0, "maxiter": 100},
    )
    psi = result.x * _PARSCALE
    loadings = (
        _minres_loadings(psi, corr, n_factors)
        if method == "minres"
        else _ml_loadings(psi, corr, n_factors)
    )
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    return Extraction(
        loadings=loadings * signs,
        uniquenesses=psi,
        converged=bool(result.success),
        message=str(result.message),
        n_iter=int(result.nit),
    )


def _top_eigen(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(matrix)
    return values[::-1][:k], vectors[:, ::-1][:, :k]


def _minres_objective(psi: np.ndarray, corr: np.ndarray, k: int) -> float:
    reduced = corr.copy()
    np.fill_diagonal(reduced, 1.0 - psi)
    values, vectors = _top_eigen(reduced, k)
    values = np.where(values < _EPS, 100 * _EPS, values)
    loadings = vectors * np.sqrt(values)
    residual = (reduced - loadings @ loadings.T)[np.tril_indices(len(psi), -1)]
    return float(np.sum(residual**2))


def _minres_gradient(psi: np.ndarray, corr: np.ndarray, k: int) -> np.ndarray:
    # psych's FAgr.minres: diag(model + Psi − R), zero at the minres fixed point (not the exact gradient
    # of the objective, but what psych's optimiser follows; we follow it to land where psych lands).
    loadings = _minres_loadings(psi, corr, k)
    return np.sum(loadings**2, axis=1) + psi - np.diag(corr)


def _minres_loadings(psi: np.ndarray, corr: np.ndarray, k: int) -> np.ndarray:
    values, vectors = _top_eigen(corr - np.diag(psi), k)
    return vectors * np.sqrt(np.maximum(values, 0.0))


def _ml_objective(psi: np.ndarray, corr: np.ndarray, k: int) -> float:
    from factor_analyzer import FactorAnalyzer

    return float(FactorAnalyzer._fit_ml_objective(psi, corr, k))


def _ml_gradient(psi: np.ndarray, corr: np.ndarray, k: int) -> np.ndarray:
    loadings = _ml_loadings(psi, corr, k)
    return (np.sum(loadings**2, axis=1) + psi - np.diag(corr)) / psi**2


def _ml_loadings(psi: np.ndarray, corr: np.ndarray, k: int) -> np.ndarray:
    from factor_analyzer import FactorAnalyzer

    return np.asarray(FactorAnalyzer._normalize_ml(psi, corr, k))
