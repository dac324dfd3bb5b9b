"""Factor rotation as ``psych::principal`` does it: rotate, sort factors by variance, make column sums positive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Rotation = Literal["varimax", "promax", "none"]
ROTATIONS: tuple[str, ...] = ("varimax", "promax", "none")


@dataclass(frozen=True)
class Rotated:
    # variables × factors, sorted and sign-aligned (the pattern matrix when oblique)
    loadings: np.ndarray
    # factor correlations of an oblique rotation, None when orthogonal
    phi: np.ndarray | None


def rotate(loadings: np.ndarray, method: Rotation) -> Rotated:
    """Rotate unrotated component loadings, then order and orient factors as psych does.

    factor_analyzer's `Rotator` implements R's ``stats::varimax`` (Kaiser normalisation, stop when the
    criterion grows by less than a relative 1e-5); it is used directly because `FactorAnalyzer.fit`
    itself breaks with scikit-learn >= 1.8 and its randomized SVD is ~2e-3 off psych (issue 2, "Known
    traps"). Promax is ``stats::promax``, which psych::principal (2.2.9) calls; see `_stats_promax`.
    """
    phi: np.ndarray | None = None
    if method == "promax" and loadings.shape[1] > 1:
        loadings, phi = _stats_promax(loadings)
    elif method != "none" and loadings.shape[1] > 1:  # Rotator returns a bare array for one factor
        from factor_analyzer.rotator import Rotator

        loadings = Rotator(method=method, normalize=True, max_iter=1000, tol=1e-5).fit_transform(loadings)
    return sort_and_align(loadings, phi)


def _stats_promax(loadings: np.ndarray, power: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """R's ``stats::promax``: Kaiser-normalised varimax, then the power-4 target fitted by least
    squares to the varimax loadings themselves. factor_analyzer's promax (and psych::fa's
    ``kaiser(·, "Promax")``) fits the target to the row-normalised loadings instead, which moves
    psych::bfi's principal() promax loadings by up to 0.05 (`bfi_principal_promax_loadings.csv`).
    Returns (pattern, Phi); Phi = cov2cor(U⁻¹U⁻ᵀ) as psych::principal computes it."""
    from factor_analyzer.rotator import Rotator

    varimax = Rotator(method="varimax", normalize=True, max_iter=1000, tol=1e-5).fit_transform(loadings)
    target = varimax * np.abs(varimax) ** (power - 1)
    U = np.linalg.lstsq(varimax, target, rcond=None)[0]
    U = U * np.sqrt(np.diag(np.linalg.inv(U.T @ U)))
    inverse = np.linalg.inv(U)
    phi = inverse @ inverse.T
    scale = 1.0 / np.sqrt(np.diag(phi))
    return varimax @ U, phi * np.outer(scale, scale)


def sort_and_align(loadings: np.ndarray, phi: np.ndarray | None = None) -> Rotated:
    """Order factors by variance accounted for (decreasing) and flip each so its column sum is positive.

    psych::principal (2.2.9) orders oblique components by diag(ΛᵀΛ) as well, without Φ (psych::fa uses
    diag(Φ ΛᵀΛ); `gpla.analysis.efa` does that).
    """
    order = np.argsort(-np.diag(loadings.T @ loadings), kind="stable")
    loadings = loadings[:, order]
    signs = np.sign(loadings.sum(axis=0))
    signs[signs == 0] = 1.0
    loadings = loadings * signs
    if phi is not None:
        phi = phi[np.ix_(order, order)] * np.outer(signs, signs)
    return Rotated(loadings=loadings, phi=phi)
