"""BeaverTails-style safety data (GPLA Table 5: 3,012 responses): JSON Lines records with ``prompt``,
``response``, ``is_safe`` and a ``category`` object of harm flags. The response is the document."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gpla.corpora.files import existing_file, read_table
from gpla.corpora.table import make_corpus, require_columns


def load_beavertails(path: str | Path, *, source: str = "beavertails") -> pd.DataFrame:
    """One document per response, with metadata ``question`` (the prompt), ``is_safe`` and
    ``harm_categories`` (the flagged categories, ``;``-separated) when present."""
    file = existing_file(path, "BeaverTails file")
    frame = read_table(file)
    require_columns(frame, ["prompt", "response"], str(file))
    frame = frame.rename(columns={"prompt": "question"})
    meta = ["question"]
    if "is_safe" in frame.columns:
        meta.append("is_safe")
    if "category" in frame.columns:
        frame["harm_categories"] = frame["category"].map(_flagged)
        meta.append("harm_categories")
    return make_corpus(frame, text_column="response", metadata=meta, source=source, where=str(file))


def _flagged(category: object) -> str:
    if isinstance(category, dict):
        return ";".join(sorted(name for name, flag in category.items() if flag))
    return "" if category is None or (isinstance(category, float) and pd.isna(category)) else str(category)
