"""Agent plumbing with a fake model: batching, de-duplication, repair retry, failure rows, input checks.

What a real model answers is tested in test_agents_llamacpp.py; here the replies are scripted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from fakes import FakeChatModel

from gpla.agents import PerceptionParser, QuestionDesigner, ValueEvaluator, ValueGenerator
from gpla.agents.base import REPAIR_INSTRUCTION
from gpla.errors import ConfigError, DataError
from gpla.models.base import ChatRequest, ChatResult

REPAIR_MARK = REPAIR_INSTRUCTION.split("{")[0].strip()


def is_repair(r: ChatRequest) -> bool:
    return REPAIR_MARK in r.messages[-1].content


class BatchRecorder(FakeChatModel):
    """Also remembers the size of every batch it was given."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.batches: list[int] = []

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        self.batches.append(len(requests))
        return super().generate(requests)

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: str = "gpv"
    ) -> np.ndarray:
        self.batches.append(len(prompts))
        return super().label_probs(prompts, labels, protocol)


def last_text(r: ChatRequest) -> str:
    # Few-shot prompts say "Text: ", GPV's parser prompt (the default for chat models) "**Text:** ".
    content = r.messages[-1].content.removeprefix("**Text:** ")
    return content.removeprefix("Text: ").removeprefix("Perception: ")


def test_parser_batches_dedupes_and_numbers_perceptions() -> None:
    model = BatchRecorder(lambda r: json.dumps({"perceptions": [f"P({last_text(r)})", "Second."]}))
    docs = pd.DataFrame(
        {"doc_id": ["a", "b", "c", "d", "e"], "text": ["One.", "Two.", "One.", "Three.", "Four."]}
    )
    out = PerceptionParser(model, batch_size=2).parse(docs)
    assert model.batches == [2, 2]  # 4 distinct texts in batches of 2; "One." parsed once
    assert list(out.columns) == ["perception_id", "doc_id", "chunk", "text", "error"]
    assert out["perception_id"].tolist()[:4] == ["a-0", "a-1", "b-0", "b-1"]
    assert out.loc[out.doc_id == "c", "text"].tolist() == ["P(One.)", "Second."]
    assert out["error"].isna().all()


def test_parser_chunks_long_documents() -> None:
    model = FakeChatModel(lambda r: json.dumps({"perceptions": [last_text(r)[:20]]}))
    long = " ".join(f"Sentence {i} is about how much I value my family." for i in range(80))
    out = PerceptionParser(model, chunk_tokens=100).parse(
        pd.DataFrame({"doc_id": [7], "text": [long]})
    )
    assert model.calls == len(out) > 5
    assert out["chunk"].tolist() == list(range(len(out)))
    assert out["perception_id"].tolist() == [f"7-{i}" for i in range(len(out))]


def test_repair_retry_recovers_a_bad_reply() -> None:
    def reply(r: ChatRequest) -> str:
        if is_repair(r):
            return '{"perceptions": ["Fixed."]}'
        return (
            "Here you go: {perceptions: oops"
            if "bad" in last_text(r)
            else '{"perceptions": ["Fine."]}'
        )

    model = BatchRecorder(reply)
    out = PerceptionParser(model).parse(
        pd.DataFrame({"doc_id": [1, 2], "text": ["A bad one.", "A good one."]})
    )
    assert model.batches == [2, 1]  # one repair request, for the bad reply only
    repair = model.requests[-1]
    assert (
        repair.messages[-2].role == "assistant"
        and repair.messages[-2].content == "Here you go: {perceptions: oops"
    )
    assert repair.json_schema == model.requests[0].json_schema
    assert out["text"].tolist() == ["Fixed.", "Fine."]
    assert out["error"].isna().all()


def test_unrepairable_reply_becomes_an_error_row() -> None:
    model = FakeChatModel(
        lambda r: (
            "I cannot do that."
            if "bad" in r.messages[-1].content or is_repair(r)
            else '{"perceptions": ["Ok."]}'
        )
    )
    out = PerceptionParser(model).parse(
        pd.DataFrame({"doc_id": ["x", "y"], "text": ["bad text.", "Fine text."]})
    )
    bad = out[out.doc_id == "x"].iloc[0]
    assert pd.isna(bad["perception_id"]) and pd.isna(bad["text"])
    assert "no JSON" in bad["error"] and "after repair" in bad["error"]
    assert out.loc[out.doc_id == "y", "text"].tolist() == ["Ok."]
    assert model.calls == 3  # two first tries + one repair


def test_repair_can_be_switched_off() -> None:
    model = FakeChatModel(lambda r: "nope")
    out = QuestionDesigner(model, repair=False).design(["Honesty"])
    assert model.calls == 1 and out["error"].iloc[0] == "the reply contains no JSON object"


def test_generator_title_cases_skips_error_rows_and_records_failures() -> None:
    def reply(r: ChatRequest) -> str:
        return (
            '{"values": "broken'
            if last_text(r) == "Broken." or is_repair(r)
            else json.dumps({"values": ["honesty", "family security", "Honesty"]})
        )

    perceptions = pd.DataFrame(
        {
            "perception_id": ["p0", "p1", "p2", "p3"],
            "text": ["Truth matters.", "Broken.", None, "Truth matters."],
            "error": [None, None, "parse failed", None],
        }
    )
    model = FakeChatModel(reply)
    out = ValueGenerator(model).generate(perceptions)
    assert list(out.columns) == ["perception_id", "value", "error"]
    good = out[out.error.isna()]
    assert good.groupby("perception_id")["value"].apply(list).to_dict() == {
        "p0": ["Honesty", "Family Security"],
        "p3": ["Honesty", "Family Security"],
    }
    assert out.loc[out.error.notna(), "perception_id"].tolist() == ["p1"]
    assert "p2" not in out["perception_id"].tolist()
    assert model.calls == 3  # "Truth matters." once, "Broken." twice (repair)


def test_kaleido_style_keeps_value_outputs() -> None:
    beams = [
        "Value: Honesty",
        "Right: Right to the truth",
        "Duty: Duty to be honest",
        "Value: Friendship",
    ]

    class FakeKaleido(FakeChatModel):
        def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
            self.requests.extend(requests)
            return [ChatResult(text=beams[0], meta={"sequences": beams}) for _ in requests]

    model = FakeKaleido(name="hf:tsor13/kaleido-small")
    gen = ValueGenerator(model)
    assert gen.style == "kaleido"
    out = gen.generate(
        pd.DataFrame({"perception_id": [0], "text": ["Telling my friend the truth."]})
    )
    assert out["value"].tolist() == ["Honesty", "Friendship"]
    assert model.requests[0].prompt_text == "[Generate]:\tSituation: Telling my friend the truth."


def fake_judge(r: ChatRequest, labels: Sequence[str]) -> list[float]:
    """Relevant iff the value word occurs in the sentence; supports unless the sentence says "not";
    "maybe" makes it ambiguous (either)."""
    prompt = r.prompt_text
    sentence = prompt.split("Sentence: ")[1].split("\nValue: ")[0].lower()
    value = prompt.split("\nValue: ")[1].split("\nOutput:")[0].lower()
    if list(labels) == ["yes", "no"]:
        return [0.9, 0.1] if value in sentence else [0.2, 0.8]
    if "maybe" in sentence:
        return [0.3, 0.2, 0.5]
    return [0.1, 0.8, 0.1] if "not" in sentence else [0.7, 0.2, 0.1]


def test_evaluator_protocol_and_score_rule() -> None:
    pairs = pd.DataFrame(
        {
            "perception_id": ["p1", "p1", "p2", "p3", "p1", "p4"],
            "text": [
                "Honesty is key.",
                "Honesty is key.",
                "Honesty is not key.",
                "Maybe honesty.",
                "Honesty is key.",
                "x",
            ],
            "value": ["Honesty", "Power", "Honesty", "Honesty", "Honesty", "Care"],
            "error": [None, None, None, None, None, "upstream failure"],
        }
    )
    model = BatchRecorder(probs=fake_judge)
    out = ValueEvaluator(model, batch_size=2).evaluate(pairs)
    assert list(out.columns) == [
        "perception_id",
        "value",
        "p_relevant",
        "p_support",
        "p_oppose",
        "p_either",
        "score",
    ]
    assert out["perception_id"].tolist() == ["p1", "p1", "p2", "p3", "p1"]
    # 4 distinct pairs for relevance (batches 2+2), 3 relevant ones for valence (2+1); the duplicate is free.
    assert model.batches == [2, 2, 2, 1]
    assert all(r.raw and r.prompt_text.endswith("\nOutput:\n") for r in model.requests)
    np.testing.assert_allclose(out["p_relevant"], [0.9, 0.2, 0.9, 0.9, 0.9])
    np.testing.assert_allclose(out["score"].iloc[[0, 2, 4]], [0.5, -0.7, 0.5])
    assert out.iloc[1][["p_support", "p_oppose", "p_either", "score"]].isna().all()  # not relevant
    assert np.isnan(out["score"].iloc[3]) and out["p_either"].iloc[3] == pytest.approx(
        0.5
    )  # dropped
    valence = out[["p_support", "p_oppose", "p_either"]].dropna()
    np.testing.assert_allclose(valence.sum(axis=1), 1.0)


def test_evaluator_sorts_prompts_so_shared_prefixes_are_adjacent() -> None:
    model = FakeChatModel(probs=lambda r, labels: [0.1, 0.9])
    pairs = pd.DataFrame(
        {
            "perception_id": [1, 2, 1, 2],
            "text": ["B.", "A.", "B.", "A."],
            "value": ["X", "Y", "Y", "X"],
        }
    )
    ValueEvaluator(model).evaluate(pairs)
    sentences = [r.prompt_text.split("Sentence: ")[1].split("\n")[0] for r in model.requests]
    assert sentences == ["A.", "A.", "B.", "B."]


def test_evaluator_rejects_wrong_label_prob_shape() -> None:
    class Broken(FakeChatModel):
        def label_probs(
            self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: str = "gpv"
        ) -> np.ndarray:
            return np.ones((1, 1))

    with pytest.raises(Exception, match="label_probs returned shape"):
        ValueEvaluator(Broken()).evaluate(
            pd.DataFrame({"perception_id": [1, 2], "text": ["a", "b"], "value": ["v", "v"]})
        )


def test_question_designer_one_row_per_distinct_value() -> None:
    model = FakeChatModel(
        lambda r: json.dumps(
            {"value": "whatever", "question": f"Should I value {r.messages[-1].content}?"}
        )
    )
    out = QuestionDesigner(model).design(["Honesty", "Care", "Honesty", " Care "])
    assert out.to_dict("list") == {
        "value": ["Honesty", "Care"],
        "question": ["Should I value Honesty?", "Should I value Care?"],
        "error": [None, None],
    }


def test_empty_inputs_give_empty_frames() -> None:
    model = FakeChatModel()
    assert PerceptionParser(model).parse(pd.DataFrame({"doc_id": [], "text": []})).empty
    assert ValueGenerator(model).generate(pd.DataFrame({"perception_id": [], "text": []})).empty
    assert (
        ValueEvaluator(model)
        .evaluate(pd.DataFrame({"perception_id": [], "text": [], "value": []}))
        .empty
    )
    assert QuestionDesigner(model).design([]).empty
    assert model.calls == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda m: PerceptionParser(m).parse(pd.DataFrame({"id": [1], "text": ["x"]})),
            "missing column.*doc_id",
        ),
        (
            lambda m: PerceptionParser(m).parse(
                pd.DataFrame({"doc_id": [1, 1], "text": ["x", "y"]})
            ),
            "doc_id 1 occurs more than once",
        ),
        (
            lambda m: PerceptionParser(m).parse(
                pd.DataFrame({"doc_id": [1, 2], "text": ["x", None]})
            ),
            "text of doc_id 2 is not a string",
        ),
        (
            lambda m: ValueGenerator(m).generate(pd.DataFrame({"perception_id": [1]})),
            "missing column.*text",
        ),
        (
            lambda m: ValueEvaluator(m).evaluate(
                pd.DataFrame({"perception_id": [1], "text": ["x"]})
            ),
            "missing column.*value",
        ),
        (lambda m: ValueEvaluator(m).evaluate([("a", "b")]), "expected a pandas DataFrame"),
        (lambda m: QuestionDesigner(m).design("Honesty"), "single string"),
        (lambda m: QuestionDesigner(m).design(["Honesty", ""]), "non-empty strings"),
    ],
)
def test_bad_input_raises_data_error(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match=message):
        call(FakeChatModel())


def test_bad_model_arguments_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        ValueEvaluator(FakeChatModel(), batch_size=0)
    with pytest.raises(ConfigError, match="ChatModel or a model spec"):
        ValueEvaluator(object())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="model spec"):
        ValueEvaluator("nonsense")
    with pytest.raises(ConfigError, match="chunk_tokens must be positive"):
        PerceptionParser("nonsense", chunk_tokens=0)  # before the spec is even read
    with pytest.raises(ConfigError, match="style must be auto, fewshot or kaleido"):
        ValueGenerator("nonsense", style="magic")  # type: ignore[arg-type]


class FakeBaseModel(FakeChatModel):
    """Reports, like the model layer does for a GGUF without chat template, a plain-transcript route."""

    routes: ClassVar[dict[str, str]] = {"chat": "plain transcript (no chat template)"}


def test_prompt_format_auto_follows_the_models_chat_route() -> None:
    assert PerceptionParser(FakeBaseModel()).completion
    assert not PerceptionParser(FakeChatModel()).completion
    assert not ValueGenerator(FakeBaseModel(), prompt_format="chat").completion
    assert QuestionDesigner(FakeChatModel(), prompt_format="completion").completion
    with pytest.raises(ConfigError, match="prompt_format"):
        QuestionDesigner(FakeChatModel(), prompt_format="xml")  # type: ignore[arg-type]


def test_repair_of_a_completion_prompt_ends_where_the_answer_starts() -> None:
    model = FakeBaseModel(
        lambda r: (
            '{"question": "Should I stay loyal to my team or take the offer?"}'
            if is_repair(r)
            else "{"
        )
    )
    out = QuestionDesigner(model).design(["Loyalty"])
    assert out["error"].isna().all()
    first, repair = model.requests
    assert first.raw and repair.raw
    assert repair.prompt_text.startswith(first.prompt_text + "{")
    assert repair.prompt_text.endswith("JSON: ")


def test_parser_drops_repeated_perceptions() -> None:
    model = FakeChatModel(
        lambda r: (
            '{"perceptions": ["Truth matters.", "Family first.", "truth matters.", "Truth matters."]}'
        )
    )
    # The few-shot style's guard against small models repeating themselves; GPV's keeps every item.
    out = PerceptionParser(model, prompt_style="fewshot").parse(pd.DataFrame({"doc_id": ["a"], "text": ["x"]}))
    assert out["text"].tolist() == ["Truth matters.", "Family first."]
