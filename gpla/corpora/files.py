"""Reading tabular files (CSV/TSV, JSON Lines, JSON, Parquet, Excel) with one clear error per problem."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gpla.errors import DataError

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
}


def existing_file(path: str | Path, what: str = "corpus file") -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise DataError(f"{what} {p} does not exist" if not p.exists() else f"{what} {p} is not a file")
    return p


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataError(f"{path}: unknown file type {suffix!r}; expected one of {sorted(FORMATS)}")
    return FORMATS[suffix]


def read_table(path: str | Path, *, sheet: str | None = None, fmt: str | None = None) -> pd.DataFrame:
    """Read ``path`` into a DataFrame, choosing the reader from its extension (or ``fmt``)."""
    p = existing_file(path)
    fmt = fmt or file_format(p)
    try:
        if fmt == "csv":
            return pd.read_csv(p)
        if fmt == "tsv":
            return pd.read_csv(p, sep="\t")
        if fmt == "jsonl":
            return _read_jsonl(p)
        if fmt == "json":
            return _read_json(p)
        if fmt == "parquet":
            return pd.read_parquet(p)
        if fmt == "excel":
            return _read_excel(p, sheet)
    except DataError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"{p}: cannot read as {fmt}: {err}") from err
    raise DataError(f"{p}: unknown format {fmt!r}; expected one of {sorted(set(FORMATS.values()))}")


def _read_jsonl(path: Path) -> pd.DataFrame:
    # Line by line so that a broken line is reported with its number (pandas only says "Trailing data").
    rows = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}, line {number}: not valid JSON ({err.msg})") from err
            if not isinstance(row, dict):
                raise DataError(f"{path}, line {number}: expected a JSON object, got {type(row).__name__}")
            rows.append(row)
    return pd.DataFrame(rows)


def _read_json(path: Path) -> pd.DataFrame:
    """A list of records, or an object mapping names to numbers (a lexicon ``{"Honesty": 12}``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err.msg}, line {err.lineno})") from err
    if isinstance(data, list):
        return pd.DataFrame(data)
    if isinstance(data, dict) and all(isinstance(v, (int, float)) for v in data.values()):
        return pd.DataFrame({"value": list(data), "count": list(data.values())})
    raise DataError(f"{path}: expected a JSON list of records or an object {{value: count}}")


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    book = pd.ExcelFile(path)
    name = sheet if sheet is not None else book.sheet_names[0]
    if name not in book.sheet_names:
        raise DataError(f"{path}: no sheet {name!r}; sheets: {book.sheet_names}")
    return book.parse(name)
