"""ValueLex-style lexicons (GPLA Table 5: 745 unique values, 5,151 mentions): values with counts.
They skip both parsing and generation; each row counts as ``count`` mentions of its value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gpla.corpora.files import existing_file, read_table
from gpla.corpora.table import make_corpus, pick_column


def load_valuelex(
    path: str | Path,
    *,
    value_column: str | None = None,
    count_column: str | None = None,
    source: str = "valuelex",
) -> pd.DataFrame:
    """A table with a ``value`` (or ``word``) column and an optional ``count`` / ``frequency`` column
    (1 mention per row without one), or a JSON object ``{value: count}``."""
    file = existing_file(path, "ValueLex lexicon file")
    frame = read_table(file)
    value = pick_column(frame, value_column, ["value", "word"], str(file))
    counts = [c for c in ("count", "frequency", "freq") if c in frame.columns]
    count = count_column or (counts[0] if counts else None)
    return make_corpus(
        frame,
        text_column=value,
        count_column=count,
        metadata=[],
        source=source,
        kind="value",
        where=str(file),
    )
