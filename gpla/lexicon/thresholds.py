"""Dedup embedding thresholds per embedding model. A cosine means different things to different
models, so each default is measured with ``calibration.threshold_report`` — above the closest pair of
GPLA's 92 published values (which GPLA's own dedup kept apart), below the least similar formatting
variant — and looked up by the embedder's spec (``tests/lexicon/test_embedder_thresholds.py`` re-measures
each entry). An embedder not listed gets the packaged MiniLM's value: recalibrate before trusting it.

Measured (closest published pair / least similar formatting variant):

* ``st:default`` (all-MiniLM-L6-v2): 0.585 Comprehension/Logic / 0.757 Wellbeing/Well-being → 0.70
  (see ``dedup``'s docstring for why not the midpoint 0.67);
* ``st:all-mpnet-base-v2``: 0.526 Conformity/Tradition / 0.857 Achievement/Achievements → 0.53, the
  cosine GPLA took from Value Kaleidoscope's dedup (App. C.1, [82]), whose embedder this is
  (GitHub tsor13/kaleido, ``KaleidoSys.py``: ``embed_model_name='sentence-transformers/all-mpnet-base-v2'``). It keeps all 92 published values
  apart, with a margin of only 0.004: the published lexicon is consistent with mpnet at 0.53.
"""

from __future__ import annotations

from gpla.models.base import EmbeddingModel

CALIBRATED: dict[str, float] = {
    "st:default": 0.70,
    "st:all-mpnet-base-v2": 0.53,
}
FALLBACK = "st:default"


def embedder_name(embedder: EmbeddingModel | str) -> str:
    return embedder if isinstance(embedder, str) else str(getattr(embedder, "name", type(embedder).__name__))


def default_embedding_threshold(embedder: EmbeddingModel | str) -> float:
    """The threshold calibrated for this embedder, else the packaged MiniLM's."""
    return CALIBRATED.get(embedder_name(embedder), CALIBRATED[FALLBACK])
