"""Confirmatory factor analysis from lavaan-syntax models, fitted by semopy, reported as lavaan reports it.

semopy estimates the model (ML, ``obj="MLW"`` on the N-divided covariance, SLSQP with a tight
tolerance: its default tolerance leaves estimates ~3e-3 off lavaan's). Fit indices then come from the
fitted Sigma, S and N with lavaan's formulas (`gpla.analysis.fit_indices`), because semopy's own
statistics follow other conventions. On psych::bfi they match ``lavaan::fitMeasures`` to ~1e-7.

semopy is silent about three things a user must know, so `CFA.fit` checks them itself: it would use
pairwise covariances when data hold NaNs (we refuse, or drop incomplete rows when asked: listwise, as
lavaan's default), replace a non-positive-definite S by a nearby matrix (we refuse, naming the
columns), and clamp negative variance estimates (Heywood cases) to zero (we detect the clamp).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np
import pandas as pd

from gpla.analysis.data import check_enough_rows, check_positive_definite, validate_numeric
from gpla.analysis.fit_indices import lavaan_fit_indices
from gpla.errors import ConfigError, DataError
from gpla.systems.lavaan import identifier

# A variance estimate this close to semopy's lower bound of 0 (relative to the variable's variance)
# was clamped there: the unconstrained ML estimate, which lavaan reports, is negative.
_CLAMP_TOL = 1e-6


class ModelFitError(DataError):
    """The model cannot be fitted to these data: not identified, no convergence, or a Heywood case."""


class CFA:
    """Confirmatory factor analysis of a lavaan-syntax measurement model.

    Parameters
    ----------
    model:
        lavaan syntax (``F =~ x1 + x2 + x3``, ``x1 ~~ x2``, fixed values ``1*x1``). Variables are
        data columns, named as they are or by their identifier form (``Public_Benefit`` for
        "Public Benefit"; see `gpla.systems.identifier`).
    missing:
        ``"raise"`` refuses rows with NaNs in the model's columns; ``"listwise"`` drops them (lavaan's
        default). Pairwise covariances are not offered: ML on them has no likelihood.
    heywood:
        ``"raise"`` makes a negative variance estimate an error; ``"warn"`` keeps the fit (with the
        variance at its bound of 0, as semopy fits it) and records the case in `warnings_`.
    tol, max_iter:
        SLSQP's tolerance and iteration limit.

    Attributes after `fit`: ``fit_indices_`` (lavaan's names: chisq, df, pvalue, cfi, tli, gfi, agfi,
    rmsea, srmr, aic, bic, logl, npar, ntotal, baseline.chisq, baseline.df, baseline.pvalue),
    ``std_loadings_`` (DataFrame[factor, variable, estimate, loading]: loading is lavaan's
    ``std.all``), ``variances_`` (DataFrame[variable, kind, estimate]), ``sigma_`` and
    ``sample_cov_`` (DataFrames), ``n_obs_``, ``n_dropped_``, ``n_iter_``, ``warnings_``.
    """

    def __init__(
        self,
        model: str,
        *,
        missing: Literal["raise", "listwise"] = "raise",
        heywood: Literal["raise", "warn"] = "raise",
        tol: float = 1e-12,
        max_iter: int = 10_000,
    ) -> None:
        self.model = model
        self.missing = missing
        self.heywood = heywood
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, data: pd.DataFrame) -> CFA:
        import semopy

        if self.missing not in ("raise", "listwise"):
            raise ConfigError(f"CFA: missing must be 'raise' or 'listwise', got {self.missing!r}")
        if self.heywood not in ("raise", "warn"):
            raise ConfigError(f"CFA: heywood must be 'raise' or 'warn', got {self.heywood!r}")
        measurement, observed, covariances = _parse(self.model)
        columns = _resolve_columns(observed, data)
        frame = validate_numeric(
            data[list(columns.values())], what="CFA data", missing=self.missing, min_rows=2
        )
        frame.columns = list(columns)
        self.n_dropped_ = len(data) - len(frame)
        check_enough_rows(len(frame), frame.shape[1], what="CFA data")
        check_positive_definite(frame.corr(), what="CFA data")
        _check_indicator_counts(measurement, covariances)

        sem = semopy.Model(self.model)
        sem.load(frame)
        npar = len(sem.param_vals)
        p = frame.shape[1]
        if p * (p + 1) // 2 < npar:
            raise ModelFitError(
                f"CFA model is not identified: {npar} free parameters but only {p * (p + 1) // 2} "
                f"variances and covariances of its {p} variables (df = {p * (p + 1) // 2 - npar})"
            )
        result = _run_semopy(
            sem.fit, frame, obj="MLW", solver="SLSQP", tol=self.tol, options={"maxiter": self.max_iter}
        )
        if not result.success or not np.isfinite(result.fun):
            raise ModelFitError(
                f"CFA did not converge after {result.n_it} iterations ({result.message}); the model may "
                "not suit these data (too few rows, a factor with too few or unrelated indicators)"
            )
        self.n_iter_ = int(result.n_it)
        self.n_obs_ = len(frame)
        self.warnings_: list[str] = []
        self.variances_ = _variances(sem)
        self._check_heywood(sem)
        sigma, _ = sem.calc_sigma()
        names = {v: columns[v] for v in sem.vars["observed"]}
        obs = [names[v] for v in sem.vars["observed"]]
        self.sigma_ = pd.DataFrame(sigma, index=obs, columns=obs)
        self.sample_cov_ = pd.DataFrame(sem.mx_cov, index=obs, columns=obs)
        self.fit_indices_: dict[str, float] = lavaan_fit_indices(sem.mx_cov, sigma, self.n_obs_, npar)
        self.std_loadings_ = _std_loadings(sem, measurement, sigma, names)
        self.variances_["variable"] = self.variances_["variable"].map(lambda v: names.get(v, v))
        return self

    def _check_heywood(self, sem: Any) -> None:
        scale = float(np.mean(np.diag(sem.mx_cov)))
        clamped = self.variances_[self.variances_["estimate"] <= _CLAMP_TOL * scale]
        if clamped.empty:
            return
        which = ", ".join(f"{r.kind} variance of {r.variable}" for r in clamped.itertuples())
        message = (
            f"Heywood case: the ML estimate of the {which} is negative (semopy holds it at 0); the "
            "model over-fits these variables (an indicator explained beyond 100%, or a factor with too "
            "few indicators)"
        )
        if self.heywood == "raise":
            raise ModelFitError(message + "; pass heywood='warn' to keep the bounded fit")
        self.warnings_.append(message)


Relations = dict[str, dict[str, Any]]


def _parse(model: str) -> tuple[Relations, list[str], Relations]:
    """The model's measurement part {factor: {indicator: fixed value or None}}, its observed
    variables in order of appearance and its (co)variance part {left: {right: fixed value or None}}."""
    from semopy.parser import parse_desc

    if not model.strip():
        raise ConfigError("CFA model is empty")
    try:
        effects, _ = parse_desc(model)
    except SyntaxError as err:
        raise ConfigError(f"CFA model is not valid lavaan syntax: {err}") from None
    measurement = {k: dict(v) for k, v in effects.get("=~", {}).items()}
    if not measurement:
        raise ConfigError("CFA model defines no factor (no 'factor =~ indicator + ...' line)")
    mentioned: list[str] = []
    for relations in effects.values():
        for left, rights in relations.items():
            mentioned += [left, *rights]
    observed = [v for v in dict.fromkeys(mentioned) if v not in measurement]
    return measurement, observed, {k: dict(v) for k, v in effects.get("~~", {}).items()}


def _resolve_columns(observed: list[str], data: pd.DataFrame) -> dict[str, Any]:
    """{model variable: data column}: an exact name, else the column whose identifier form it is."""
    by_identifier: dict[str, list[Any]] = {}
    for col in data.columns:
        by_identifier.setdefault(identifier(str(col)), []).append(col)
    resolved: dict[str, Any] = {}
    absent = []
    for var in observed:
        if var in data.columns:
            resolved[var] = var
        elif len(by_identifier.get(var, [])) == 1:
            resolved[var] = by_identifier[var][0]
        elif var in by_identifier:
            raise DataError(f"CFA model variable {var} matches several columns: {by_identifier[var]}")
        else:
            absent.append(var)
    if absent:
        shown = ", ".join(map(str, list(data.columns)[:10]))
        raise DataError(
            f"CFA model names {len(absent)} variable(s) absent from the data: {', '.join(absent)} "
            f"(columns are: {shown}{' ...' if data.shape[1] > 10 else ''})"
        )
    return resolved


def _check_indicator_counts(measurement: Relations, covariances: Relations) -> None:
    """A factor measured by one indicator is not identified (its loading and residual variance share
    one moment) unless the model fixes that residual variance (``x ~~ 0*x``)."""
    for factor, indicators in measurement.items():
        if len(indicators) == 1:
            (indicator,) = indicators
            if not _is_number(covariances.get(indicator, {}).get(indicator)):
                raise ModelFitError(
                    f"CFA model is not identified: factor {factor} has a single indicator ({indicator}); "
                    "give it 2 or more (3 if it is the only factor), or fix its residual variance"
                )


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _variances(sem: Any) -> pd.DataFrame:
    """Every free variance parameter: residual variances of indicators and latent variances."""
    rows = []
    values = iter(sem.param_vals)
    for param in sem.parameters.values():
        if not param.active:
            continue
        value = float(next(values))
        for loc in param.locations:
            i, j = loc.indices
            if i != j:
                continue
            if loc.matrix is sem.mx_theta:
                rows.append((sem.names_theta[0][i], "residual", value))
            elif loc.matrix is sem.mx_psi:
                rows.append((sem.names_psi[0][i], "latent", value))
    return pd.DataFrame(rows, columns=["variable", "kind", "estimate"])


def _std_loadings(
    sem: Any, measurement: Relations, sigma: np.ndarray, names: dict[str, Any]
) -> pd.DataFrame:
    """lavaan's ``std.all`` loadings: lambda × sd(factor) / sd(indicator), both model-implied."""
    beta, lamb, psi, _ = sem.matrices[:4]
    c = np.linalg.inv(np.identity(beta.shape[0]) - beta)
    sd_inner = np.sqrt(np.diag(c @ psi @ c.T))
    sd_obs = np.sqrt(np.diag(sigma))
    rows_obs, cols_inner = sem.names_lambda
    rows = []
    for factor, indicators in measurement.items():
        j = cols_inner.index(factor)
        for indicator in indicators:
            i = rows_obs.index(indicator)
            est = float(lamb[i, j])
            rows.append((factor, names.get(indicator, indicator), est, est * sd_inner[j] / sd_obs[i]))
    return pd.DataFrame(rows, columns=["factor", "variable", "estimate", "loading"])


def _run_semopy(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call semopy on one BLAS thread with its logging.warning lines muted (we report each condition
    ourselves). Its gradient makes hundreds of small matrix products per iteration, where BLAS threads
    only add overhead: one thread fits a 92-variable model 10x faster on a busy 2-core machine."""
    from threadpoolctl import threadpool_limits

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with threadpool_limits(1):
            return func(*args, **kwargs)
    finally:
        root.setLevel(level)
