"""Embedding prefilter: parsing, top-k/threshold selection, calibration (with the packaged MiniLM)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.errors import ConfigError, DataError
from gpla.measure.prefilter import Prefilter, calibrate, candidate_pairs, value_texts
from gpla.models import EmbeddingModel, load_embedding_model


@pytest.fixture(scope="module")
def minilm() -> EmbeddingModel:
    return load_embedding_model("st:default")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("off", Prefilter()), ("top:5", Prefilter("top", k=5)), ("12", Prefilter("top", k=12)),
     ("sim:0.3", Prefilter("sim", threshold=0.3))],
)  # fmt: skip
def test_parse(spec: str, expected: Prefilter) -> None:
    assert Prefilter.parse(spec) == expected
    assert Prefilter.parse(str(expected)) == expected


@pytest.mark.parametrize("spec", ["top:0", "top:x", "sim:2", "nearest", ""])
def test_parse_rejects(spec: str) -> None:
    with pytest.raises(ConfigError, match="prefilter"):
        Prefilter.parse(spec)


def test_top_k_keeps_k_per_row_and_breaks_ties_by_order() -> None:
    sim = np.array([[0.1, 0.9, 0.5, 0.5], [0.3, 0.3, 0.3, 0.3]])
    kept = Prefilter("top", k=2).keep(sim)
    assert kept.tolist() == [[False, True, True, False], [True, True, False, False]]
    assert Prefilter("sim", threshold=0.5).keep(sim).sum() == 3


def test_calibrate_counts_recall_and_both_evaluator_stages() -> None:
    sim = np.array([[0.9, 0.8, 0.1], [0.2, 0.7, 0.6]])
    relevant = np.array([[True, False, True], [False, True, False]])
    table = calibrate(sim, relevant, [Prefilter("top", k=1), Prefilter()])
    top1, off = table.to_dict(orient="records")
    # top:1 keeps (0,0) and (1,1): both relevant → recall 2/3; calls 2 + 2 valence vs 6 + 3.
    assert top1["recall"] == pytest.approx(2 / 3)
    assert top1["call_reduction"] == pytest.approx(1 - 4 / 9)
    assert off["recall"] == 1.0 and off["call_reduction"] == 0.0
    with pytest.raises(DataError, match="shape"):
        calibrate(sim, relevant[:, :2], [Prefilter()])


def test_candidate_pairs_rank_values_by_meaning(minilm: EmbeddingModel) -> None:
    perceptions = pd.DataFrame(
        {"perception_id": ["a", "b"],
         "text": ["I volunteer to care for sick animals.", "I want to be rich and command others."]}
    )  # fmt: skip
    values = ["Power", "Benevolence", "Tradition"]
    defs = {"Power": "social status, control and dominance over people and resources",
            "Benevolence": "caring for the welfare of others", "Tradition": ""}  # fmt: skip
    assert value_texts(values, defs)[2] == "Tradition"
    top = candidate_pairs(perceptions, values, minilm, Prefilter("top", k=1), defs)
    assert top.set_index("perception_id")["value"].to_dict() == {"a": "Benevolence", "b": "Power"}
    everything = candidate_pairs(perceptions, values, None, Prefilter())
    assert len(everything) == 6 and everything["similarity"].isna().all()
    with pytest.raises(ConfigError, match="embedding model"):
        candidate_pairs(perceptions, values, None, Prefilter("top", k=1))
