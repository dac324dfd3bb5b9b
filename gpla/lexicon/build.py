"""GPLA steps 1–3 end to end: corpus → perceptions → value mentions → lexicon (``gpla lexicon build``).

Rows of kind ``perception`` (GPV) skip the parser and rows of kind ``value`` (ValueLex) skip both
agents. Every table is written as soon as its stage ends, so a failed run keeps what it finished; the
model layer's persistent cache makes a rerun replay the calls already made instead of paying again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.errors import DataError
from gpla.lexicon.dedup import DedupConfig, DedupResult
from gpla.lexicon.filtering import filter_lexicon
from gpla.lexicon.table import build_lexicon_with_result, write_table
from gpla.models.base import ChatModel, EmbeddingModel

TABLES = ("corpus", "perceptions", "value_mentions", "lexicon")


@dataclass
class LexiconBuild:
    corpus: pd.DataFrame
    perceptions: pd.DataFrame
    value_mentions: pd.DataFrame
    lexicon: pd.DataFrame
    dedup: DedupResult | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def given_perceptions(corpus: pd.DataFrame) -> pd.DataFrame:
    """Corpus rows of kind ``perception`` (GPV's corpus) as perceptions, without a parser call."""
    given = corpus[corpus["kind"] == "perception"]
    return pd.DataFrame(
        {"perception_id": given["doc_id"], "doc_id": given["doc_id"], "text": given["text"], "error": None}
    )


def lexicon_entries(corpus: pd.DataFrame) -> pd.DataFrame:
    """Corpus rows of kind ``value`` (ValueLex) as ``count`` mentions of their value, without a model."""
    entries = corpus[corpus["kind"] == "value"]
    return pd.DataFrame(
        {"perception_id": entries["doc_id"], "value": entries["text"], "source": entries["source"],
         "count": entries["count"]}
    )


def extract_perceptions(corpus: pd.DataFrame, model: ChatModel) -> pd.DataFrame:
    """``perception_id, doc_id, text, source, error``: documents parsed, GPV perceptions passed through."""
    from gpla.agents import PerceptionParser

    docs = corpus[corpus["kind"] == "document"]
    parts = [given_perceptions(corpus)]
    if len(docs):
        parsed = PerceptionParser(model).parse(docs[["doc_id", "text"]])
        parts.append(parsed.reindex(columns=["perception_id", "doc_id", "text", "error"]))
    out = pd.concat(parts, ignore_index=True)
    out["source"] = out["doc_id"].map(dict(zip(corpus["doc_id"], corpus["source"], strict=True)))
    return out


def generate_mentions(corpus: pd.DataFrame, perceptions: pd.DataFrame, model: ChatModel) -> pd.DataFrame:
    """``perception_id, value, source, count, error``: one row per generated value (count 1), plus
    the lexicon entries of ``value`` rows with their counts."""
    from gpla.agents import ValueGenerator

    usable = perceptions[perceptions["error"].isna() & perceptions["text"].notna()]
    parts = []
    if len(usable):
        generated = ValueGenerator(model).generate(usable[["perception_id", "text"]])
        generated = generated.reindex(columns=["perception_id", "value", "error"])
        generated["source"] = generated["perception_id"].map(
            dict(zip(usable["perception_id"], usable["source"], strict=True))
        )
        generated["count"] = 1
        parts.append(generated)
    entries = lexicon_entries(corpus)
    if len(entries):
        parts.append(entries.assign(error=None))
    if not parts:
        return pd.DataFrame(columns=["perception_id", "value", "source", "count", "error"])
    out = pd.concat(parts, ignore_index=True)
    return out[["perception_id", "value", "source", "count", "error"]]


def build_from_corpus(
    corpus: pd.DataFrame,
    model: ChatModel,
    embedder: EmbeddingModel,
    *,
    dedup: DedupConfig | None = None,
    min_frequency: int = 1,
    top_n: int | None = None,
    pin: Sequence[str] = (),
    ban: Sequence[str] = (),
    out_dir: Path | None = None,
) -> LexiconBuild:
    """Run the three steps; with ``out_dir`` each table is written (Parquet + CSV) when it is ready,
    plus ``lexicon.meta.json`` with every dedup threshold, the embedder and counts."""
    _check_corpus(corpus)
    if out_dir is not None:
        _write(out_dir, "corpus", corpus)
    perceptions = extract_perceptions(corpus, model)
    if out_dir is not None:
        _write(out_dir, "perceptions", perceptions)
    mentions = generate_mentions(corpus, perceptions, model)
    if out_dir is not None:
        _write(out_dir, "value_mentions", mentions)
    usable = mentions[mentions["value"].notna()]
    if usable.empty:
        raise DataError(
            f"the value generator produced no values from {len(perceptions)} perceptions "
            f"({int(perceptions['error'].notna().sum())} parse errors); enlarge the corpus or change --model"
        )
    lexicon, result = build_lexicon_with_result(usable, embedder, dedup)
    lexicon = filter_lexicon(lexicon, min_frequency=min_frequency, top_n=top_n, pin=pin, ban=ban)
    metadata = {
        **result.sidecar(),
        "filter": {"min_frequency": min_frequency, "top_n": top_n, "pin": list(pin), "ban": list(ban)},
        "model": getattr(model, "name", type(model).__name__),
        "counts": {
            "documents": int((corpus["kind"] == "document").sum()),
            "perceptions": int(perceptions["error"].isna().sum()),
            "perception_errors": int(perceptions["error"].notna().sum()),
            "mentions": int(usable["count"].sum()),
            "unique_values": int(usable["value"].nunique()),
            "lexicon": len(lexicon),
        },
    }
    if out_dir is not None:
        _write(out_dir, "lexicon", lexicon)
        write_table(result.merges, out_dir / "merges.csv")
        (out_dir / "lexicon.meta.json").write_text(json.dumps(metadata, indent=2, default=str))
    return LexiconBuild(corpus, perceptions, mentions, lexicon, result, metadata)


def _write(out_dir: Path, name: str, table: pd.DataFrame) -> None:
    write_table(table, out_dir / f"{name}.parquet")
    write_table(table, out_dir / f"{name}.csv")


def _check_corpus(corpus: pd.DataFrame) -> None:
    missing = [c for c in ("doc_id", "text", "source", "kind", "count") if c not in corpus.columns]
    if missing:
        raise DataError(f"corpus table lacks column(s) {missing}; load it with gpla.corpora.load_corpus")
    if corpus.empty:
        raise DataError("the corpus is empty")
