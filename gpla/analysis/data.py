"""Input checks shared by every statistic: numeric columns, missing values, constant columns, n vs p,
singular correlation matrices. Each failure is one `DataError` that names the columns at fault.

Missing values are never handled silently. The policy is chosen by the caller:
``"raise"`` (default) refuses data with NaNs and says how many rows each policy would keep,
``"listwise"`` drops every row with a missing value, ``"pairwise"`` keeps them and lets each
correlation/covariance use the rows where both columns are present (as R's ``use="pairwise"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from gpla.errors import DataError

MissingPolicy = Literal["raise", "listwise", "pairwise"]
MISSING_POLICIES: tuple[str, ...] = get_args(MissingPolicy)


def _names(columns: Sequence[object], limit: int = 8) -> str:
    shown = ", ".join(str(c) for c in list(columns)[:limit])
    more = len(columns) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def read_csv_data(path: str | Path, *, what: str | None = None) -> pd.DataFrame:
    """Read a subjects × variables table (CSV, TSV or Parquet); see `gpla.tables.read_table`."""
    from gpla.tables import read_table

    return read_table(path, what=what)


def validate_numeric(
    X: pd.DataFrame | np.ndarray,
    *,
    what: str = "data",
    missing: MissingPolicy = "raise",
    min_rows: int = 3,
    min_cols: int = 1,
) -> pd.DataFrame:
    """Check that `X` is a usable numeric subjects × variables table and apply the missing-value policy.

    Returns a float DataFrame (a copy). Raises `DataError` for: no rows/columns, duplicate column names,
    non-numeric or infinite entries, NaNs under ``missing="raise"``, fewer than `min_rows` rows left,
    and constant columns (zero variance: they have no correlation with anything).
    """
    if missing not in MISSING_POLICIES:
        raise DataError(
            f"{what}: missing-value policy must be one of {MISSING_POLICIES}, got {missing!r}"
        )
    frame = pd.DataFrame(X).copy() if not isinstance(X, pd.DataFrame) else X.copy()
    if frame.shape[1] < min_cols:
        raise DataError(f"{what}: needs at least {min_cols} column(s), got {frame.shape[1]}")
    if frame.shape[0] == 0:
        raise DataError(f"{what}: has no rows")
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise DataError(f"{what}: duplicate column names {_names(duplicated)}")
    frame = _to_float(frame, what)
    frame = drop_missing(frame, missing, what=what)
    if frame.shape[0] < min_rows:
        raise DataError(f"{what}: needs at least {min_rows} rows with data, got {frame.shape[0]}")
    empty = frame.columns[frame.isna().all()].tolist()
    if empty:
        raise DataError(f"{what}: column(s) {_names(empty)} have no values")
    spread = frame.max() - frame.min()
    constant = spread.index[~(spread > 0)].tolist()
    if constant:
        raise DataError(
            f"{what}: constant column(s) {_names(constant)} (zero variance; remove them before analysis)"
        )
    return frame


def _to_float(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    bad: list[str] = []
    out = {}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            out[col] = values.astype(float)
            continue
        converted = pd.to_numeric(values, errors="coerce")
        offending = values[converted.isna() & values.notna()]
        if len(offending):
            bad.append(f"{col} (row {offending.index[0]!s}: {offending.iloc[0]!r})")
        out[col] = converted.astype(float)
    if bad:
        raise DataError(f"{what}: non-numeric values in column(s) {_names(bad, limit=5)}")
    result = pd.DataFrame(out, index=frame.index)
    infinite = result.columns[np.isinf(result.to_numpy()).any(axis=0)].tolist()
    if infinite:
        raise DataError(f"{what}: infinite values in column(s) {_names(infinite)}")
    return result


def drop_missing(frame: pd.DataFrame, policy: MissingPolicy, *, what: str = "data") -> pd.DataFrame:
    """Apply a missing-value policy: "raise" refuses NaNs, "listwise" drops incomplete rows,
    "pairwise" keeps them (the statistic then uses pairwise-complete rows)."""
    counts = frame.isna().sum()
    if not counts.any() or policy == "pairwise":
        return frame
    if policy == "listwise":
        return frame.dropna()
    complete = int(frame.notna().all(axis=1).sum())
    columns = [f"{c} ({n})" for c, n in counts[counts > 0].items()]
    raise DataError(
        f"{what}: missing values in column(s) {_names(columns)}. Choose a policy: missing='listwise' "
        f"keeps the {complete} of {len(frame)} complete rows (--missing listwise); missing='pairwise' uses, "
        "for each pair of columns, the rows where both are present (--missing pairwise)"
    )


def correlation_matrix(frame: pd.DataFrame, *, what: str = "data") -> pd.DataFrame:
    """Pearson correlations (pairwise-complete when `frame` still holds NaNs), checked to be finite."""
    corr = frame.corr()
    undefined = corr.columns[corr.isna().any()].tolist()
    if undefined:
        raise DataError(
            f"{what}: correlations involving {_names(undefined)} are undefined (too few rows where "
            "both columns are present or one is constant there)"
        )
    return corr


def check_enough_rows(n_obs: int, n_vars: int, *, what: str = "data") -> None:
    """n ≤ p makes a correlation matrix singular: refuse it up front with the two numbers."""
    if n_obs <= n_vars:
        raise DataError(
            f"{what}: {n_obs} rows for {n_vars} columns; the correlation matrix of n ≤ p data is "
            "singular. Use more rows (subjects) than columns (variables), or fewer columns"
        )


def check_positive_definite(matrix: pd.DataFrame, *, what: str = "data", tol: float = 1e-8) -> None:
    """Refuse a singular or indefinite correlation/covariance matrix, naming the columns that make it so.

    The eigenvector of the smallest eigenvalue shows which columns are (nearly) linear combinations
    of each other: those with a sizeable weight in it are named.
    """
    values, vectors = np.linalg.eigh(matrix.to_numpy())
    scale = max(float(np.max(np.abs(values))), 1.0)
    if values[0] > tol * scale:
        return
    weights = np.abs(vectors[:, 0])
    involved = [matrix.columns[i] for i in np.argsort(-weights) if weights[i] > 0.1]
    indefinite = values[0] < -tol * scale
    kind = "not positive definite (pairwise deletion can cause this)" if indefinite else "singular"
    raise DataError(
        f"{what}: the correlation matrix is {kind}, smallest eigenvalue {values[0]:.3g}; "
        f"columns {_names(involved)} are (nearly) linear combinations of each other; drop one of them"
    )
