"""Mapping values onto Schwartz's values with the real packaged MiniLM, and the CFA models it builds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from embedder_fixture import minilm  # noqa: F401

from gpla.analysis.mapping import map_values, similarity_matrix, system_to_lavaan
from gpla.models.base import EmbeddingModel
from gpla.systems import ValueSystem, schwartz_basic, schwartz_higher

VALUES = ["Thrill-seeking", "Wealth", "Obedience", "Safety", "Success", "Religious faith"]


def test_obvious_values_map_to_their_schwartz_value(minilm: EmbeddingModel) -> None:  # noqa: F811
    basic = map_values(VALUES, schwartz_basic(), minilm).set_index("value")["factor"]
    assert basic.to_dict() == {
        "Thrill-seeking": "Stimulation", "Wealth": "Power", "Obedience": "Conformity",
        "Safety": "Security", "Success": "Achievement", "Religious faith": "Tradition",
    }  # fmt: skip
    higher = map_values(VALUES, schwartz_higher(), minilm).set_index("value")["factor"]
    assert higher["Thrill-seeking"] == "Openness to Change"
    assert higher["Wealth"] == higher["Success"] == "Self-Enhancement"
    assert higher["Obedience"] == higher["Safety"] == "Conservation"


def test_similarity_is_cosine_of_best_text(minilm: EmbeddingModel) -> None:  # noqa: F811
    sims = similarity_matrix(["Universalism", "Wealth"], schwartz_basic(), minilm)
    assert sims.shape == (2, 10)
    assert sims.loc["Universalism", "Universalism"] == pytest.approx(1.0, abs=1e-5)  # same text
    bare = minilm.embed(["Wealth", "Power"])
    assert sims.loc["Wealth", "Power"] >= float(bare[0] @ bare[1]) - 1e-6  # max over texts


class FakeTableEmbedder:
    """Plumbing only: fixed unit vectors per text, so the reassignment rule can be checked exactly."""

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        self.table = table

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.array([self.table[t] for t in texts], dtype=float)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_small_factors_give_their_values_to_the_next_best() -> None:
    system = ValueSystem("toy", {"A": ["A"], "B": ["B"], "C": ["C"]})
    embedder = FakeTableEmbedder({
        "A": [1, 0, 0], "B": [0, 1, 0], "C": [0, 0, 1],
        "a1": [1, 0.1, 0], "a2": [1, 0, 0.1], "b1": [0.1, 1, 0], "b2": [0, 1, 0.2], "c1": [0.1, 0.3, 1],
    })  # fmt: skip
    values = ["a1", "a2", "b1", "b2", "c1"]
    free = map_values(values, system, embedder)
    assert free["factor"].tolist() == ["A", "A", "B", "B", "C"]
    cfa_ready = map_values(values, system, embedder, min_indicators=2)
    assert cfa_ready["factor"].tolist() == ["A", "A", "B", "B", "B"]  # c1's next best is B
    model = system_to_lavaan(cfa_ready)
    assert model.splitlines() == ["A =~ a1 + a2", "B =~ b1 + b2 + c1"]  # markers: most similar first
