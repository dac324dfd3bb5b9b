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
    criterion grows by less than a relative 1e-5) and psych's Kaiser-normalised promax (power 4);
    it is used directly because `FactorAnalyzer.fit` itself breaks with scikit-learn >= 1.8 and its
    randomized SVD is ~2e-3 off psych (issue 2, "Known traps").
    """
    phi: np.ndarray | None = None
    if method != "none" and loadings.shape[1] > 1:  # Rotator returns a bare array for one factor
        from factor_analyzer.rotator import Rotator

        rotator = Rotator(method=method, normalize=True, max_iter=1000, tol=1e-5)
        loadings = rotator.fit_transform(loadings)
        phi = rotator.phi_
    return sort_and_align(loadings, phi)


def sort_and_align(loadings: np.ndarray, phi: np.ndarray | None = None) -> Rotated:
    """Order factors by variance accounted for (decreasing) and flip each so its column sum is positive.

    For oblique factors the variance of factor j is diag(Φ Λᵀ Λ)_j, psych's choice for principal().
    """
    gram = loadings.T @ loadings
    variance = np.diag(phi @ gram) if phi is not None else np.diag(gram)
    order = np.argsort(-variance, kind="stable")
    loadings = loadings[:, order]
    signs = np.sign(loadings.sum(axis=0))
    signs[signs == 0] = 1.0
    loadings = loadings * signs
    if phi is not None:
        phi = phi[np.ix_(order, order)] * np.outer(signs, signs)
    return Rotated(loadings=loadings, phi=phi)
