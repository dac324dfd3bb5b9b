"""Map atomic values onto another value system's factors by embedding similarity (GPLA §6, Table 2).

A factor is represented by its name and each of its member values, each embedded both bare and with
its definition where one is known ("Universalism" and "Universalism: values understanding, ...").
A value's similarity to a factor is the largest cosine similarity to any of those texts, so mapping onto
Schwartz's higher-order values also sees the basic values they group. The embedder is any object with
``embed(texts) -> L2-normalised rows`` (`gpla.models.base.EmbeddingModel`); analysis never loads one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from gpla.analysis.lavaan import to_lavaan
from gpla.errors import DataError
from gpla.systems.value_system import ValueSystem


class Embedder(Protocol):
    """What mapping needs of `gpla.models.base.EmbeddingModel` (analysis does not import models)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _texts(name: str, definitions: Mapping[str, str]) -> list[str]:
    definition = definitions.get(name)
    return [name, f"{name}: {definition}"] if definition else [name]


def similarity_matrix(
    values: Sequence[str],
    system: ValueSystem,
    embedder: Embedder,
    definitions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Cosine similarity of each value (rows) to each factor of `system` (columns)."""
    values = [str(v) for v in values]
    if not values:
        raise DataError("mapping: no values to map")
    known = {**system.definitions, **(definitions or {})}
    value_texts = [_texts(v, dict(definitions or {})) for v in values]
    factor_texts = {
        f: [t for name in dict.fromkeys([f, *members]) for t in _texts(name, known)]
        for f, members in system.factors.items()
    }
    flat_values = [t for texts in value_texts for t in texts]
    flat_factors = [t for texts in factor_texts.values() for t in texts]
    emb_values = np.asarray(embedder.embed(flat_values), dtype=float)
    emb_factors = np.asarray(embedder.embed(flat_factors), dtype=float)
    cosine = emb_values @ emb_factors.T
    # Max over each value's texts (rows) and each factor's texts (columns).
    row_groups = np.repeat(np.arange(len(values)), [len(t) for t in value_texts])
    col_groups = np.repeat(np.arange(len(factor_texts)), [len(t) for t in factor_texts.values()])
    by_row = np.full((len(values), cosine.shape[1]), -np.inf)
    np.maximum.at(by_row, row_groups, cosine)
    result = np.full((len(values), len(factor_texts)), -np.inf)
    np.maximum.at(result.T, col_groups, by_row.T)
    return pd.DataFrame(result, index=pd.Index(values, name="value"), columns=list(factor_texts))


def map_values(
    values: Sequence[str],
    system: ValueSystem,
    embedder: Embedder,
    *,
    definitions: Mapping[str, str] | None = None,
    min_indicators: int = 1,
) -> pd.DataFrame:
    """Assign each value to its most similar factor of `system`: DataFrame[value, factor, similarity].

    With ``min_indicators=2`` (what a CFA needs), a factor that attracts fewer values is given up and
    its values move to their next most similar factor, smallest factor first, so every value stays in
    the model.
    """
    sims = similarity_matrix(values, system, embedder, definitions)
    candidates = list(sims.columns)
    while True:
        best = sims[candidates].idxmax(axis=1)
        counts = best.value_counts()
        small = counts[counts < min_indicators]
        if small.empty or len(candidates) == 1:
            break
        candidates.remove(small.sort_values(kind="stable").index[0])
    similarity = [float(sims.loc[v, f]) for v, f in best.items()]
    return pd.DataFrame({"value": best.index, "factor": best.to_numpy(), "similarity": similarity})


# Below this best cosine similarity a value is only weakly like any factor. Calibrated on the packaged
# all-MiniLM-L6-v2: the published GPLA values map onto Schwartz's with median 0.39 (a quarter below
# 0.35), while column names that are no values at all ("Item 1", "Score B") have median 0.33.
WEAK_SIMILARITY = 0.35


def weak_mapping(mapping: pd.DataFrame, system: str, threshold: float = WEAK_SIMILARITY) -> str:
    """A warning when most values (more than half) map onto `system` with a best similarity below
    `threshold`, so a CFA of the mapped system would say little about `system`; "" otherwise."""
    weak = mapping[mapping["similarity"] < threshold]
    if 2 * len(weak) <= len(mapping):
        return ""
    return (f"weak mapping onto {system}: {len(weak)} of {len(mapping)} values have a best cosine similarity "
            f"below {threshold:g} (median {mapping['similarity'].median():.2f}); its fit says little about {system}")


def mapped_system(mapping: pd.DataFrame, name: str) -> ValueSystem:
    """The value system a mapping defines: each factor measured by the values mapped onto it, ordered
    by decreasing similarity (the most typical value becomes the CFA marker)."""
    ordered = mapping.sort_values("similarity", ascending=False, kind="stable")
    return ValueSystem.from_frame(name, ordered[["factor", "value"]])


def system_to_lavaan(
    system_or_mapping: ValueSystem | pd.DataFrame,
    available_columns: Sequence[str] | None = None,
    *,
    min_indicators: int = 2,
) -> str:
    """The CFA model (lavaan syntax) of a system, or of a mapping from `map_values`."""
    system = (
        mapped_system(system_or_mapping, "mapped")
        if isinstance(system_or_mapping, pd.DataFrame)
        else system_or_mapping
    )
    return to_lavaan(system, available_columns, min_indicators=min_indicators)
