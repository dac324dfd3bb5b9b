"""Exploratory factor analysis (minres or ML, oblimin/promax/varimax) as ``psych::fa`` computes it.

Why not factor_analyzer's ``FactorAnalyzer``: its ``fit`` breaks with scikit-learn >= 1.8, its minres
objective is not psych's (`gpla.analysis.efa_extract` says how), and it neither names nor orders
factors as psych does. What still works of it is used: its ``Rotator`` (a port of GPArotation's
GPFoblq for oblimin, R's varimax, psych's Kaiser-normalised promax) and its ML objective and loadings.
The rest follows psych 2.2.9's ``fac``: flip unrotated factors to positive column sums, rotate
(GPArotation::oblimin with gamma 0 and no normalisation; ``kaiser(·, "Promax")``; ``stats::varimax``),
flip again, name ``MR1``.. / ``ML1``.. by position, then sort by variance diag(Φ ΛᵀΛ). On psych::bfi this
gives psych's pattern loadings, Phi, communalities and fit statistics, names and column order included.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from gpla.analysis.data import (
    MissingPolicy,
    check_enough_rows,
    check_positive_definite,
    correlation_matrix,
    validate_numeric,
)
from gpla.analysis.efa_extract import LOWER, METHODS, Method, extract
from gpla.analysis.efa_stats import fa_fit_statistics
from gpla.analysis.retention import count_above, parallel_thresholds
from gpla.errors import ConfigError, DataError

FactorRotation = Literal["oblimin", "promax", "varimax", "none"]
FACTOR_ROTATIONS: tuple[str, ...] = ("oblimin", "promax", "varimax", "none")
_PREFIX = {"minres": "MR", "ml": "ML"}
# GPArotation's and stats::varimax's stopping rule and iteration limit, which psych leaves at defaults.
_ROTATION_TOL = 1e-5
_ROTATION_MAX_ITER = 1000


class FactorFitError(DataError):
    """The factor model cannot be fitted: the optimiser or the rotation did not converge, or a Heywood case."""


class FactorAnalysis(BaseEstimator):
    """Exploratory factor analysis of a correlation matrix, psych's ``fa`` in numbers and names.

    Parameters
    ----------
    n_factors: a number, or ``"auto"``: parallel analysis on the correlation matrix's eigenvalues
        against the `quantile` of random normal data's (the same rule as `PrincipalComponents`; psych's
        ``fa.parallel(fa="fa")`` would compare reduced-matrix eigenvalues instead).
    method: ``"minres"`` (psych's default) or ``"ml"``.
    rotation: ``"oblimin"`` (psych's default), ``"promax"``, ``"varimax"`` or ``"none"``.
    missing: ``"raise"``, ``"listwise"`` or ``"pairwise"`` (see `gpla.analysis.data`).
    heywood: a uniqueness on psych's lower bound 0.005 or a communality ≥ 1 (a Heywood case, which psych
        only warns about) is an error with ``"raise"``; ``"warn"`` keeps the fit and records it in `warnings_`.
    n_iter, quantile, random_state: parallel analysis (``n_factors="auto"``).

    Attributes after `fit`: ``loadings_`` (pattern matrix, variables × psych's factor names in psych's
    order), ``factor_correlation_`` (Phi; None for varimax/none), ``structure_`` (Λ Φ), ``communalities_``
    (psych's ``communality``), ``uniquenesses_``, ``fit_stats_`` (objective, chisq, dof, pvalue, RMSEA,
    TLI, rms, crms, null model; N-dependent ones NaN when N is unknown), ``explained_variance_`` (psych's
    "SS loadings"), ``n_factors_``, ``n_obs_``, ``correlation_``, ``n_iter_``, ``parallel_``, ``warnings_``.
    """

    def __init__(
        self,
        n_factors: int | Literal["auto"] = 1,
        method: Method = "minres",
        rotation: FactorRotation = "oblimin",
        *,
        missing: MissingPolicy = "raise",
        heywood: Literal["raise", "warn"] = "raise",
        n_iter: int = 100,
        quantile: float | None = 0.95,
        random_state: int = 0,
    ) -> None:
        self.n_factors = n_factors
        self.method = method
        self.rotation = rotation
        self.missing = missing
        self.heywood = heywood
        self.n_iter = n_iter
        self.quantile = quantile
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: None = None) -> FactorAnalysis:
        """Fit to subjects × variables data (Pearson correlations, as psych's default)."""
        data = validate_numeric(X, what="EFA data", missing=self.missing, min_cols=2)
        check_enough_rows(len(data), data.shape[1], what="EFA data")
        corr = correlation_matrix(data, what="EFA data")
        return self.fit_correlation(corr, n_obs=len(data))

    def fit_correlation(self, corr: pd.DataFrame, n_obs: int | None = None) -> FactorAnalysis:
        """Fit to a correlation matrix; `n_obs` (None = unknown) enters only the fit statistics and
        parallel analysis."""
        self._check_options()
        check_positive_definite(corr, what="EFA data")
        R = corr.to_numpy(dtype=float)
        p = R.shape[0]
        self.parallel_: pd.Series | None = None
        k = self._retain(R, n_obs)
        self.warnings_: list[str] = []
        fitted = extract(R, k, self.method)
        if not fitted.converged:
            raise FactorFitError(
                f"EFA ({self.method}, {k} factors) did not converge after {fitted.n_iter} iterations "
                f"({fitted.message}); try fewer factors"
            )
        loadings, phi, names = _rotate(fitted.loadings, self.rotation, _PREFIX[self.method])
        variables = list(corr.index)
        self.loadings_ = pd.DataFrame(loadings, index=variables, columns=names)
        self.factor_correlation_ = (
            None if phi is None else pd.DataFrame(phi, index=names, columns=names)
        )
        self.structure_ = (
            self.loadings_ if phi is None else self.loadings_ @ self.factor_correlation_
        )
        h2 = np.sum(fitted.loadings**2, axis=1)
        self.communalities_ = pd.Series(h2, index=variables, name="h2")
        self.uniquenesses_ = pd.Series(np.diag(R) - h2, index=variables, name="u2")
        gram = loadings.T @ loadings
        self.explained_variance_ = pd.Series(
            np.diag(gram if phi is None else phi @ gram), index=names, name="ss_loadings"
        )
        self.fit_stats_ = fa_fit_statistics(R, loadings, phi, n_obs)
        self.n_factors_ = k
        self.n_obs_ = n_obs
        self.correlation_ = corr
        self.n_iter_ = fitted.n_iter
        if self.fit_stats_["dof"] < 0:
            raise FactorFitError(
                f"{k} factors for {p} variables leave negative degrees of freedom "
                f"({self.fit_stats_['dof']:g}): the model is not identified; use fewer factors"
            )
        self._check_heywood(fitted.uniquenesses, h2, variables)
        return self

    def _check_options(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(
                f"EFA method must be one of {', '.join(METHODS)}, got {self.method!r}"
            )
        if self.rotation not in FACTOR_ROTATIONS:
            raise ConfigError(
                f"EFA rotation must be one of {', '.join(FACTOR_ROTATIONS)}, got {self.rotation!r}"
            )
        if self.heywood not in ("raise", "warn"):
            raise ConfigError(f"EFA heywood must be 'raise' or 'warn', got {self.heywood!r}")

    def _retain(self, R: np.ndarray, n_obs: int | None) -> int:
        p = R.shape[0]
        choice = self.n_factors
        if choice == "auto":
            if n_obs is None:
                raise ConfigError(
                    "EFA n_factors='auto' (parallel analysis) needs the number of rows"
                )
            values = np.linalg.eigvalsh(R)[::-1]
            thresholds = parallel_thresholds(
                n_obs, p, n_iter=self.n_iter, quantile=self.quantile, random_state=self.random_state
            )
            self.parallel_ = pd.Series(thresholds, index=range(1, p + 1), name="random_threshold")
            k = count_above(values, thresholds)
            if k == 0:
                raise DataError(
                    f"EFA data: parallel analysis keeps no factor (largest eigenvalue {values[0]:.3f}); "
                    "the variables look uncorrelated"
                )
            return k
        if not isinstance(choice, (int, np.integer)) or isinstance(choice, bool):
            raise ConfigError(f"EFA n_factors must be a positive integer or 'auto', got {choice!r}")
        if not 1 <= choice < p:
            raise ConfigError(
                f"EFA n_factors must be between 1 and {p - 1} for {p} variables, got {choice}"
            )
        return int(choice)

    def _check_heywood(self, psi: np.ndarray, h2: np.ndarray, variables: list[str]) -> None:
        at_bound = [
            str(v)
            for v, u, c in zip(variables, psi, h2, strict=True)
            if u <= LOWER * (1 + 1e-6) or c >= 1
        ]
        if not at_bound:
            return
        message = (
            f"Heywood case: communality ≥ 1 or uniqueness on psych's lower bound {LOWER} for "
            f"{', '.join(at_bound)}; too many factors, or too few rows"
        )
        if self.heywood == "raise":
            raise FactorFitError(message + "; pass heywood='warn' (--heywood warn) to keep the fit")
        self.warnings_.append(message)


def _rotate(
    loadings: np.ndarray, rotation: str, prefix: str
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Rotate, flip, name and sort factors as psych's ``fac`` does. Returns (pattern, Phi, names)."""
    k = loadings.shape[1]
    phi: np.ndarray | None = None
    if rotation == "oblimin" and k > 1:
        loadings, phi = oblimin(loadings)
    elif rotation in ("promax", "varimax") and k > 1:
        from factor_analyzer.rotator import Rotator

        # psych's kaiser(L, "Promax") is factor_analyzer's Kaiser-normalised promax; varimax is
        # stats::varimax (Kaiser-normalised, R's stopping rule).
        rotator = Rotator(
            method=rotation, normalize=True, power=4, max_iter=_ROTATION_MAX_ITER, tol=_ROTATION_TOL
        )
        loadings = rotator.fit_transform(loadings)
        phi = rotator.phi_ if rotation == "promax" else None
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = loadings * signs
    if phi is not None:
        phi = phi * np.outer(signs, signs)
    names = [f"{prefix}{j + 1}" for j in range(k)]
    if k == 1:
        return loadings, phi, names
    gram = loadings.T @ loadings
    order = np.argsort(-np.diag(gram if phi is None else phi @ gram), kind="stable")
    return (
        loadings[:, order],
        None if phi is None else phi[np.ix_(order, order)],
        [names[j] for j in order],
    )


def oblimin(loadings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``GPArotation::oblimin(L)`` as psych calls it (gamma 0, no Kaiser normalisation, start at the
    identity, eps 1e-5, 1000 iterations): (pattern loadings, Phi), factors in input order and signs.

    factor_analyzer's Rotator is the same GPFoblq algorithm (its gamma != 0 branch is wrong; gamma 0,
    psych's default, is all we use), but it stops silently at its iteration limit: GPArotation's
    convergence test (projected gradient norm < 1e-5) is repeated here so that is an error."""
    from factor_analyzer.rotator import Rotator

    rotator = Rotator(
        method="oblimin", normalize=False, max_iter=_ROTATION_MAX_ITER, tol=_ROTATION_TOL
    )
    pattern = rotator.fit_transform(loadings)
    _check_oblimin(loadings, rotator.rotation_)
    return pattern, rotator.phi_


def _check_oblimin(loadings: np.ndarray, T: np.ndarray) -> None:
    rotated = loadings @ np.linalg.inv(T).T
    weights = rotated**2 @ (1 - np.eye(T.shape[0]))
    gradient = -(rotated.T @ (rotated * weights) @ np.linalg.inv(T)).T
    projected = gradient - T @ np.diag(np.sum(T * gradient, axis=0))
    norm = float(np.sqrt(np.sum(projected**2)))
    if norm >= _ROTATION_TOL:
        raise FactorFitError(
            f"oblimin rotation did not converge in {_ROTATION_MAX_ITER} iterations (gradient norm {norm:.2g}); "
            "try another rotation or fewer factors"
        )
