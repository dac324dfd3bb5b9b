"""Principal components of the correlation matrix with rotation, as ``psych::principal`` computes them.

We eigen-decompose the correlation matrix ourselves (numpy.linalg.eigh) rather than use
factor_analyzer's ``principal`` method: that one runs a randomized SVD (~2e-3 off psych) and, with
LAPACK, rotates all components instead of the k retained ones (issue 2, "Known traps"). On psych::bfi
this path gives R's eigenvalues to ~1e-14 and its varimax loadings to the 6 decimals R wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from gpla.analysis.data import (
    MissingPolicy,
    check_enough_rows,
    check_positive_definite,
    correlation_matrix,
    validate_numeric,
)
from gpla.analysis.retention import count_above, parallel_thresholds
from gpla.analysis.rotation import ROTATIONS, Rotation, rotate
from gpla.errors import DataError

__all__ = ["NFactors", "PrincipalComponents"]

NFactors = int | Literal["auto", "kaiser"]


class PrincipalComponents(TransformerMixin, BaseEstimator):
    """Principal components with varimax/promax rotation and factor retention.

    Parameters
    ----------
    n_factors: a number, ``"auto"`` (parallel analysis) or ``"kaiser"`` (eigenvalues > 1).
    rotation: ``"varimax"`` (orthogonal, psych's default), ``"promax"`` (oblique) or ``"none"``.
    n_iter: random data sets for parallel analysis.
    quantile: which quantile of the random eigenvalues parallel analysis must beat (None = the mean).
    missing: ``"raise"``, ``"listwise"`` or ``"pairwise"`` (see `gpla.analysis.data`); parallel
        analysis simulates as many rows as the fit uses.
    random_state: seed of parallel analysis.

    Attributes after `fit`: ``loadings_`` (variables × "RC1".."RCk", sorted by variance, each column sum
    positive; the pattern matrix for promax), ``eigenvalues_``, ``explained_variance_`` (proportion of
    the total variance per rotated factor, psych's "Proportion Var"), ``n_factors_``, ``correlation_``,
    ``n_obs_``, ``parallel_`` (random-data thresholds or None), ``factor_correlation_`` (promax only),
    ``communalities_``.
    """

    def __init__(
        self,
        n_factors: NFactors = "auto",
        rotation: Rotation = "varimax",
        n_iter: int = 100,
        random_state: int = 0,
        *,
        quantile: float | None = 0.95,
        missing: MissingPolicy = "raise",
    ) -> None:
        self.n_factors = n_factors
        self.rotation = rotation
        self.n_iter = n_iter
        self.random_state = random_state
        self.quantile = quantile
        self.missing = missing

    def fit(self, X: pd.DataFrame, y: None = None) -> PrincipalComponents:
        if self.rotation not in ROTATIONS:
            raise DataError(f"rotation must be one of {ROTATIONS}, got {self.rotation!r}")
        data = validate_numeric(X, what="PCA data", missing=self.missing, min_cols=2)
        n_obs, n_vars = data.shape
        check_enough_rows(n_obs, n_vars, what="PCA data")
        corr = correlation_matrix(data, what="PCA data")
        check_positive_definite(corr, what="PCA data")

        values, vectors = np.linalg.eigh(corr.to_numpy())
        values, vectors = values[::-1], vectors[:, ::-1]
        self.parallel_: pd.Series | None = None
        k = self._retain(values, n_obs, n_vars)
        unrotated = vectors[:, :k] * np.sqrt(values[:k])
        rotated = rotate(unrotated, self.rotation)

        prefix = "PC" if self.rotation == "none" else "RC"  # psych's names
        names = [f"{prefix}{j + 1}" for j in range(k)]
        self.loadings_ = pd.DataFrame(rotated.loadings, index=corr.index, columns=names)
        self.factor_correlation_ = (
            None if rotated.phi is None else pd.DataFrame(rotated.phi, index=names, columns=names)
        )
        self.eigenvalues_ = pd.Series(values, index=range(1, n_vars + 1), name="eigenvalue")
        self.eigenvalues_.index.name = "component"
        phi = np.eye(k) if rotated.phi is None else rotated.phi
        variance = np.diag(phi @ rotated.loadings.T @ rotated.loadings)
        self.explained_variance_ = pd.Series(variance / n_vars, index=names, name="proportion")
        self.communalities_ = pd.Series((unrotated**2).sum(axis=1), index=corr.index, name="h2")
        self.n_factors_ = k
        self.correlation_ = corr
        self.n_obs_ = n_obs
        # psych's principal(scores=TRUE): regression weights R⁻¹ (Λ Φ) on the standardised data. Kept
        # from the fit (not re-estimated from the scored data, as the stand-alone factor_scores
        # helper does) so that transform scores new rows on the fitted solution.
        structure = rotated.loadings @ phi
        self.weights_ = pd.DataFrame(
            np.linalg.solve(corr.to_numpy(), structure), index=corr.index, columns=names
        )
        self.mean_ = data.mean()
        self.scale_ = data.std(ddof=1)
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
        """Component scores of the rows of `X` (psych's regression scores), standardised with the
        means and standard deviations of the data `fit` saw; a row with a NaN scores NaN unless
        ``missing="raise"``."""
        check_is_fitted(self, "weights_")
        variables = self.weights_.index
        if isinstance(X, pd.DataFrame):
            absent = [v for v in variables if v not in X.columns]
            if absent:
                raise DataError(f"PCA scores: data lack the fitted variable(s) {absent[:8]}")
            frame = X[list(variables)]
        else:
            frame = pd.DataFrame(X)
            if frame.shape[1] != len(variables):
                raise DataError(
                    f"PCA scores: data have {frame.shape[1]} columns, the fit had {len(variables)}"
                )
            frame.columns = variables
        try:
            values = frame.to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"PCA scores: data are not all numeric ({exc})") from None
        if self.missing == "raise" and np.isnan(values).any():
            raise DataError("PCA scores: data have missing values (missing='raise')")
        z = (values - self.mean_.to_numpy()) / self.scale_.to_numpy()
        return pd.DataFrame(
            z @ self.weights_.to_numpy(), index=frame.index, columns=self.weights_.columns
        )

    def _retain(self, values: np.ndarray, n_obs: int, n_vars: int) -> int:
        choice = self.n_factors
        if choice == "kaiser":
            k = count_above(values, 1.0)
        elif choice == "auto":
            thresholds = parallel_thresholds(
                n_obs,
                n_vars,
                n_iter=self.n_iter,
                quantile=self.quantile,
                random_state=self.random_state,
            )
            self.parallel_ = pd.Series(
                thresholds, index=range(1, n_vars + 1), name="random_threshold"
            )
            k = count_above(values, thresholds)
        elif isinstance(choice, (int, np.integer)) and not isinstance(choice, bool):
            if not 1 <= choice <= n_vars:
                raise DataError(
                    f"n_factors must be between 1 and {n_vars} (the number of variables), got {choice}"
                )
            k = int(choice)
        else:
            raise DataError(
                f"n_factors must be a positive integer, 'auto' or 'kaiser', got {choice!r}"
            )
        if k == 0:
            raise DataError(
                f"PCA data: no component stands out ({choice} rule keeps 0; largest eigenvalue "
                f"{values[0]:.3f}); the variables look uncorrelated"
            )
        return k

    def scree_plot(self, path: str | Path) -> Path:
        """Eigenvalues by component, with the random-data thresholds when parallel analysis ran."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        path = Path(path)
        fig, ax = plt.subplots(figsize=(6, 4))
        positions = self.eigenvalues_.index
        ax.plot(positions, self.eigenvalues_.to_numpy(), "o-", label="data")
        if self.parallel_ is not None:
            what = "mean" if self.quantile is None else f"{self.quantile:.0%} quantile"
            ax.plot(
                positions,
                self.parallel_.to_numpy(),
                "--",
                color="tab:red",
                label=f"random data ({what})",
            )
        ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":", label="eigenvalue 1 (Kaiser)")
        ax.axvline(
            self.n_factors_, color="tab:green", linewidth=0.8, label=f"retained: {self.n_factors_}"
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("component")
        ax.set_ylabel("eigenvalue")
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path
