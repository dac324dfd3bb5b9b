"""Every agent end to end on the real embedded model (Gemma 3 270M through llama.cpp).

A 270M base model answers poorly, so these tests check structure — columns, ids, probabilities,
the score rule, JSON through the grammar — never the quality of the answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpla.agents import PerceptionParser, QuestionDesigner, ValueEvaluator, ValueGenerator
from gpla.agents.prompts.evaluation import RELEVANCE_LABELS, relevance_prompt
from gpla.agents.value_names import title_case
from gpla.models.base import ChatModel, ChatRequest

pytestmark = pytest.mark.llm

PERCEPTIONS = pd.DataFrame(
    {
        "perception_id": ["d1-0", "d1-1"],
        "text": [
            "Telling your parents the truth matters even when it is hard.",
            "Working hard at school pays off later in life.",
        ],
    }
)


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory) -> ChatModel:
    from gpla.models import load_chat_model

    return load_chat_model(
        "llamacpp:default", cache=tmp_path_factory.mktemp("agents-llama") / "calls.sqlite"
    )


def test_perception_parser(llama: ChatModel) -> None:
    docs = pd.DataFrame(
        {
            "doc_id": ["d1"],
            "text": [
                "You should always tell your parents the truth, even when it is hard. Family is built "
                "on trust. Working hard at school will pay off later."
            ],
        }
    )
    out = PerceptionParser(llama).parse(docs)
    assert list(out.columns) == ["perception_id", "doc_id", "chunk", "text", "error"]
    assert len(out) >= 1 and (out["doc_id"] == "d1").all() and (out["chunk"] == 0).all()
    good = out[out["error"].isna()]
    assert good["perception_id"].tolist() == [f"d1-{i}" for i in range(len(good))]
    assert all(isinstance(t, str) and len(t) >= 8 for t in good["text"])  # schema: minLength 8
    assert out["error"].notna().sum() <= 1  # a failed chunk is one row, never an exception


def test_value_generator(llama: ChatModel) -> None:
    out = ValueGenerator(llama).generate(PERCEPTIONS)
    assert list(out.columns) == ["perception_id", "value", "error"]
    assert set(out["perception_id"]) <= set(PERCEPTIONS["perception_id"])
    good = out[out["error"].isna()]
    assert len(good) >= 1
    assert all(v == title_case(v) and 1 <= len(v.split()) <= 5 for v in good["value"])
    assert not good.duplicated(["perception_id", "value"]).any()


def test_value_evaluator(llama: ChatModel) -> None:
    values = ["Honesty", "Achievement", "Tradition"]
    pairs = PERCEPTIONS.merge(pd.DataFrame({"value": values}), how="cross")
    out = ValueEvaluator(llama).evaluate(pairs)
    assert list(out.columns) == [
        "perception_id",
        "value",
        "p_relevant",
        "p_support",
        "p_oppose",
        "p_either",
        "score",
    ]
    assert out[["perception_id", "value"]].equals(pairs[["perception_id", "value"]])
    assert out["p_relevant"].between(0, 1).all()
    relevant = out["p_relevant"] > 0.5
    valence = out.loc[relevant, ["p_support", "p_oppose", "p_either"]]
    assert valence.notna().all().all() and ((valence >= 0) & (valence <= 1)).all().all()
    np.testing.assert_allclose(valence.sum(axis=1), 1.0, atol=1e-9)
    assert out.loc[~relevant, ["p_support", "p_oppose", "p_either", "score"]].isna().all().all()
    dropped = relevant & (out["p_either"] > out["p_support"]) & (out["p_either"] > out["p_oppose"])
    assert out.loc[dropped, "score"].isna().all()
    kept = relevant & ~dropped
    np.testing.assert_allclose(
        out.loc[kept, "score"], out.loc[kept, "p_support"] - out.loc[kept, "p_oppose"]
    )
    # p_relevant is the model's yes-probability on the ValueLlama-style completion prompt. Not exact:
    # llama.cpp's logits move by ~0.01 with the KV-cache state the previous prompt left behind.
    direct = llama.label_probs(
        [ChatRequest.completion(relevance_prompt(PERCEPTIONS["text"][0], "Honesty"), max_tokens=1)],
        RELEVANCE_LABELS,
    )
    assert out["p_relevant"].iloc[0] == pytest.approx(direct[0, 0], abs=0.05)


def test_question_designer(llama: ChatModel) -> None:
    out = QuestionDesigner(llama).design(["Loyalty"])
    assert out.columns.tolist() == ["value", "question", "error"] and out["value"].tolist() == [
        "Loyalty"
    ]
    row = out.iloc[0]
    assert (isinstance(row["question"], str) and len(row["question"]) >= 20) or isinstance(
        row["error"], str
    )


def test_cli_evaluate_json(llama: ChatModel, tmp_path: Path) -> None:
    from gpla.cli import app

    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--perception",
            PERCEPTIONS["text"][0],
            "--values",
            "Honesty, Tradition",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout[result.stdout.index("[") :])
    assert [r["value"] for r in records] == ["Honesty", "Tradition"]
    assert all(0 <= r["p_relevant"] <= 1 for r in records)
