"""McDonald's omega: per factor of a CFA (``semTools::compRelSEM``) and hierarchical (``psych::omega``).

- `CFAOmega`: for each factor of a lavaan-syntax CFA (fitted by `gpla.analysis.cfa.CFA`, equal to
  lavaan), omega = (Σᵢ λᵢ)² ψ / 1ᵀS1 over the factor's indicators, where S is the observed covariance
  (lavaan's, divided by N): compRelSEM's default ``obs.var = TRUE``. The numerator is taken from the
  standardised loadings, λᵢ·sd(η) = λᵢ_std·sd(xᵢ), so it holds however the factor is scaled.
- `HierarchicalOmega`: psych's Schmid–Leiman omega (psych 2.2.9, R/omega.R and R/schmid.R): an
  orthogonal (varimax) EFA, oblimin of those loadings, one factor of their correlations as the general
  factor, then ω_h = (Σ g)² / 1ᵀR1 and ω_total = (1ᵀR1 − Σ u²) / 1ᵀR1 with items whose general loading
  is negative flipped first (psych's ``flip=TRUE``).
No Python library computes either as R does (semopy has no reliability; factor_analyzer no omega).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from gpla.analysis.data import (
    MissingPolicy,
    check_enough_rows,
    correlation_matrix,
    validate_numeric,
)
from gpla.analysis.efa import FactorAnalysis, oblimin
from gpla.analysis.efa_extract import METHODS, Method
from gpla.analysis.reliability import reverse_items
from gpla.errors import ConfigError, DataError


class CFAOmega(BaseEstimator):
    """Omega of each factor of a CFA model, as ``semTools::compRelSEM(fit)``.

    Parameters
    ----------
    model: lavaan syntax (see `gpla.analysis.cfa.CFA`).
    reverse: reverse-keyed items, recoded (min + max) − x over all items before fitting (psych's
        ``reverse.code``; 7 − x on a 1–6 scale).
    missing, heywood: passed to `CFA`.

    Attributes after `fit`: ``omega_`` ({factor: {omega, common_variance, total_variance, n_items}}),
    ``cfa_`` (the fitted `CFA`), ``n_obs_``.
    """

    def __init__(
        self,
        model: str,
        *,
        reverse: Sequence[str] = (),
        missing: Literal["raise", "listwise"] = "raise",
        heywood: Literal["raise", "warn"] = "raise",
    ) -> None:
        self.model = model
        self.reverse = reverse
        self.missing = missing
        self.heywood = heywood

    def fit(self, data: pd.DataFrame, y: None = None) -> CFAOmega:
        from gpla.analysis.cfa import CFA

        data = reverse_items(data, list(self.reverse), what="omega data") if self.reverse else data
        self.cfa_ = CFA(self.model, missing=self.missing, heywood=self.heywood).fit(data)
        self.omega_ = composite_reliability(
            self.cfa_.std_loadings_, self.cfa_.sigma_, self.cfa_.sample_cov_
        )
        self.n_obs_ = self.cfa_.n_obs_
        return self


def composite_reliability(
    std_loadings: pd.DataFrame, sigma: pd.DataFrame, sample_cov: pd.DataFrame
) -> dict[str, dict[str, Any]]:
    """compRelSEM's omega per factor from a CFA's standardised loadings (factor, variable, loading),
    model-implied covariance `sigma` and observed covariance `sample_cov` (N-divided, as lavaan's)."""
    out: dict[str, dict[str, Any]] = {}
    for factor, rows in std_loadings.groupby("factor", sort=False):
        items = [v for v in rows["variable"] if v in sample_cov.index]
        if len(items) < len(rows):  # loads on another factor (higher order): not a scale of items
            continue
        if len(items) < 2:  # compRelSEM drops single-indicator factors as well
            continue
        sd = np.sqrt(np.diag(sigma.loc[items, items].to_numpy()))
        common = float(np.sum(rows["loading"].to_numpy() * sd) ** 2)
        total = float(sample_cov.loc[items, items].to_numpy().sum())
        out[str(factor)] = {
            "omega": common / total,
            "common_variance": common,
            "total_variance": total,
            "n_items": len(items),
        }
    return out


def congeneric_omega(items: pd.DataFrame, *, missing: MissingPolicy = "raise") -> float:
    """Omega of one scale under a one-factor (congeneric) model: compRelSEM of ``F =~ items``.

    A one-factor CFA is the one-factor ML factor model, whose fit reproduces each item's variance, so
    λᵢ·sd(η) = λᵢ_std·sᵢ and omega = (Σ λᵢ_std sᵢ)² / 1ᵀS1 (N or N − 1 cancels). Fitting it by
    `FactorAnalysis` needs no semopy model per scale, which keeps the run report's Table 1 cheap.
    Reverse-keyed items must be recoded first (a negative loading subtracts from the sum)."""
    if items.shape[1] < 3:
        # One factor on two items has 4 parameters for 3 moments: the loadings, and so omega, are
        # whatever the optimiser stops at (lavaan refuses the model as not identified).
        raise DataError(
            f"omega needs at least 3 items for a one-factor model to be identified, got {items.shape[1]}"
        )
    data = validate_numeric(items, what="omega data", missing=missing, min_cols=3)
    fit = FactorAnalysis(1, "ml", "none", missing=missing).fit(data)
    cov = data.cov().to_numpy()
    lam = fit.loadings_.to_numpy()[:, 0] * np.sqrt(np.diag(cov))
    return float(lam.sum() ** 2 / cov.sum())


class HierarchicalOmega(BaseEstimator):
    """psych's ``omega(items, nfactors)``: Schmid–Leiman omega hierarchical and omega total.

    Parameters
    ----------
    n_factors: group factors (≥ 3: with fewer, the general factor is not identified; psych then
        imposes equal loadings, which we do not offer). psych's default is 3.
    method: factoring method, ``"minres"`` (psych's default) or ``"ml"``.
    reverse: reverse-keyed items, recoded (min + max) − x first.
    flip: flip items whose general-factor loading is negative (psych's default ``flip=TRUE``).
    missing: ``"raise"``, ``"listwise"`` or ``"pairwise"``.
    heywood: passed to the group-factor `FactorAnalysis`.

    Attributes after `fit`: ``omega_h_``, ``omega_total_``, ``alpha_`` (of the flipped items),
    ``omega_limit_`` (ω_h / ω_total's asymptote, psych's ``omega.lim``), ``loadings_`` (Schmid–Leiman
    g, F1*..Fk*, h2, u2, p2), ``flipped_`` (items flipped), ``n_obs_``, ``warnings_``.
    """

    def __init__(
        self,
        n_factors: int = 3,
        method: Method = "minres",
        *,
        reverse: Sequence[str] = (),
        flip: bool = True,
        missing: MissingPolicy = "raise",
        heywood: Literal["raise", "warn"] = "raise",
    ) -> None:
        self.n_factors = n_factors
        self.method = method
        self.reverse = reverse
        self.flip = flip
        self.missing = missing
        self.heywood = heywood

    def fit(self, X: pd.DataFrame, y: None = None) -> HierarchicalOmega:
        if not isinstance(self.n_factors, (int, np.integer)) or self.n_factors < 3:
            raise ConfigError(
                f"hierarchical omega needs at least 3 group factors for the general factor to be identified, "
                f"got {self.n_factors!r}"
            )
        if self.method not in METHODS:
            raise ConfigError(
                f"omega method must be one of {', '.join(METHODS)}, got {self.method!r}"
            )
        data = validate_numeric(X, what="omega data", missing=self.missing, min_cols=2)
        data = reverse_items(data, list(self.reverse), what="omega data") if self.reverse else data
        check_enough_rows(len(data), data.shape[1], what="omega data")
        corr = correlation_matrix(data, what="omega data")
        k = int(self.n_factors)
        group = FactorAnalysis(k, self.method, "varimax", heywood=self.heywood).fit_correlation(
            corr, len(data)
        )
        orth = group.loadings_.to_numpy()
        pattern, phi = oblimin(orth)
        names = [f"F{j + 1}" for j in range(k)]
        general = FactorAnalysis(1, self.method, "none", heywood="warn").fit_correlation(
            pd.DataFrame(phi, index=names, columns=names)
        )
        self.warnings_ = [*group.warnings_, *(f"general factor: {w}" for w in general.warnings_)]
        gload = general.loadings_.to_numpy()[:, 0]
        g = pattern @ gload
        h2 = np.sum(orth**2, axis=1)
        u2 = 1.0 - h2
        # psych's sign(F) * sqrt(F² − (F·g)²): each group factor's loading net of the general factor
        group_loadings = np.sign(pattern) * np.sqrt(np.maximum(pattern**2 * (1.0 - gload**2), 0.0))
        R = corr.to_numpy()
        key = np.where(g < 0, -1.0, 1.0) if self.flip else np.ones_like(g)
        R = R * np.outer(key, key)
        g, group_loadings = g * key, group_loadings * key[:, None]
        total, p = float(R.sum()), R.shape[0]
        self.omega_h_ = float(g.sum() ** 2 / total)
        self.omega_total_ = float((total - u2.sum()) / total)
        self.omega_limit_ = float(g.sum() ** 2 / (total - u2.sum()))
        self.alpha_ = float((total - np.trace(R)) / total * p / (p - 1))
        self.loadings_ = pd.DataFrame(
            np.column_stack([g, group_loadings, h2, u2, g**2 / h2]),
            index=corr.index,
            columns=["g", *(f"{n}*" for n in names), "h2", "u2", "p2"],
        )
        self.flipped_ = [str(v) for v, s in zip(corr.index, key, strict=True) if s < 0]
        self.n_obs_ = len(data)
        return self
