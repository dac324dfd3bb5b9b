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
def llama(embedded_model: ChatModel) -> ChatModel:
    return embedded_model


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
    parser = PerceptionParser(llama)
    assert parser.completion  # the GGUF has no chat template: plain few-shot completions
    out = parser.parse(docs)
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


# threshold 0 makes every pair relevant, so the valence path runs whatever the small model judges.
@pytest.mark.parametrize("threshold", [0.5, 0.0])
def test_value_evaluator(llama: ChatModel, threshold: float) -> None:
    values = ["Honesty", "Achievement", "Tradition"]
    pairs = PERCEPTIONS.merge(pd.DataFrame({"value": values}), how="cross")
    out = ValueEvaluator(llama, threshold=threshold).evaluate(pairs)
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
    relevant = out["p_relevant"] > threshold
    assert relevant.all() or threshold > 0
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
    # p_relevant is exactly the model's yes-probability on the ValueLlama-style completion prompt,
    # whatever prompts were evaluated before it (the backend reuses KV-cache prefixes).
    direct = llama.label_probs(
        [ChatRequest.completion(relevance_prompt(PERCEPTIONS["text"][0], "Honesty"), max_tokens=1)],
        RELEVANCE_LABELS,
    )
    assert out["p_relevant"].iloc[0] == pytest.approx(direct[0, 0], abs=1e-6)


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


@pytest.mark.server
def test_value_evaluator_through_openai_server(openai_server: str, llama: ChatModel) -> None:
    """The same judgments over real HTTP (llama-cpp-python's OpenAI-compatible server, same GGUF):
    label probabilities from the completions endpoint's top logprobs match the in-process logits."""
    from gpla.models import load_chat_model

    remote = load_chat_model(f"openai:gemma@{openai_server}", cache=False)
    pairs = PERCEPTIONS.assign(value=["Honesty", "Achievement"])
    # raw: the server adds BOS and sees tokens as strings, so only the raw protocol is the same
    # computation on both sides (the README says what gpv approximates over HTTP).
    over_http = ValueEvaluator(remote, protocol="raw").evaluate(pairs)
    in_process = ValueEvaluator(llama, protocol="raw").evaluate(pairs)
    assert list(over_http.columns) == list(in_process.columns)
    assert over_http["p_relevant"].between(0, 1).all()
    np.testing.assert_allclose(over_http["p_relevant"], in_process["p_relevant"], atol=0.05)
    assert remote.usage.calls >= 2
