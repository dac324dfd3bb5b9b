"""Measurement invariance of a CFA model across groups: configural, metric, scalar and strict, as
``lavaan::cfa(model, group=, group.equal=)`` + ``fitMeasures`` + ``lavTestLRT`` (lavaan 0.6).

Levels (lavaan's ``group.equal``): configural (none; latent means 0, intercepts free in every group),
metric (``"loadings"``), scalar (+ ``"intercepts"``; latent means free in groups 2..G) and strict
(+ ``"residuals"``: residual variances). Each level starts from the previous level's estimates. The
likelihood-ratio tests are lavaan's default for ML: the difference of the nested models' chisq on the
difference of their df. ΔCFI and ΔRMSEA are each level minus the previous one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as sps
from sklearn.base import BaseEstimator

from gpla.analysis.cfa import _resolve_columns
from gpla.analysis.cfa_spec import CFASpec, parse_cfa
from gpla.analysis.data import check_positive_definite, validate_numeric
from gpla.analysis.multigroup_cfa import MultiGroupFit, fit_model, group_stats
from gpla.analysis.multigroup_indices import multigroup_fit_indices
from gpla.analysis.multigroup_ml import MultiGroupModel
from gpla.errors import ConfigError, DataError

#: level -> lavaan's group.equal
LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}


class MeasurementInvariance(BaseEstimator):
    """Multi-group CFA of `syntax` across the groups in column `group`, at each of `levels`.

    Parameters
    ----------
    syntax: lavaan model (``F =~ x1 + x2 + x3``; ``~~`` lines add or fix (co)variances).
    group: the data column that names each row's group; groups are kept in order of first appearance
        (lavaan's order, so the first group is the reference whose latent means are 0).
    levels: a nested sequence from configural, metric, scalar, strict.
    missing: ``"raise"`` refuses NaNs in the model's columns or the group column; ``"listwise"`` drops
        those rows (lavaan's default).
    heywood: ``"raise"`` makes an improper solution an error; ``"warn"`` keeps it in `warnings_`.
    grad_tol, max_iter: a fit converges when no gradient component of F exceeds `grad_tol` within
        `max_iter` Fisher-scoring iterations; else it is an error.

    Attributes after `fit`: ``fits_`` {level: lavaan-named fit indices}, ``lrt_`` (list of
    {model, chisq, df, chisq_diff, df_diff, p, delta_cfi, delta_rmsea}; the first row has no
    difference), ``groups_`` (labels, in order), ``n_per_group_``, ``n_dropped_``, ``models_``
    {level: `MultiGroupFit`}, ``warnings_``.
    """

    def __init__(
        self,
        syntax: str,
        group: str,
        levels: Sequence[str] = tuple(LEVELS),
        *,
        missing: Literal["raise", "listwise"] = "raise",
        heywood: Literal["raise", "warn"] = "raise",
        grad_tol: float = 1e-4,
        max_iter: int = 500,
    ) -> None:
        self.syntax = syntax
        self.group = group
        self.levels = levels
        self.missing = missing
        self.heywood = heywood
        self.grad_tol = grad_tol
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, y: None = None) -> MeasurementInvariance:
        levels = list(self.levels)
        unknown = [lv for lv in levels if lv not in LEVELS]
        if unknown or not levels:
            raise ConfigError(f"invariance levels must be among {', '.join(LEVELS)}; got {levels}")
        if levels != [lv for lv in LEVELS if lv in levels]:
            raise ConfigError(
                f"invariance levels must be in nesting order {', '.join(LEVELS)}; got {levels}"
            )
        if self.missing not in ("raise", "listwise"):
            raise ConfigError(
                f"invariance: missing must be 'raise' or 'listwise', got {self.missing!r}"
            )
        spec = parse_cfa(self.syntax)
        blocks, labels = self._groups(X, spec)
        stats = group_stats(blocks)
        self.groups_ = labels
        self.n_per_group_ = {label: len(b) for label, b in zip(labels, blocks, strict=True)}
        self.fits_: dict[str, dict[str, float]] = {}
        self.models_: dict[str, MultiGroupFit] = {}
        self.warnings_: list[str] = []
        start = None
        previous: MultiGroupFit | None = None
        for level in levels:
            model = MultiGroupModel(spec, len(blocks), LEVELS[level])
            if previous is not None:
                start = model.pack([previous.matrices(g) for g in range(len(blocks))])
                if not np.isfinite(model.discrepancy(start, stats)):
                    start = None  # an improper previous level (heywood="warn"): start afresh
            fit = fit_model(
                model, stats, labels, start=start, grad_tol=self.grad_tol, max_iter=self.max_iter, heywood=self.heywood,
                what=f"invariance ({level})",
            )  # fmt: skip
            self.warnings_ += [f"{level}: {w}" for w in fit.warnings]
            self.models_[level] = previous = fit
            self.fits_[level] = multigroup_fit_indices(fit, stats)
        self.lrt_ = _lrt(self.fits_)
        return self

    def _groups(self, X: pd.DataFrame, spec: CFASpec) -> tuple[list[Any], list[str]]:
        if self.group not in X.columns:
            raise DataError(f"invariance: no group column {self.group!r} in the data")
        if self.group in spec.observed:
            raise DataError(f"invariance: the group column {self.group!r} is a variable of the model")
        columns = _resolve_columns(spec.observed, X.drop(columns=[self.group]))
        frame = validate_numeric(
            X[list(columns.values())], what="invariance data", missing="pairwise", min_rows=2
        )
        frame.columns = list(columns)
        frame = frame[spec.observed]
        labels = X[self.group]
        incomplete = frame.isna().any(axis=1) | labels.isna()
        if incomplete.any() and self.missing == "raise":
            raise DataError(
                f"invariance data: {int(incomplete.sum())} of {len(frame)} rows have missing values in the "
                f"model's columns or {self.group!r}; pass missing='listwise' (--missing listwise) to drop "
                "them, as lavaan does"
            )
        frame, labels = frame[~incomplete], labels[~incomplete]
        self.n_dropped_ = int(incomplete.sum())
        order = list(dict.fromkeys(labels))  # lavaan: groups in order of first appearance
        if len(order) < 2:
            raise DataError(
                f"invariance: column {self.group!r} has {len(order)} group(s); it needs 2 or more"
            )
        blocks, names = [], []
        p = len(spec.observed)
        for value in order:
            block = frame[labels == value]
            name = str(value)
            if len(block) <= p:
                raise DataError(
                    f"invariance: group {self.group}={name} has {len(block)} rows for {p} observed "
                    "variables; each group needs more rows than variables"
                )
            constant = [c for c in block.columns if block[c].nunique() < 2]
            if constant:
                raise DataError(
                    f"invariance: in group {self.group}={name}, column(s) {', '.join(constant)} are constant"
                )
            check_positive_definite(block.corr(), what=f"invariance group {self.group}={name}")
            blocks.append(block.to_numpy())
            names.append(name)
        return blocks, names

    def to_dict(self) -> dict[str, Any]:
        """``{level: indices, ..., "lrt": [...], "groups": {label: n}}`` (JSON-ready)."""
        return {**self.fits_, "lrt": self.lrt_, "groups": self.n_per_group_}


def _lrt(fits: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    previous: dict[str, float] | None = None
    for level, ix in fits.items():
        row: dict[str, Any] = {"model": level, "chisq": ix["chisq"], "df": ix["df"]}
        if previous is not None:
            diff, df_diff = ix["chisq"] - previous["chisq"], ix["df"] - previous["df"]
            row |= {
                "chisq_diff": diff,
                "df_diff": df_diff,
                "p": float(sps.chi2.sf(diff, df_diff)) if df_diff > 0 else float("nan"),
                "delta_cfi": ix["cfi"] - previous["cfi"],
                "delta_rmsea": ix["rmsea"] - previous["rmsea"],
            }
        rows.append(row)
        previous = ix
    return rows
