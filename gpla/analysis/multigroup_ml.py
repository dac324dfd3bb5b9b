"""Maximum-likelihood CFA over groups with equality constraints, as ``lavaan::cfa(group=, group.equal=)``.

Why not semopy: its ``multigroup`` fits every group separately, with no parameter shared between groups,
so metric, scalar and strict invariance (loadings, intercepts, residual variances equal across groups)
cannot be expressed in it. Here each group g has Λ_g, Θ_g, Ψ_g, intercepts ν_g and latent means α_g,
Σ_g = Λ_g Ψ_g Λ_g' + Θ_g and μ_g = ν_g + Λ_g α_g; an equality constraint is one free parameter shared by
all groups (lavaan's ``npar`` counts it once). The discrepancy is lavaan's
F = Σ_g N_g/N · [log|Σ_g| + tr(S_g Σ_g⁻¹) − log|S_g| − p + (x̄_g − μ_g)' Σ_g⁻¹ (x̄_g − μ_g)], with S_g
divided by N_g, so chisq = N·F. It is minimised by Fisher scoring in a trust region (scipy's
``trust-exact`` with the analytic gradient and the expected information, the curvature lavaan's own
optimiser relies on).

Every free parameter i moves Σ_g by A_i = u_i a_i' + a_i u_i' and μ_g by m_i, so the gradient is
2 a_i' W u_i + m_i' v and the expected information 2(U'CU ∘ A'CA + U'CA ∘ A'CU) + 2 M'CM (C = Σ_g⁻¹),
all in a few matrix products per group instead of p²-row Jacobians (a 123-variable model stays fast).
Without a mean structure (single-group CFA, lavaan's default) the means are saturated and left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gpla.analysis.cfa_spec import CFASpec

#: lavaan's ``group.equal`` names supported here.
EQUAL_OPTIONS = ("loadings", "intercepts", "residuals")


@dataclass(frozen=True)
class Param:
    """One parameter of one group: ``kind`` in lambda/theta/psi/nu/alpha, its matrix cell, its index in
    the free vector (-1 when fixed) and its fixed value."""

    kind: str
    group: int
    row: int
    col: int
    free: int
    value: float


@dataclass
class GroupStats:
    cov: np.ndarray  # divided by N_g
    mean: np.ndarray
    n: int


@dataclass
class Matrices:
    lam: np.ndarray
    theta: np.ndarray
    psi: np.ndarray
    nu: np.ndarray
    alpha: np.ndarray

    def sigma(self) -> np.ndarray:
        return self.lam @ self.psi @ self.lam.T + self.theta

    def mu(self) -> np.ndarray:
        return self.nu + self.lam @ self.alpha


class MultiGroupModel:
    """The parameter table of `spec` over `n_groups` groups with the `equal` constraints."""

    def __init__(
        self,
        spec: CFASpec,
        n_groups: int,
        equal: Sequence[str] = (),
        *,
        meanstructure: bool = True,
    ) -> None:
        self.spec = spec
        self.n_groups = n_groups
        self.equal = tuple(equal)
        self.meanstructure = meanstructure
        self.p, self.m = len(spec.observed), len(spec.factors)
        params: list[Param] = []
        shared: dict[tuple[str, int, int], int] = {}
        n_free = 0

        def add(kind: str, g: int, r: int, c: int, fixed: float | None, share: bool) -> None:
            nonlocal n_free
            if fixed is not None:
                params.append(Param(kind, g, r, c, -1, fixed))
                return
            key = (kind, r, c)
            if share and key in shared:
                index = shared[key]
            else:
                index, n_free = n_free, n_free + 1
                shared[key] = index
            params.append(Param(kind, g, r, c, index, 0.0))

        for g in range(n_groups):
            for (i, f), v in spec.loadings.items():
                add("lambda", g, i, f, v, "loadings" in self.equal)
            for (i, j), v in spec.theta.items():
                add("theta", g, i, j, v, "residuals" in self.equal and i == j)
            for (f, h), v in spec.psi.items():
                add("psi", g, f, h, v, False)
            if meanstructure:
                for i in range(self.p):
                    add("nu", g, i, 0, None, "intercepts" in self.equal)
                # lavaan frees the latent means of groups 2.. when the intercepts are held equal.
                free_means = g > 0 and "intercepts" in self.equal
                for f in range(self.m):
                    add("alpha", g, f, 0, None if free_means else 0.0, False)
        self.params = params
        self.n_free = n_free
        self._by_group = [[q for q in params if q.group == g] for g in range(n_groups)]

    # --- matrices ---------------------------------------------------------------------------------

    def matrices(self, x: np.ndarray, g: int) -> Matrices:
        p, m = self.p, self.m
        mats = Matrices(
            np.zeros((p, m)), np.zeros((p, p)), np.zeros((m, m)), np.zeros(p), np.zeros(m)
        )
        for q in self._by_group[g]:
            value = x[q.free] if q.free >= 0 else q.value
            if q.kind == "lambda":
                mats.lam[q.row, q.col] = value
            elif q.kind == "theta":
                mats.theta[q.row, q.col] = mats.theta[q.col, q.row] = value
            elif q.kind == "psi":
                mats.psi[q.row, q.col] = mats.psi[q.col, q.row] = value
            elif q.kind == "nu":
                mats.nu[q.row] = value
            else:
                mats.alpha[q.row] = value
        return mats

    def pack(self, per_group: Sequence[Matrices]) -> np.ndarray:
        """The free vector from per-group matrices; a shared parameter takes the mean over groups."""
        total, count = np.zeros(self.n_free), np.zeros(self.n_free)
        for q in self.params:
            if q.free < 0:
                continue
            mats = per_group[q.group]
            table = {"lambda": mats.lam, "theta": mats.theta, "psi": mats.psi}
            value = table[q.kind][q.row, q.col] if q.kind in table else (
                mats.nu[q.row] if q.kind == "nu" else mats.alpha[q.row]
            )  # fmt: skip
            total[q.free] += value
            count[q.free] += 1
        return total / np.maximum(count, 1)

    # --- discrepancy, gradient, information -------------------------------------------------------

    def directions(
        self, mats: Matrices, g: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(free indices, U, A, M): Σ moves by u a' + a u' and μ by m per unit of each parameter."""
        free = [q for q in self._by_group[g] if q.free >= 0]
        p, k = self.p, len(free)
        U, A, M = np.zeros((p, k)), np.zeros((p, k)), np.zeros((p, k))
        lam_psi = mats.lam @ mats.psi
        for c, q in enumerate(free):
            if q.kind == "lambda":
                U[q.row, c] = 1.0
                A[:, c] = lam_psi[:, q.col]
                M[q.row, c] = mats.alpha[q.col]
            elif q.kind == "theta":
                U[q.row, c] = 0.5 if q.row == q.col else 1.0
                A[q.col, c] = 1.0
            elif q.kind == "psi":
                U[:, c] = mats.lam[:, q.row] * (0.5 if q.row == q.col else 1.0)
                A[:, c] = mats.lam[:, q.col]
            elif q.kind == "nu":
                M[q.row, c] = 1.0
            else:
                M[:, c] = mats.lam[:, q.row]
        return np.array([q.free for q in free], dtype=int), U, A, M

    def discrepancy(self, x: np.ndarray, stats: Sequence[GroupStats]) -> float:
        """lavaan's F (chisq / N); inf where a Σ_g is not positive definite."""
        n_total = sum(s.n for s in stats)
        value = 0.0
        for g, s in enumerate(stats):
            mats = self.matrices(x, g)
            try:
                chol = np.linalg.cholesky(mats.sigma())
            except np.linalg.LinAlgError:
                return float("inf")
            value += s.n / n_total * _group_f(chol, s, mats, self.meanstructure)
        return float(value)

    def gradient(self, x: np.ndarray, stats: Sequence[GroupStats]) -> np.ndarray:
        n_total = sum(s.n for s in stats)
        grad = np.zeros(self.n_free)
        for g, s in enumerate(stats):
            mats = self.matrices(x, g)
            sigma = mats.sigma()
            inv = _inverse(sigma)
            resid = s.mean - mats.mu() if self.meanstructure else np.zeros(self.p)
            W = inv @ (sigma - s.cov - np.outer(resid, resid)) @ inv
            index, U, A, M = self.directions(mats, g)
            local = 2.0 * np.sum(U * (W @ A), axis=0) - 2.0 * M.T @ (inv @ resid)
            np.add.at(grad, index, s.n / n_total * local)
        return grad

    def information(self, x: np.ndarray, stats: Sequence[GroupStats]) -> np.ndarray:
        """Expected Hessian of F (twice lavaan's unit information, whose F carries a factor 1/2)."""
        n_total = sum(s.n for s in stats)
        info = np.zeros((self.n_free, self.n_free))
        for g, s in enumerate(stats):
            mats = self.matrices(x, g)
            inv = _inverse(mats.sigma())
            index, U, A, M = self.directions(mats, g)
            CU, CA = inv @ U, inv @ A
            uu, aa, au = U.T @ CU, A.T @ CA, A.T @ CU
            local = 2.0 * (uu * aa + au * au.T) + 2.0 * M.T @ inv @ M
            info[np.ix_(index, index)] += s.n / n_total * local
        return info


def _inverse(sigma: np.ndarray) -> np.ndarray:
    inv = np.linalg.inv(sigma)
    return (inv + inv.T) / 2


def _group_f(chol: np.ndarray, s: GroupStats, mats: Matrices, meanstructure: bool) -> float:
    p = len(s.cov)
    logdet_sigma = 2.0 * float(np.sum(np.log(np.diag(chol))))
    _, logdet_s = np.linalg.slogdet(s.cov)
    solved = np.linalg.solve(chol, s.cov)
    trace = float(np.trace(np.linalg.solve(chol.T, solved)))
    value = logdet_sigma + trace - logdet_s - p
    if meanstructure:
        z = np.linalg.solve(chol, s.mean - mats.mu())
        value += float(z @ z)
    return value
