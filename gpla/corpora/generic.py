"""Any CSV / TSV / JSON Lines / JSON / Parquet / Excel file of LLM outputs: one row per document."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from gpla.corpora.files import existing_file, read_table
from gpla.corpora.table import Kind, make_corpus, pick_column


def load_table_corpus(
    path: str | Path,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    metadata: Sequence[str] | None = None,
    source: str | None = None,
    kind: Kind = "document",
    sheet: str | None = None,
    fmt: str | None = None,
) -> pd.DataFrame:
    """Load a table whose ``text_column`` (default ``text``) holds LLM outputs.

    ``metadata`` lists the columns to keep (default: all others); ``source`` defaults to the file's stem.
    """
    file = existing_file(path)
    frame = read_table(file, sheet=sheet, fmt=fmt)
    text = pick_column(frame, text_column, ["text"], str(file))
    return make_corpus(
        frame,
        text_column=text,
        id_column=id_column,
        metadata=metadata,
        source=source or file.stem,
        kind=kind,
        where=str(file),
    )
