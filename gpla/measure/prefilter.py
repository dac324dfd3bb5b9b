"""Embedding prefilter for the evaluator (issue 8): judge only the values a perception is close to.

GPV judges every (perception, value) pair; most pairs are irrelevant. A sentence embedding of each
perception and of each value ("name: definition" where a definition is known) ranks the values;
``top:K`` keeps the K most similar per perception, ``sim:T`` those with cosine similarity >= T, and
``off`` keeps all (exact GPV). ``calibrate`` measures, on a sample judged in full, what share of the
evaluator's relevant pairs a prefilter keeps (recall) and how many evaluator calls it saves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gpla.errors import ConfigError, DataError
from gpla.models.base import EmbeddingModel

PAIR_COLUMNS = ["perception_id", "text", "value", "similarity"]


@dataclass(frozen=True)
class Prefilter:
    mode: Literal["off", "top", "sim"] = "off"
    k: int = 0
    threshold: float = 0.0

    @classmethod
    def parse(cls, spec: str) -> Prefilter:
        """``off``, ``top:K`` (or just ``K``) or ``sim:T`` with 0 < T < 1."""
        text = spec.strip().lower()
        kind, _, arg = text.partition(":")
        try:
            if text == "off":
                return cls()
            if kind == "top" or (not arg and kind.isdigit()):
                k = int(arg or kind)
                if k < 1:
                    raise ValueError
                return cls("top", k=k)
            if kind == "sim":
                t = float(arg)
                if not -1.0 < t < 1.0:
                    raise ValueError
                return cls("sim", threshold=t)
        except ValueError:
            pass
        raise ConfigError(f"prefilter {spec!r}: expected off, top:K (K >= 1) or sim:T (-1 < T < 1)")

    def __str__(self) -> str:
        return {"off": "off", "top": f"top:{self.k}", "sim": f"sim:{self.threshold:g}"}[self.mode]

    def keep(self, similarity: np.ndarray) -> np.ndarray:
        """Boolean mask of kept pairs for a (perceptions × values) similarity matrix."""
        if self.mode == "off":
            return np.ones_like(similarity, dtype=bool)
        if self.mode == "sim":
            return similarity >= self.threshold
        k = min(self.k, similarity.shape[1])
        # Stable ranking (ties broken by value order) so the same inputs always keep the same pairs.
        rank = np.argsort(np.argsort(-similarity, axis=1, kind="stable"), axis=1, kind="stable")
        return rank < k


def value_texts(values: Sequence[str], definitions: Mapping[str, str] | None = None) -> list[str]:
    """What a value is embedded as: its name, plus its definition where one is known."""
    defs = definitions or {}
    return [f"{v}: {defs[v]}" if defs.get(v) else str(v) for v in values]


def similarities(
    perceptions: Sequence[str],
    values: Sequence[str],
    embedder: EmbeddingModel,
    definitions: Mapping[str, str] | None = None,
) -> np.ndarray:
    """Cosine similarity of every perception with every value, shape (perceptions, values)."""
    if not len(values):
        raise DataError("prefilter: the value list is empty")
    p = np.asarray(embedder.embed(list(perceptions)), dtype=float)
    v = np.asarray(embedder.embed(value_texts(values, definitions)), dtype=float)
    return p @ v.T  # rows are L2-normalised (EmbeddingModel protocol)


def candidate_pairs(
    perceptions: pd.DataFrame,
    values: Sequence[str],
    embedder: EmbeddingModel | None,
    prefilter: Prefilter,
    definitions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``perceptions[perception_id, text]`` → the pairs to judge ``[perception_id, text, value,
    similarity]`` (similarity NaN with ``off``, which needs no embedder)."""
    missing = {"perception_id", "text"} - set(perceptions.columns)
    if missing:
        raise DataError(f"prefilter: perceptions lack column(s) {sorted(missing)}")
    texts = perceptions["text"].astype(str).tolist()
    if prefilter.mode == "off":
        sim = np.full((len(texts), len(values)), np.nan)
    elif embedder is None:
        raise ConfigError(f"prefilter {prefilter} needs an embedding model")
    else:
        sim = similarities(texts, values, embedder, definitions)
    rows, cols = np.nonzero(prefilter.keep(sim))
    return pd.DataFrame(
        {
            "perception_id": perceptions["perception_id"].to_numpy()[rows],
            "text": np.asarray(texts, dtype=object)[rows],
            "value": np.asarray(list(values), dtype=object)[cols],
            "similarity": sim[rows, cols],
        },
        columns=PAIR_COLUMNS,
    )


def calibrate(
    similarity: np.ndarray,
    relevant: np.ndarray,
    prefilters: Sequence[Prefilter],
) -> pd.DataFrame:
    """Recall of the evaluator's relevant pairs and the reduction in evaluator calls per prefilter.

    ``similarity`` and ``relevant`` (the evaluator's verdicts on the full, unfiltered sample) are
    (perceptions × values). Recall is NaN when the sample has no relevant pair. Calls counts both
    evaluator stages: relevance for every kept pair and valence for the kept relevant ones.
    """
    if similarity.shape != relevant.shape:
        raise DataError(
            f"calibrate: similarity {similarity.shape} and relevance {relevant.shape} differ in shape"
        )
    relevant = relevant.astype(bool)
    full_calls = relevant.size + relevant.sum()
    rows = []
    for pf in prefilters:
        kept = pf.keep(similarity)
        hit = int((kept & relevant).sum())
        calls = int(kept.sum()) + hit
        rows.append(
            {
                "prefilter": str(pf),
                "recall": hit / relevant.sum() if relevant.any() else np.nan,
                "call_reduction": 1 - calls / full_calls if full_calls else 0.0,
                "kept_pairs": int(kept.sum()),
                "relevant_pairs": int(relevant.sum()),
                "relevant_kept": hit,
            }
        )
    return pd.DataFrame(rows)
