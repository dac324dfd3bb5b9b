"""lavaan's ``fitMeasures`` of a multi-group ML fit with a mean structure (lavaan 0.6).

Differences from the single-group formulas in `gpla.analysis.fit_indices`: chisq is the sum of the
groups' N_g·F_g; the baseline is the independence model fitted in every group (free means and
variances), so its chisq is Σ_g N_g (Σ log diag S_g − log|S_g|) on G·p(p−1)/2 df; RMSEA is multiplied by
√G; and SRMR (lavaan's ``srmr_bentler`` with means, `lav_fit_srmr.R`) is, per group, the root mean
square of the mean residuals and the covariance residuals, both scaled by the observed standard
deviations, over p + p(p+1)/2 moments, then averaged with weights N_g/N.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats as sps

from gpla.analysis.multigroup_cfa import MultiGroupFit
from gpla.analysis.multigroup_ml import GroupStats

#: The indices returned, in lavaan's names.
INDICES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "logl", "npar", "ntotal",
           "baseline.chisq", "baseline.df")  # fmt: skip


def multigroup_fit_indices(fit: MultiGroupFit, stats: Sequence[GroupStats]) -> dict[str, float]:
    model = fit.model
    p, n_groups = model.p, len(stats)
    n_total = sum(s.n for s in stats)
    npar = model.n_free
    moments = n_groups * (p * (p + 1) // 2 + (p if model.meanstructure else 0))
    chisq = base_chisq = logl = srmr = 0.0
    for g, s in enumerate(stats):
        mats = fit.matrices(g)
        sigma, mu = mats.sigma(), mats.mu()
        inv = np.linalg.inv(sigma)
        resid = s.mean - mu if model.meanstructure else np.zeros(p)
        logdet_sigma = np.linalg.slogdet(sigma)[1]
        logdet_s = np.linalg.slogdet(s.cov)[1]
        trace = float(np.trace(s.cov @ inv))
        quad = float(resid @ inv @ resid)
        chisq += s.n * (logdet_sigma + trace - logdet_s - p + quad)
        base_chisq += s.n * (float(np.sum(np.log(np.diag(s.cov)))) - logdet_s)
        logl += -s.n / 2 * (p * np.log(2 * np.pi) + logdet_sigma + trace + quad)
        scale = 1.0 / np.sqrt(np.diag(s.cov))
        cov_resid = ((s.cov - sigma) * np.outer(scale, scale))[np.tril_indices(p)]
        squares = np.concatenate([cov_resid, resid * scale]) if model.meanstructure else cov_resid
        srmr += s.n / n_total * float(np.sqrt(np.mean(squares**2)))
    df = moments - npar
    base_df = n_groups * p * (p - 1) // 2
    cfi_den = max(chisq - df, base_chisq - base_df, 0.0)
    values: dict[str, float] = {
        "chisq": float(chisq),
        "df": df,
        "pvalue": float(sps.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        "cfi": float(1.0 - max(chisq - df, 0.0) / cfi_den) if cfi_den > 0 else 1.0,
        "tli": float((base_chisq / base_df - chisq / df) / (base_chisq / base_df - 1.0))
        if df > 0
        else float("nan"),
        "rmsea": float(np.sqrt(max(chisq - df, 0.0) / (df * n_total)) * np.sqrt(n_groups))
        if df > 0
        else 0.0,
        "srmr": srmr,
        "aic": float(-2 * logl + 2 * npar),
        "bic": float(-2 * logl + np.log(n_total) * npar),
        "logl": float(logl),
        "npar": npar,
        "ntotal": n_total,
        "baseline.chisq": float(base_chisq),
        "baseline.df": base_df,
    }
    return {name: values[name] for name in INDICES}
