"""Modification indices of a CFA, as ``lavaan::modindices(fit)`` (lavaan 0.6, `lav_modification.R`).

Every parameter the model fixes — cross-loadings (``=~``), residual covariances between indicators
(``~~``), fixed factor covariances and fixed loadings such as the markers — is a candidate. Its index is
the score test of freeing it alone (Saris, Satorra & Sörbom 1987) with lavaan's *expected* information:
mi = N · g² / V, where g is the gradient of lavaan's ML discrepancy (½·F_ML) and
V = I_ff − I_fθ I_θθ⁻¹ I_θf its information left once the free parameters θ adapt; the expected
parameter change is epc = −g / V, and sepc.all standardises it with the model-implied standard deviations
(residual covariances by the residual variances, lavaan's ``cov.std``). Candidates whose V is below
lavaan's cut-off (ε^⅓: freeing them would leave the model unidentified, e.g. a marker) have no index.

semopy has no modification indices. Only the diagonal of V is needed, so the information of the
thousands of candidates of a 100-variable model is never formed as a matrix.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from gpla.analysis.cfa import _apply_missing, _resolve_columns
from gpla.analysis.cfa_spec import CFASpec, parse_cfa
from gpla.analysis.data import check_enough_rows, check_positive_definite, validate_numeric
from gpla.analysis.multigroup_cfa import MultiGroupFit, fit_model, group_stats
from gpla.analysis.multigroup_ml import GroupStats, Matrices, MultiGroupModel
from gpla.errors import ConfigError

COLUMNS = ["lhs", "op", "rhs", "mi", "epc", "sepc_all"]
_V_CUTOFF = np.finfo(float).eps ** (1 / 3)  # lavaan's (0.6-14 on)


class ModificationIndices(BaseEstimator):
    """Modification indices of the single-group ML CFA of `syntax` (no mean structure, as lavaan's
    ``cfa()`` default).

    Attributes after `fit`: ``table_`` (DataFrame[lhs, op, rhs, mi, epc, sepc_all], sorted by mi,
    largest first, as ``modindices(fit, sort.=TRUE)``), ``n_obs_``, ``n_dropped_``, ``warnings_``.
    """

    def __init__(
        self,
        syntax: str,
        *,
        missing: Literal["raise", "listwise"] = "raise",
        heywood: Literal["raise", "warn"] = "raise",
    ) -> None:
        self.syntax = syntax
        self.missing = missing
        self.heywood = heywood

    def fit(self, X: pd.DataFrame, y: None = None) -> ModificationIndices:
        if self.missing not in ("raise", "listwise"):
            raise ConfigError(
                f"modindices: missing must be 'raise' or 'listwise', got {self.missing!r}"
            )
        spec = parse_cfa(self.syntax)
        columns = _resolve_columns(spec.observed, X)
        frame = validate_numeric(
            X[list(columns.values())], what="CFA data", missing="pairwise", min_rows=2
        )
        frame = _apply_missing(frame, self.missing)
        self.n_dropped_ = len(X) - len(frame)
        check_enough_rows(len(frame), frame.shape[1], what="CFA data")
        check_positive_definite(frame.corr(), what="CFA data")
        stats = group_stats([frame.to_numpy()])
        model = MultiGroupModel(spec, 1, meanstructure=False)
        fit = fit_model(
            model, stats, ["all"], heywood=self.heywood, what="CFA (modification indices)"
        )
        self.n_obs_ = len(frame)
        self.warnings_ = fit.warnings
        self.table_ = modification_indices(fit, stats[0].cov, self.n_obs_)
        return self

    def top(self, k: int) -> pd.DataFrame:
        return self.table_.head(k).reset_index(drop=True)


def _candidates(spec: CFASpec) -> list[tuple[str, int, int]]:
    """Fixed parameters, in lavaan's order: loadings, indicator covariances, factor covariances."""
    out = [("lambda", i, f) for f in range(len(spec.factors)) for i in range(len(spec.observed))
           if spec.loadings.get((i, f), 0.0) is not None]  # fmt: skip
    p = len(spec.observed)
    out += [
        ("theta", i, j)
        for i in range(p)
        for j in range(i, p)
        if spec.theta.get((i, j), 0.0) is not None
    ]
    out += [("psi", f, h) for (f, h), v in spec.psi.items() if v is not None]
    return out


def modification_indices(fit: MultiGroupFit, cov: np.ndarray, n_obs: int) -> pd.DataFrame:
    """The modification indices of a single-group fit without mean structure; `cov` is S (÷N)."""
    spec = fit.model.spec
    candidates = _candidates(spec)
    mats = fit.matrices(0)
    # The extended model frees every candidate; it is evaluated at the fit (candidates at their fixed values).
    free: dict[str, dict[tuple[int, int], float | None]] = {
        "lambda": dict(spec.loadings), "theta": dict(spec.theta), "psi": dict(spec.psi)
    }  # fmt: skip
    for kind, r, c in candidates:
        free[kind][r, c] = None
    extended = MultiGroupModel(
        replace(spec, loadings=free["lambda"], theta=free["theta"], psi=free["psi"]),
        1,
        meanstructure=False,
    )
    x = extended.pack([mats])
    is_extra = np.zeros(extended.n_free, dtype=bool)
    candidate_set = set(candidates)
    for q in extended.params:
        if q.free >= 0:
            is_extra[q.free] = (q.kind, q.row, q.col) in candidate_set
    stats = [GroupStats(cov, np.zeros(len(cov)), n_obs)]
    grad = extended.gradient(x, stats) / 2  # lavaan's discrepancy is F_ML / 2
    index, U, A, _ = extended.directions(extended.matrices(x, 0), 0)
    cols_e, cols_m = is_extra[index], ~is_extra[index]
    inv = np.linalg.inv(mats.sigma())
    CU, CA = inv @ U, inv @ A
    Ue, Ae, Um, Am = U[:, cols_e], A[:, cols_e], U[:, cols_m], A[:, cols_m]
    CUe, CAe, CUm, CAm = CU[:, cols_e], CA[:, cols_e], CU[:, cols_m], CA[:, cols_m]
    # lavaan's unit information is half the expected Hessian of F_ML: (U'CU ∘ A'CA + A'CU ∘ U'CA).
    i_mm = Um.T @ CUm * (Am.T @ CAm) + (Am.T @ CUm) * (Am.T @ CUm).T
    i_em = Ue.T @ CUm * (Ae.T @ CAm) + (Ae.T @ CUm) * (Ue.T @ CAm)
    i_ee = np.sum(Ue * CUe, axis=0) * np.sum(Ae * CAe, axis=0) + np.sum(Ae * CUe, axis=0) ** 2
    v = i_ee - np.sum(np.linalg.solve(i_mm, i_em.T).T * i_em, axis=1)
    g = grad[index[cols_e]]
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.where(v >= _V_CUTOFF, n_obs * g**2 / v, np.nan)
        epc = np.where(v >= _V_CUTOFF, -g / v, np.nan)
    sigma_sd = np.sqrt(np.diag(mats.sigma()))
    params = [q for q in extended.params if q.free >= 0 and is_extra[q.free]]  # directions' order
    rows = [
        _row(spec, mats, sigma_sd, q.kind, q.row, q.col, mi[k], epc[k])
        for k, q in enumerate(params)
    ]
    table = pd.DataFrame(rows, columns=COLUMNS).dropna(subset=["mi"])
    return table.sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)


def _row(
    spec: CFASpec, mats: Matrices, sd: np.ndarray, kind: str, r: int, c: int, mi: float, epc: float
) -> tuple[str, str, str, float, float, float]:
    """lavaan's names and sepc.all (`lav_standardize_all` with cov.std = TRUE)."""
    if kind == "lambda":
        return (
            spec.factors[c],
            "=~",
            spec.observed[r],
            mi,
            epc,
            epc * np.sqrt(mats.psi[c, c]) / sd[r],
        )
    if kind == "psi":
        scale = np.sqrt(abs(mats.psi[r, r] * mats.psi[c, c]))
        return spec.factors[r], "~~", spec.factors[c], mi, epc, epc / scale
    if r == c:  # a fixed residual variance: lavaan standardises its value, not the change
        value = mats.theta[r, r]
        std = (
            0.0
            if abs(value) < np.sqrt(np.finfo(float).eps)
            else np.sign(epc) * abs(value) / sd[r] ** 2
        )
        return spec.observed[r], "~~", spec.observed[r], mi, epc, std
    scale = np.sqrt(abs(mats.theta[r, r] * mats.theta[c, c]))
    return spec.observed[r], "~~", spec.observed[c], mi, epc, epc / scale
