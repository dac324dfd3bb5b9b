"""Measure where an embedding model puts published values and formatting variants, to choose
``DedupConfig.embedding_threshold`` for it; the measured defaults per embedder are in ``thresholds``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gpla.models.base import EmbeddingModel

FORMATTING_VARIANTS = (
    ("Well-being", "Wellbeing"),
    ("Tradition", "Traditions"),
    ("Achievement", "Achievements"),
    ("Law-Abiding Behavior", "law abiding behaviour"),
    ("Open-mindedness", "Open mindedness"),
    ("Work-life Balance", "Work-Life-Balance"),
    ("Honesty", "HONESTY"),
)
DISTINCT = (("Power", "Benevolence"), ("Tradition", "Innovation"))


def published_values() -> list[str]:
    """The 92 atomic values of GPLA's published five-factor system (paper Table 10, shared copy)."""
    from gpla.shared import shared_path

    return pd.read_csv(shared_path("reference", "gpla_five_factor_loadings.csv"))["value"].tolist()


def closest_pairs(values: Sequence[str], embedder: EmbeddingModel, top: int = 5) -> pd.DataFrame:
    """The ``top`` most similar pairs of ``values``: ``a, b, cosine``."""
    e = np.asarray(embedder.embed(list(values)))
    sims = e @ e.T
    rows, cols = np.triu_indices(len(values), 1)
    order = np.argsort(-sims[rows, cols])[:top]
    return pd.DataFrame(
        {"a": [values[rows[k]] for k in order], "b": [values[cols[k]] for k in order],
         "cosine": sims[rows, cols][order]}
    )


def pair_similarities(pairs: Sequence[tuple[str, str]], embedder: EmbeddingModel) -> pd.DataFrame:
    a = np.asarray(embedder.embed([p[0] for p in pairs]))
    b = np.asarray(embedder.embed([p[1] for p in pairs]))
    return pd.DataFrame({"a": [p[0] for p in pairs], "b": [p[1] for p in pairs], "cosine": (a * b).sum(1)})


def threshold_report(embedder: EmbeddingModel, values: Sequence[str] | None = None) -> dict[str, float]:
    """The bounds a threshold must respect: above ``published_max`` (so published values survive),
    and — for the embedding step to catch variants even without normalisation — below ``variant_min``."""
    published = closest_pairs(values or published_values(), embedder, top=1)
    variants = pair_similarities(FORMATTING_VARIANTS, embedder)
    return {
        "published_max": float(published["cosine"].iloc[0]),
        "variant_min": float(variants["cosine"].min()),
        "midpoint": float((published["cosine"].iloc[0] + variants["cosine"].min()) / 2),
    }
