"""Goodness of fit of an exploratory factor model as ``psych::fa`` reports it (``fa.stats`` in psych
2.2.9's R/factor.stats.R): objective, Bartlett-corrected chi-square, RMSEA, TLI and the rms residual.

psych's conventions differ from lavaan's (`gpla.analysis.fit_indices`): the objective is
tr(M⁻¹R) − log det(M⁻¹R) − p with M the model's correlation matrix (unit diagonal), the statistic is
objective × (N − 1 − (2p + 5)/6 − 2k/3), RMSEA = sqrt(max(χ²/(df·N) − 1/(N − 1), 0)), and TLI compares
per-df objectives with the independence model's.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def cor_smooth(matrix: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """psych::cor.smooth: a non-positive-definite correlation matrix gets its small eigenvalues raised
    and is rescaled to unit diagonal. Returns (matrix, whether it was smoothed)."""
    values, vectors = np.linalg.eigh(matrix)
    if values.min() >= np.finfo(float).eps:
        return matrix, False
    values = np.where(values < eig_tol, 100 * eig_tol, values)
    values = values * len(values) / values.sum()
    smoothed = (vectors * values) @ vectors.T
    scale = 1.0 / np.sqrt(np.diag(smoothed))
    return smoothed * np.outer(scale, scale), True


def fa_fit_statistics(
    corr: np.ndarray, loadings: np.ndarray, phi: np.ndarray | None, n_obs: int | None
) -> dict[str, float]:
    """psych's fit statistics of pattern `loadings` (p × k) with factor correlations `phi` for the
    correlation matrix `corr` of `n_obs` rows (None: the statistics that need N are NaN)."""
    p, k = loadings.shape
    model = loadings @ (np.eye(k) if phi is None else phi) @ loadings.T
    residual = corr - model
    off = residual.copy()
    np.fill_diagonal(off, 0.0)
    dof = p * (p - 1) / 2 - p * k + k * (k - 1) / 2
    rms = float(np.sqrt(np.sum(off**2) / (p * (p - 1))))
    crms = float(np.sqrt(np.sum(off**2) / (2 * dof))) if dof > 0 else float("nan")

    np.fill_diagonal(model, np.diag(corr))
    model, _ = cor_smooth(model)
    r_smooth, _ = cor_smooth(corr)
    m_inv_r = np.linalg.solve(model, r_smooth)
    objective = float(np.trace(m_inv_r) - np.linalg.slogdet(m_inv_r)[1] - p)
    null_objective = float(np.trace(r_smooth) - np.linalg.slogdet(r_smooth)[1] - p)
    out = {
        "objective": objective,
        "dof": dof,
        "rms": rms,
        "crms": crms,
        "null_objective": null_objective,
        "null_dof": p * (p - 1) / 2,
    }
    nan = float("nan")
    if n_obs is None:
        return out | {
            "n_obs": nan,
            "chisq": nan,
            "pvalue": nan,
            "TLI": nan,
            "RMSEA": nan,
            "null_chisq": nan,
        }
    multiplier = (n_obs - 1) - (2 * p + 5) / 6 - (2 * k) / 3
    chisq = max(objective * multiplier, 0.0)
    m_model = objective / dof if dof else nan
    m_null = null_objective * 2 / (p * (p - 1))
    return out | {
        "n_obs": n_obs,
        "chisq": chisq,
        "pvalue": float(stats.chi2.sf(chisq, dof)) if dof > 0 else nan,
        "TLI": (m_null - m_model) / (m_null - 1 / multiplier),
        "RMSEA": float(np.sqrt(max(chisq / (dof * n_obs) - 1 / (n_obs - 1), 0.0)))
        if dof > 0
        else nan,
        "null_chisq": null_objective * ((n_obs - 1) - (2 * p + 5) / 6),
    }
