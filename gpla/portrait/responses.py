"""Read models' averaged answers into one long table ``[model, portrait_id, option_id, numeric_response]``.

Accepted: a directory of ``<model>_averaged_results.json`` (the authors' layout, also written by
``gpla portrait average`` and ``administer``), one such file, any JSON list of records with
``portrait_id, option_id, numeric_response`` (model = file stem), or a CSV with those columns and
optionally ``model``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gpla.errors import DataError
from gpla.portrait.averaging import AVERAGED_SUFFIX
from gpla.portrait.jsonio import read_json
from gpla.tables import SUFFIXES as TABLE_SUFFIXES
from gpla.tables import read_raw_table

COLUMNS = ["model", "portrait_id", "option_id", "numeric_response"]


def model_name(path: Path) -> str:
    name = path.name
    return name[: -len(AVERAGED_SUFFIX)] if name.endswith(AVERAGED_SUFFIX) else path.stem


def load_responses(path: str | Path) -> pd.DataFrame:
    """All models' averaged answers found at `path` (file or directory)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob(f"*{AVERAGED_SUFFIX}"))
        if not files:
            raise DataError(f"{path}: no *{AVERAGED_SUFFIX} files")
        frames = [_read_file(f) for f in files]
    elif path.is_file():
        frames = [_read_file(path)]
    else:
        raise DataError(f"{path}: no such file or directory")
    out = pd.concat(frames, ignore_index=True)
    dup = out.duplicated(["model", "portrait_id", "option_id"])
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise DataError(
            f"{path}: model {first['model']!r} answers item ({first['portrait_id']}, "
            f"{first['option_id']}) more than once"
        )
    return out


def _read_file(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in TABLE_SUFFIXES:  # CSV, TSV or Parquet, read as every command reads tables
        frame = read_raw_table(path)
        if "model" not in frame.columns:
            frame["model"] = model_name(path)
    else:
        data = read_json(path)
        if not isinstance(data, list):
            raise DataError(f"{path}: expected a JSON list of item records")
        frame = pd.DataFrame.from_records(data)
        frame["model"] = model_name(path)
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise DataError(f"{path}: missing field(s) {', '.join(sorted(missing))}")
    frame = frame[COLUMNS].copy()
    for col in ("portrait_id", "option_id"):
        ids = pd.to_numeric(frame[col], errors="coerce")
        if ids.isna().any():
            raise DataError(
                f"{path}: {col} must be an integer (row {int(np.flatnonzero(ids.isna())[0])})"
            )
        frame[col] = ids.astype(int)
    values = pd.to_numeric(frame["numeric_response"], errors="coerce")
    bad = values.notna() & ~values.between(1, 6)
    bad |= values.isna() & frame["numeric_response"].notna()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path}: numeric_response {frame['numeric_response'].tolist()[row]!r} of item "
            f"({frame['portrait_id'].iloc[row]}, {frame['option_id'].iloc[row]}) is not a number from 1 to 6"
        )
    frame["numeric_response"] = values.astype(float)
    frame["model"] = frame["model"].astype(str)
    return frame


def response_matrix(responses: pd.DataFrame) -> pd.DataFrame:
    """Models × items (columns: (portrait_id, option_id)); NaN where a model has no valid answer."""
    return responses.pivot(
        index="model", columns=["portrait_id", "option_id"], values="numeric_response"
    )
