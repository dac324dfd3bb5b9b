"""The one reader/writer of subjects × variables tables used by every command and the pipeline.

Formats by suffix: ``.csv``, ``.tsv`` (or ``.tab``), ``.parquet``. Index convention, the same everywhere:
a column named ``subject_id`` (the pipeline's ``X.parquet``) or an unnamed first CSV/TSV column (R's
``write.csv`` row names, pandas' ``to_csv``) becomes the index; a Parquet file's stored index is kept.
Whether the remaining columns are numeric is checked by the statistic (`gpla.analysis.data.validate_numeric`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gpla.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

INDEX_COLUMN = "subject_id"
SUFFIXES = (".csv", ".tsv", ".tab", ".parquet", ".pq")


def _kind(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{what}: unknown table format {suffix or '(no suffix)'!r}; use {', '.join(SUFFIXES)}")
    return {".tsv": "tsv", ".tab": "tsv", ".pq": "parquet"}.get(suffix, suffix[1:])


def read_table(path: str | Path, *, what: str | None = None) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet table by its suffix and set its index by the convention above."""
    import pandas as pd

    frame = read_raw_table(path, what=what)
    if not isinstance(frame.index, pd.RangeIndex):  # a Parquet file's stored index
        return frame
    return _set_index(frame, what or str(path))


def read_raw_table(path: str | Path, *, what: str | None = None) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet table by its suffix, columns as they are (long tables, mappings)."""
    import pandas as pd

    path = Path(path)
    what = what or str(path)
    kind = _kind(path, what)
    if not path.is_file():
        raise DataError(f"{what}: file not found")
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{what}: not a readable {kind.upper()} file ({err})") from None
    except (OSError, ValueError) as err:  # pyarrow: not a Parquet file, truncated footer
        raise DataError(f"{what}: not a readable {kind.upper()} file ({err})") from None
    if not len(frame.columns):
        raise DataError(f"{what}: has no columns")
    return frame


def _set_index(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    if INDEX_COLUMN in frame.columns:
        if frame[INDEX_COLUMN].duplicated().any():
            raise DataError(f"{what}: repeated {INDEX_COLUMN} values (each row must be one subject)")
        return frame.set_index(INDEX_COLUMN)
    if len(frame.columns) and str(frame.columns[0]).startswith("Unnamed: 0"):
        frame = frame.set_index(frame.columns[0])
        frame.index.name = None
    return frame


def write_table(frame: pd.DataFrame, path: str | Path, *, index: bool = True) -> Path:
    """Write `frame` by suffix (parent folders created); the index is kept, so `read_table` reads it back."""
    path = Path(path)
    kind = _kind(path, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "parquet":
        frame.to_parquet(path, index=index)
    else:
        frame.to_csv(path, sep="\t" if kind == "tsv" else ",", index=index)
    return path
