"""lavaan's fit measures of a covariance-structure model, computed from S, Sigma, N and npar.

semopy's own ``calc_stats`` uses other conventions (its GFI is the NFI, its RMSEA uses N - 1 and its
"log-likelihood" is the fit-function value, so its AIC/BIC are not lavaan's), so we compute every index
here with lavaan 0.6's formulas for ``estimator="ML"`` without a mean structure. Checked against
``lavaan::fitMeasures`` on psych::bfi in ``tests/analysis/test_cfa.py``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

#: The indices `lavaan_fit_indices` returns, in lavaan's order and with lavaan's names.
LAVAAN_INDICES: tuple[str, ...] = (
    "npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "baseline.pvalue",
    "cfi", "tli", "logl", "aic", "bic", "ntotal", "rmsea", "srmr", "gfi", "agfi",
)  # fmt: skip


def _logdet(matrix: np.ndarray) -> float:
    sign, value = np.linalg.slogdet(matrix)
    if sign <= 0:
        raise np.linalg.LinAlgError("matrix is not positive definite")
    return float(value)


def lavaan_fit_indices(S: np.ndarray, sigma: np.ndarray, n_obs: int, npar: int) -> dict[str, float]:
    """lavaan's ``fitMeasures`` for an ML fit.

    `S` is the sample covariance divided by N (lavaan's ML convention), `sigma` the model-implied
    covariance at the ML estimate, `n_obs` the number of rows used and `npar` the number of free
    parameters. The baseline is lavaan's independence model (variances only), whose ML fit is
    ``diag(S)``.
    """
    p = S.shape[0]
    inv_sigma = np.linalg.inv(sigma)
    s_inv_sigma = S @ inv_sigma
    logdet_s, logdet_sigma = _logdet(S), _logdet(sigma)
    # F_ML = ln|Sigma| - ln|S| + tr(S Sigma^-1) - p; lavaan's test statistic is N * F_ML.
    chisq = n_obs * (logdet_sigma - logdet_s + np.trace(s_inv_sigma) - p)
    df = p * (p + 1) // 2 - npar
    base_chisq = n_obs * (float(np.sum(np.log(np.diag(S)))) - logdet_s)
    base_df = p * (p - 1) // 2

    logl = -n_obs / 2 * (p * np.log(2 * np.pi) + logdet_sigma + np.trace(s_inv_sigma))
    cfi_den = max(chisq - df, base_chisq - base_df, 0.0)
    cfi = 1.0 - max(chisq - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
    tli = (
        (base_chisq / base_df - chisq / df) / (base_chisq / base_df - 1.0)
        if df > 0 and base_df > 0
        else float("nan")
    )
    rmsea = float(np.sqrt(max(chisq - df, 0.0) / (df * n_obs))) if df > 0 else 0.0
    # srmr = lavaan's "srmr_bentler": residuals scaled by the sample standard deviations.
    scale = 1.0 / np.sqrt(np.diag(S))
    residual = (S - sigma) * np.outer(scale, scale)
    srmr = float(np.sqrt(np.mean(residual[np.tril_indices(p)] ** 2)))
    # ML GFI (Jöreskog & Sörbom) as lavaan computes it: 1 - tr[(Sigma^-1 S - I)^2] / tr[(Sigma^-1 S)^2].
    a = inv_sigma @ S
    gfi = 1.0 - np.trace((a - np.eye(p)) @ (a - np.eye(p))) / np.trace(a @ a)
    agfi = 1.0 - (p * (p + 1) / 2) / df * (1.0 - gfi) if df > 0 else float("nan")

    values = {
        "npar": npar,
        "chisq": float(chisq),
        "df": df,
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        "baseline.chisq": float(base_chisq),
        "baseline.df": base_df,
        "baseline.pvalue": float(stats.chi2.sf(base_chisq, base_df)),
        "cfi": float(cfi),
        "tli": float(tli),
        "logl": float(logl),
        "aic": float(-2 * logl + 2 * npar),
        "bic": float(-2 * logl + np.log(n_obs) * npar),
        "ntotal": n_obs,
        "rmsea": rmsea,
        "srmr": srmr,
        "gfi": float(gfi),
        "agfi": float(agfi),
    }
    return {name: values[name] for name in LAVAAN_INDICES}
