"""The ``corpus`` table every loader returns, and the operations shared by all loaders.

Columns: ``doc_id, text, source, kind, count`` followed by metadata (``model, question, ...``).
``kind`` says how far along the GPLA pipeline a row already is, so ``lexicon build`` skips the steps
it does not need: ``document`` (raw LLM output: parse into perceptions), ``perception`` (GPV's parsed
perceptions: generate values directly) or ``value`` (a ValueLex-style lexicon entry: counted as
``count`` mentions of the value, no model call).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from gpla.errors import DataError

Kind = Literal["document", "perception", "value"]
CORE_COLUMNS = ("doc_id", "text", "source", "kind", "count")


def make_corpus(
    frame: pd.DataFrame,
    *,
    text_column: str,
    source: str,
    kind: Kind = "document",
    id_column: str | None = None,
    count_column: str | None = None,
    metadata: Sequence[str] | None = None,
    where: str = "",
) -> pd.DataFrame:
    """Turn a loaded table into a corpus table.

    ``doc_id`` is ``source:ID`` where ID is ``id_column`` or the row's position in the file, so ids stay
    stable under sampling. ``metadata`` defaults to every other column. Rows with empty text are dropped.
    """
    where = where or source
    require_columns(frame, [text_column], where)
    if id_column is not None:
        require_columns(frame, [id_column], where)
    if count_column is not None:
        require_columns(frame, [count_column], where)
    used = {text_column, id_column, count_column}
    meta = [c for c in frame.columns if c not in used] if metadata is None else list(metadata)
    require_columns(frame, meta, where)
    clash = sorted(set(meta) & set(CORE_COLUMNS))
    if clash:
        raise DataError(f"{where}: metadata column(s) {clash} clash with the corpus table's own columns")

    ids = frame[id_column].astype(str) if id_column else pd.Series(range(len(frame)), index=frame.index)
    out = pd.DataFrame(
        {
            "doc_id": source + ":" + ids.astype(str),
            "text": frame[text_column].map(_as_text),
            "source": source,
            "kind": kind,
            "count": _counts(frame, count_column, where),
        },
        index=frame.index,
    )
    for column in meta:
        out[column] = frame[column]
    out = out[out["text"] != ""].reset_index(drop=True)
    if out["doc_id"].duplicated().any():
        dup = out.loc[out["doc_id"].duplicated(), "doc_id"].iloc[0]
        raise DataError(f"{where}: id column {id_column!r} is not unique (e.g. {dup!r})")
    return out


def require_columns(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{where}: missing column(s) {missing}; available: {list(map(str, frame.columns))}"
        )


def pick_column(frame: pd.DataFrame, wanted: str | None, defaults: Sequence[str], where: str) -> str:
    """The column the user named, else the first of ``defaults`` present (with a clear error)."""
    if wanted is not None:
        require_columns(frame, [wanted], where)
        return wanted
    for name in defaults:
        if name in frame.columns:
            return name
    raise DataError(
        f"{where}: none of the columns {list(defaults)} found (available: {list(map(str, frame.columns))}); "
        "name the column explicitly, e.g. text=COLUMN"
    )


def dedup_texts(corpus: pd.DataFrame) -> pd.DataFrame:
    """Drop rows whose text repeats an earlier row's (same kind), keeping the first."""
    keep = ~corpus.duplicated(subset=["kind", "text"])
    return corpus[keep].reset_index(drop=True)


def sample_corpus(
    corpus: pd.DataFrame, *, limit: int | None = None, sample: int | None = None, seed: int = 0
) -> pd.DataFrame:
    """``sample`` random rows (reproducible with ``seed``, file order kept), then the first ``limit``."""
    for name, n in (("limit", limit), ("sample", sample)):
        if n is not None and n < 1:
            raise DataError(f"{name} must be a positive number of rows, got {n}")
    if sample is not None and sample < len(corpus):
        corpus = corpus.sample(n=sample, random_state=seed).sort_index()
    if limit is not None:
        corpus = corpus.head(limit)
    return corpus.reset_index(drop=True)


def combine(corpora: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack several corpus tables; doc ids must stay unique (give two corpora different sources)."""
    if not corpora:
        raise DataError("no corpus given")
    out = pd.concat(list(corpora), ignore_index=True)
    dup = out["doc_id"][out["doc_id"].duplicated()]
    if len(dup):
        raise DataError(
            f"doc_id {dup.iloc[0]!r} occurs in two corpora; give one of them another name with source=NAME"
        )
    return out


def _as_text(x: object) -> str:
    return "" if x is None or (isinstance(x, float) and pd.isna(x)) else " ".join(str(x).split())


def _counts(frame: pd.DataFrame, column: str | None, where: str) -> pd.Series:
    if column is None:
        return pd.Series(1, index=frame.index, dtype="int64")
    counts = pd.to_numeric(frame[column], errors="coerce")
    bad = counts.isna() | (counts < 1) | (counts % 1 != 0)
    if bad.any():
        row = bad[bad].index[0]
        raise DataError(
            f"{where}: column {column!r} must hold positive whole counts; row {row} has {frame[column][row]!r}"
        )
    return counts.astype("int64")
