"""From value mentions to the ``lexicon`` table: count, deduplicate, attribute mentions to corpora.

Tables on disk: Parquet keeps ``merged_from`` as a list; CSV joins it with ``"; "``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from gpla.errors import DataError
from gpla.lexicon.dedup import DedupConfig, DedupResult, deduplicate
from gpla.models.base import EmbeddingModel

LEXICON_COLUMNS = ["value", "frequency", "rank", "merged_from", "sources"]
LIST_SEP = "; "


def count_mentions(mentions: pd.DataFrame) -> pd.DataFrame:
    """``value, frequency`` from mentions: one row per mention, or rows with a ``count`` (ValueLex)
    or ``frequency`` column. Rows without a value (generator errors) are ignored."""
    if "value" not in mentions.columns:
        raise DataError(f"value mentions need a 'value' column; columns: {list(mentions.columns)}")
    rows = mentions[mentions["value"].notna() & (mentions["value"].astype(str).str.strip() != "")]
    weight = next((c for c in ("count", "frequency") if c in rows.columns), None)
    weights = rows[weight] if weight else pd.Series(1, index=rows.index)
    counts = pd.DataFrame({"value": rows["value"].astype(str), "frequency": weights})
    return counts.groupby("value", as_index=False, sort=False)["frequency"].sum()


def build_lexicon(
    mentions: pd.DataFrame,
    embedder: EmbeddingModel,
    config: DedupConfig | None = None,
    **thresholds: Any,
) -> pd.DataFrame:
    """``value_mentions`` → ``lexicon`` (``value, frequency, rank, merged_from, sources``).

    ``thresholds`` override fields of ``DedupConfig`` by name (``embedding_threshold=0.75``...).
    ``sources`` counts the mentions from each corpus (``"valuebench: 80; gpv: 12"``) when the
    mentions carry a ``source`` column. The dedup record is in ``lexicon.attrs["dedup"]``.
    """
    lexicon, _ = build_lexicon_with_result(mentions, embedder, config, **thresholds)
    return lexicon


def build_lexicon_with_result(
    mentions: pd.DataFrame, embedder: EmbeddingModel, config: DedupConfig | None = None, **thresholds: Any
) -> tuple[pd.DataFrame, DedupResult]:
    cfg = _config(config, thresholds, embedder)
    counts = count_mentions(mentions)
    if counts.empty:
        raise DataError("no value mentions to build a lexicon from")
    result = deduplicate(counts, embedder, cfg)
    lexicon = result.lexicon.copy()
    lexicon["sources"] = _sources(mentions, result.mapping, lexicon["value"])
    lexicon.attrs["dedup"] = result.sidecar()
    return lexicon[LEXICON_COLUMNS], result


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Parquet or CSV by extension; list cells become ``"; "``-joined text in CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        table.to_parquet(path, index=False)
        return
    flat = table.copy()
    for column in flat.columns:
        if flat[column].map(lambda x: isinstance(x, list)).any():
            flat[column] = flat[column].map(lambda x: LIST_SEP.join(x) if isinstance(x, list) else x)
    flat.to_csv(path, index=False)


def _config(config: DedupConfig | None, thresholds: dict[str, Any], embedder: EmbeddingModel) -> DedupConfig:
    from dataclasses import fields, replace

    from gpla.errors import ConfigError
    from gpla.lexicon.thresholds import default_embedding_threshold

    known = {f.name for f in fields(DedupConfig)}
    unknown = sorted(set(thresholds) - known)
    if unknown:
        raise ConfigError(f"unknown dedup option(s) {unknown}; options: {sorted(known)}")
    # Config files give every override as a number; counts must be ints.
    typed: dict[str, Any] = {k: int(v) if k in ("n_neighbors", "block_size") else v for k, v in thresholds.items()}
    base = config or DedupConfig(embedding_threshold=default_embedding_threshold(embedder))
    return replace(base, **typed)


def _sources(mentions: pd.DataFrame, mapping: dict[str, str], values: pd.Series) -> list[str]:
    if "source" not in mentions.columns:
        return [""] * len(values)
    rows = mentions[mentions["value"].notna()]
    weight = rows["count"] if "count" in rows.columns else pd.Series(1, index=rows.index)
    frame = pd.DataFrame(
        {"value": rows["value"].astype(str).map(mapping), "source": rows["source"], "n": weight}
    )
    per = frame.groupby(["value", "source"], sort=False)["n"].sum().reset_index()
    per = per.sort_values(["value", "n", "source"], ascending=[True, False, True])
    text = per.groupby("value")[["source", "n"]].apply(
        lambda g: LIST_SEP.join(f"{s}: {n}" for s, n in zip(g["source"], g["n"], strict=True))
    )
    return [str(text.get(v, "")) for v in values]
