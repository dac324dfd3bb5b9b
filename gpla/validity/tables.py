"""Reading the benchmark commands' input tables and writing their output tables (CSV + Markdown).

Input matrices share one format: the first column names the subject/LLM (any header), every other
column is a numeric score (empty cell = missing). CSV, TSV and Parquet are read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gpla.errors import DataError


def read_table(path: str | Path, *, what: str) -> pd.DataFrame:
    """A table from CSV/TSV/Parquet (by suffix), or one `DataError` saying why it cannot be read."""
    from gpla.tables import read_raw_table

    frame = read_raw_table(path, what=f"{what} {path}")
    if not isinstance(frame.index, pd.RangeIndex):  # a Parquet file's stored index is a column here
        frame = frame.reset_index()
    if frame.empty:
        raise DataError(f"{what} {path}: has no rows")
    return frame


def read_matrix(path: str | Path, *, what: str) -> pd.DataFrame:
    """Subjects × numeric columns: the first column becomes the (string) index."""
    frame = read_table(path, what=what)
    if frame.shape[1] < 2:
        raise DataError(f"{what} {path}: needs a name column and at least one score column")
    frame = frame.set_index(frame.columns[0])
    frame.index = frame.index.astype(str).str.strip()
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = frame.index[frame.index.duplicated()].unique().tolist()
    if duplicated:
        raise DataError(f"{what} {path}: names appear more than once: {', '.join(duplicated[:8])}")
    for column in frame.columns:
        converted = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column][converted.isna() & frame[column].notna()]
        if len(bad):
            raise DataError(
                f"{what} {path}: column {column!r} has a non-numeric value {bad.iloc[0]!r} "
                f"in row {bad.index[0]!r}"
            )
        frame[column] = converted.astype(float)
    return frame


def to_markdown(frame: pd.DataFrame, *, floatfmt: str = ".3f") -> str:
    """A GitHub Markdown table. Hand-written because pandas' ``to_markdown`` needs `tabulate`,
    which the project does not depend on."""

    def cell(value: object) -> str:
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else format(value, floatfmt)
        return str(value).replace("|", "\\|")

    if isinstance(frame.index, pd.MultiIndex):  # one column per level reads better than tuples
        frame = frame.reset_index().set_index(frame.index.names[0])
    header = [str(frame.index.name or ""), *map(str, frame.columns)]
    body = frame.to_numpy(dtype=object)
    rows = [[cell(i), *(cell(v) for v in row)] for i, row in zip(frame.index, body, strict=True)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_table(
    frame: pd.DataFrame, path: str | Path, *, floatfmt: str = ".3f"
) -> tuple[Path, Path]:
    """Write `frame` to `path` (CSV, full precision) and beside it ``.md`` (rounded, for reports)."""
    csv_path = Path(path).with_suffix(".csv")
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(csv_path)
    md_path = csv_path.with_suffix(".md")
    md_path.write_text(to_markdown(frame, floatfmt=floatfmt), encoding="utf-8")
    return csv_path, md_path
