"""GPV perceptions (GPLA Table 5: 24,179): rows that already are perceptions, so ``lexicon build``
skips the parser and sends them straight to the value generator."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from gpla.corpora.files import existing_file, read_table
from gpla.corpora.table import make_corpus, pick_column


def load_gpv_perceptions(
    path: str | Path,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    metadata: Sequence[str] | None = None,
    source: str = "gpv",
) -> pd.DataFrame:
    """A table (CSV, JSONL, Parquet...) with one perception per row in column ``perception`` (or
    ``text``); other columns (e.g. ``model``, ``value``) become metadata."""
    file = existing_file(path, "GPV perceptions file")
    frame = read_table(file)
    text = pick_column(frame, text_column, ["perception", "text"], str(file))
    return make_corpus(
        frame,
        text_column=text,
        id_column=id_column,
        metadata=metadata,
        source=source,
        kind="perception",
        where=str(file),
    )
