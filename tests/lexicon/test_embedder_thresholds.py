"""Dedup thresholds per embedder (``gpla.lexicon.thresholds``), re-measured with the real packaged
models: all-MiniLM-L6-v2 (``st:default``) and all-mpnet-base-v2 (``st:all-mpnet-base-v2``, assembled
offline from its five PyPI parts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.lexicon import deduplicate
from gpla.lexicon.calibration import (
    FORMATTING_VARIANTS,
    closest_pairs,
    published_values,
    threshold_report,
)
from gpla.lexicon.table import build_lexicon
from gpla.lexicon.thresholds import CALIBRATED, default_embedding_threshold
from gpla.models import load_embedding_model
from gpla.models.base import EmbeddingModel

PUBLISHED = published_values()


@pytest.fixture(scope="module")
def mpnet() -> EmbeddingModel:
    return load_embedding_model("st:all-mpnet-base-v2", cache=False)


def test_mpnet_loads_offline_with_768_dimensions(mpnet: EmbeddingModel) -> None:
    rows = mpnet.embed(["Honesty", "Truthfulness", "Power"])
    assert mpnet.name == "st:all-mpnet-base-v2" and rows.shape == (3, 768)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert rows[0] @ rows[1] > rows[0] @ rows[2]  # a synonym is closer than an unrelated value


@pytest.mark.parametrize("spec", sorted(CALIBRATED))
def test_each_calibrated_threshold_lies_between_published_values_and_variants(spec: str) -> None:
    report = threshold_report(load_embedding_model(spec, cache=False))
    assert report["published_max"] < CALIBRATED[spec] < report["variant_min"]


def test_mpnet_at_the_papers_053_keeps_all_92_published_values_and_merges_variants(mpnet: EmbeddingModel) -> None:
    # GPLA App. C.1 takes cosine 0.53 from Value Kaleidoscope, whose dedup embedder is all-mpnet-base-v2.
    assert default_embedding_threshold(mpnet) == 0.53
    top = closest_pairs(PUBLISHED, mpnet, top=1).iloc[0]
    assert {top["a"], top["b"]} == {"Conformity", "Tradition"} and top["cosine"] == pytest.approx(0.5257, abs=1e-3)
    freq = list(range(len(PUBLISHED), 0, -1))
    kept = deduplicate(pd.DataFrame({"value": PUBLISHED, "frequency": freq}), mpnet)
    assert sorted(kept.lexicon["value"]) == sorted(PUBLISHED)
    assert kept.config.embedding_threshold == 0.53 and kept.sidecar()["calibrated_threshold"] == 0.53
    # Each variant pair alone, the published spelling more frequent: the variant folds into it.
    for name, other in FORMATTING_VARIANTS:
        lexicon = build_lexicon(pd.DataFrame({"value": [name, other], "frequency": [5, 1]}), mpnet)
        assert lexicon["value"].tolist() == [name], (name, other)


def test_an_uncalibrated_embedder_gets_the_minilm_value_and_says_so() -> None:
    class FakeOtherEmbedder:
        name = "st:/somewhere/else"

        def embed(self, texts: list[str]) -> np.ndarray:
            return np.eye(len(texts), dtype=np.float32)

    result = deduplicate(pd.DataFrame({"value": ["A", "B"], "frequency": [2, 1]}), FakeOtherEmbedder())
    assert result.config.embedding_threshold == 0.70 and result.sidecar()["calibrated_threshold"] is None
