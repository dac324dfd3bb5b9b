"""Finish a semopy ML fit with Fisher-scoring trust-region steps.

Measured here: SLSQP's only stopping rule is a change in the objective below ``tol``. On well-fitting
models (psych::bfi) it needs ``tol=1e-12`` to get estimates within 1e-5 of lavaan's, and on badly
fitting ones (Schwartz systems mapped onto LLM values, the point of `compare`) it then creeps through
thousands of iterations. semopy offers no second-order method, so we take SLSQP's solution at a looser
tolerance and let scipy's ``trust-exact`` finish it with semopy's analytic gradient and the expected
(Fisher) Hessian tr(Σ⁻¹ ∂Σ/∂θᵢ Σ⁻¹ ∂Σ/∂θⱼ), the curvature lavaan's own optimiser relies on. Near the
optimum this converges in a few steps and matches lavaan's indices to its printed precision.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def expected_hessian(sem: Any, x: np.ndarray) -> np.ndarray:
    """Fisher information of semopy's ML objective at `x`, per observation and ×2 (its Hessian scale)."""
    sem.update_matrices(x)
    sigma, (m, c) = sem.calc_sigma()
    inv_sigma = np.linalg.inv(sigma)
    g = np.stack([d @ inv_sigma for d in sem.calc_sigma_grad(m, c)])
    k, p, _ = g.shape
    return np.asarray(g.reshape(k, p * p) @ g.transpose(0, 2, 1).reshape(k, p * p).T)


def polish(sem: Any, max_iter: int = 30) -> tuple[float, float]:
    """Refine `sem`'s fitted parameters in place when that lowers the objective.

    Returns the final objective and the largest absolute gradient component (the convergence check).
    """
    from scipy.optimize import minimize

    x0 = np.asarray(sem.param_vals, dtype=float).copy()
    f0 = float(sem.obj_mlw(x0))
    result = minimize(
        sem.obj_mlw, x0, jac=sem.grad_mlw, hess=lambda x: expected_hessian(sem, x),
        method="trust-exact", options={"gtol": 1e-10, "maxiter": max_iter},
    )  # fmt: skip
    x = result.x if np.isfinite(result.fun) and result.fun <= f0 else x0
    sem.param_vals = x
    sem.update_matrices(x)
    return float(sem.obj_mlw(x)), float(np.max(np.abs(sem.grad_mlw(x))))
