"""Confirmatory factor analysis from lavaan-syntax models, fitted by semopy, reported as lavaan reports it.

semopy estimates the model (ML, ``obj="MLW"`` on the N-divided covariance, SLSQP; its default
tolerance leaves estimates ~3e-3 off lavaan's), then Fisher-scoring steps finish the optimisation
(`gpla.analysis.cfa_polish` says why). Fit indices come from the fitted Sigma, S and N with lavaan's
formulas (`gpla.analysis.fit_indices`), because semopy's own statistics follow other conventions.
On psych::bfi they match ``lavaan::fitMeasures`` to ~1e-7.

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
from sklearn.base import BaseEstimator

from gpla.analysis.cfa_polish import polish
from gpla.analysis.data import check_enough_rows, check_positive_definite, validate_numeric
from gpla.analysis.fit_indices import lavaan_fit_indices
from gpla.analysis.lavaan import resolve_columns
from gpla.errors import ConfigError, DataError

# A variance estimate this close to semopy's lower bound of 0 (relative to the variable's variance)
# was clamped there: the unconstrained ML estimate, which lavaan reports, is negative.
_CLAMP_TOL = 1e-6


class ModelFitError(DataError):
    """The model cannot be fitted to these data: not identified, no convergence, or a Heywood case."""


class CFA(BaseEstimator):
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
        SLSQP's tolerance and iteration limit (the Fisher-scoring finish makes 1e-8 as exact as
        SLSQP alone at 1e-12, in a fraction of the iterations on badly fitting models).
    grad_tol:
        the fit counts as converged when no gradient component of the ML objective exceeds this.
    converge:
        ``"raise"`` makes a fit that stopped short of that an error; ``"warn"`` keeps it and records
        it in `warnings_` (badly specified models, e.g. Schwartz's mapped onto LLM values, often end so).

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
        tol: float = 1e-8,
        max_iter: int = 10_000,
        grad_tol: float = 1e-4,
        converge: Literal["raise", "warn"] = "raise",
    ) -> None:
        self.model = model
        self.missing = missing
        self.heywood = heywood
        self.tol = tol
        self.max_iter = max_iter
        self.grad_tol = grad_tol
        self.converge = converge

    def fit(self, data: pd.DataFrame, y: None = None) -> CFA:
        import semopy

        if self.missing not in ("raise", "listwise"):
            raise ConfigError(f"CFA: missing must be 'raise' or 'listwise', got {self.missing!r}")
        if self.heywood not in ("raise", "warn"):
            raise ConfigError(f"CFA: heywood must be 'raise' or 'warn', got {self.heywood!r}")
        measurement, observed, covariances = _parse(self.model)
        columns = _resolve_columns(observed, data)
        frame = validate_numeric(
            data[list(columns.values())], what="CFA data", missing="pairwise", min_rows=2
        )
        frame = _apply_missing(frame, self.missing)
        frame.columns = list(columns)
        self.n_dropped_ = len(data) - len(frame)
        check_enough_rows(len(frame), frame.shape[1], what="CFA data")
        check_positive_definite(frame.corr(), what="CFA data")
        _check_indicator_counts(measurement, covariances)

        sem = semopy.Model(_explicit_factor_covariances(self.model))
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
        if not self._clamped(sem).empty:
            self._check_heywood(sem)  # the bounded fit is the answer: no unconstrained finish
        else:
            self._finish(sem)
        sigma, _ = sem.calc_sigma()
        names = {v: columns[v] for v in sem.vars["observed"]}
        obs = [names[v] for v in sem.vars["observed"]]
        self.sigma_ = pd.DataFrame(sigma, index=obs, columns=obs)
        self.sample_cov_ = pd.DataFrame(sem.mx_cov, index=obs, columns=obs)
        self.fit_indices_: dict[str, float] = lavaan_fit_indices(sem.mx_cov, sigma, self.n_obs_, npar)
        self._check_improper(sigma)
        self.std_loadings_ = _std_loadings(sem, measurement, sigma, names)
        self.variances_["variable"] = self.variances_["variable"].map(lambda v: names.get(v, v))
        return self

    def _finish(self, sem: Any) -> None:
        """Fisher-scoring finish, then the convergence and improper-solution checks."""
        start = np.array(sem.param_vals, dtype=float)
        _, max_grad = _run_semopy(polish, sem)
        if (_variances(sem)["estimate"] < 0).any():
            sem.param_vals = start  # unbounded steps crossed zero: a Heywood case, keep SLSQP's fit
            sem.update_matrices(start)
            max_grad = 0.0
        self.variances_ = _variances(sem)
        self._check_heywood(sem)
        if max_grad > self.grad_tol:
            message = (
                f"CFA did not converge: the largest gradient component is {max_grad:.2g} after "
                f"{self.n_iter_} SLSQP iterations and the Fisher-scoring finish; the model may not suit "
                "these data (factors that correlate near ±1, too few rows)"
            )
            if self.converge == "raise":
                raise ModelFitError(message)
            self.warnings_.append(message)

    def _check_improper(self, sigma: np.ndarray) -> None:
        """A solution no fit index can describe: an implied covariance matrix that is not positive
        definite, residuals larger than the correlations (SRMR > 1) or GFI < 0. semopy returns these
        as fits (e.g. from fixed values far from the data); lavaan would warn, we refuse by default."""
        problems = []
        if np.linalg.eigvalsh((sigma + sigma.T) / 2)[0] <= 0:
            problems.append("the model-implied covariance matrix is not positive definite")
        srmr, gfi = self.fit_indices_.get("srmr", np.nan), self.fit_indices_.get("gfi", np.nan)
        if srmr > 1:
            problems.append(f"SRMR = {srmr:.3g} > 1")
        if gfi < 0:
            problems.append(f"GFI = {gfi:.3g} < 0")
        if not problems:
            return
        message = f"improper solution: {'; '.join(problems)}; the model does not describe these data"
        if self.heywood == "raise":
            raise ModelFitError(message + "; pass heywood='warn' (--heywood warn) to report it anyway")
        self.warnings_.append(message)

    def _clamped(self, sem: Any) -> pd.DataFrame:
        scale = float(np.mean(np.diag(sem.mx_cov)))
        return self.variances_[self.variances_["estimate"] <= _CLAMP_TOL * scale]

    def _check_heywood(self, sem: Any) -> None:
        self._check_latent_covariance(sem)
        clamped = self._clamped(sem)
        if clamped.empty:
            return
        which = ", ".join(f"{r.kind} variance of {r.variable}" for r in clamped.itertuples())
        message = (
            f"Heywood case: negative ML estimate (semopy holds it at 0) of the {which}; an indicator "
            "is explained beyond 100% or a factor has too few indicators"
        )
        if self.heywood == "raise":
            raise ModelFitError(message + "; pass heywood='warn' (--heywood warn) to keep the bounded fit")
        self.warnings_.append(message)

    def _check_latent_covariance(self, sem: Any) -> None:
        """Factor correlations beyond ±1 (a non-positive-definite latent covariance) make an improper
        solution, which lavaan warns about; semopy does not."""
        psi, (names, _) = sem.mx_psi, sem.names_psi
        latent = [i for i, n in enumerate(names) if n in sem.vars["latent"]]
        block = psi[np.ix_(latent, latent)]
        if len(latent) < 2 or np.linalg.eigvalsh(block)[0] > 0:
            return
        message = "improper solution: the factors' covariance matrix is not positive definite"
        var = np.diag(block)
        alive = var > _CLAMP_TOL * float(np.mean(np.diag(sem.mx_cov)))
        if alive.sum() >= 2:  # name the worst pair among factors that kept a variance
            sd = np.sqrt(np.where(alive, var, 1.0))
            corr = np.where(np.outer(alive, alive), block / np.outer(sd, sd), 0.0)
            i, j = np.unravel_index(np.argmax(np.abs(np.triu(corr, 1))), corr.shape)
            if abs(corr[i, j]) >= 1:
                message += f" ({names[latent[i]]} and {names[latent[j]]} correlate {corr[i, j]:.3f})"
        if self.heywood == "raise":
            raise ModelFitError(message + "; pass heywood='warn' (--heywood warn) to keep the fit")
        self.warnings_.append(message)


Relations = dict[str, dict[str, Any]]


def _apply_missing(frame: pd.DataFrame, policy: str) -> pd.DataFrame:
    counts = frame.isna().sum()
    if not counts.any() or policy == "listwise":
        return frame.dropna()
    columns = ", ".join(f"{c} ({n})" for c, n in counts[counts > 0].items())
    raise DataError(
        f"CFA data: missing values in column(s) {columns}. Pass missing='listwise' (--missing listwise) "
        f"to drop incomplete rows, as lavaan does: {int(frame.notna().all(axis=1).sum())} of {len(frame)} "
        "rows are complete. (ML on pairwise covariances has no likelihood, so it is not offered.)"
    )


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


def _explicit_factor_covariances(model: str) -> str:
    """The model with the covariances of its exogenous factors written out (``F1 ~~ F2``), the free
    parameters semopy adds on its own. semopy orients each such pair in set order, which follows
    PYTHONHASHSEED, so its parameter vector, hence the optimiser's path and the last digits of every
    estimate, changed from one process to the next; written out, they are parsed in text order."""
    from semopy.parser import parse_desc

    effects, _ = parse_desc(model)
    factors = list(effects.get("=~", {}))
    endogenous = set(effects.get("~", {})) | {i for inds in effects.get("=~", {}).values() for i in inds}
    exogenous = sorted(f for f in factors if f not in endogenous)
    given = effects.get("~~", {})
    extra = [f"{a} ~~ {b}" for i, a in enumerate(exogenous) for b in exogenous[i + 1:]
             if b not in given.get(a, {}) and a not in given.get(b, {})]
    return "\n".join([model, *extra])


def _resolve_columns(observed: list[str], data: pd.DataFrame) -> dict[str, Any]:
    return resolve_columns(observed, data.columns, what="CFA model")


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
