"""Pure text helpers of the agents: chunking, value names and the prompt builders."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gpla.agents import score_rule
from gpla.agents.chunking import approx_tokens, chunk_text, split_sentences
from gpla.agents.prompts.evaluation import (
    RELEVANCE_TASK,
    VALENCE_TASK,
    relevance_prompt,
    sentence_prefix,
    valence_prompt,
)
from gpla.agents.prompts.perception import perception_request
from gpla.agents.prompts.questions import question_request
from gpla.agents.prompts.values import kaleido_request, values_request
from gpla.agents.value_names import kaleido_values, title_case, value_name, value_names
from gpla.errors import ConfigError


def test_split_sentences() -> None:
    text = 'I value honesty. "Lies hurt!" she said. Is it fair? 3 people agreed.\n\nNew paragraph\n- a list item'
    assert split_sentences(text) == [
        "I value honesty.",
        '"Lies hurt!" she said.',
        "Is it fair?",
        "3 people agreed.",
        "New paragraph",
        "- a list item",
    ]
    assert split_sentences("e.g. small letters do not split. Ok") == [
        "e.g. small letters do not split.",
        "Ok",
    ]


def test_chunk_text_respects_sentence_boundaries_and_budget() -> None:
    sentences = [f"Sentence number {i} says that honesty matters a lot to me." for i in range(60)]
    chunks = chunk_text(" ".join(sentences), max_tokens=60)
    assert len(chunks) > 1
    assert all(approx_tokens(c) <= 60 for c in chunks)
    assert all(c.endswith(".") for c in chunks)  # cut on boundaries only
    assert " ".join(chunks) == " ".join(sentences)  # nothing lost, order kept


def test_chunk_text_splits_overlong_sentence_and_handles_empty() -> None:
    long = " ".join(["word"] * 500)
    chunks = chunk_text(long, max_tokens=50)
    assert all(approx_tokens(c) <= 50 for c in chunks)
    assert " ".join(chunks) == long
    assert chunk_text("   ") == []
    assert chunk_text("Short text.") == ["Short text."]
    with pytest.raises(ConfigError, match="chunk size must be a positive number of tokens, got 0"):
        chunk_text("x", max_tokens=0)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("honesty", "Honesty"),
        ("  family   security. ", "Family Security"),
        ("self-direction", "Self-Direction"),
        ("respect for the elders", "Respect for the Elders"),
        ("AI safety", "AI Safety"),
        ("1. Loyalty", "Loyalty"),
        ("- care", "Care"),
        ("Value: Fairness", "Fairness"),
        ('"Justice"', "Justice"),
        ("of", "Of"),
        ("", None),
        ("the author clearly values being honest with friends", None),
    ],
)
def test_value_name(raw: str, name: str | None) -> None:
    assert value_name(raw) == name


def test_value_names_dedupes_in_order() -> None:
    assert value_names(["honesty", "Care", "HONESTY.", "", "care"]) == ["Honesty", "Care"]
    assert title_case("freedom of speech") == "Freedom of Speech"


def test_kaleido_values_keeps_value_lines() -> None:
    outputs = [
        "Value: Honesty",
        "Right: Right to know the truth",
        "Duty: Duty to be truthful",
        "value: friendship",
        "Value: Honesty",
        "garbage",
    ]
    assert kaleido_values(outputs) == ["Honesty", "Friendship"]


def test_evaluator_prompts_follow_valuellama_protocol() -> None:
    p = relevance_prompt("Lying is\nsometimes fine.", "Honesty")
    assert p.startswith(
        "[Task] Given a sentence and a value, determine whether the sentence is relevant"
    )
    # As GPV's str.format: the sentence goes in as given, line break included.
    assert p.endswith("\nSentence: Lying is\nsometimes fine.\nValue: Honesty\nOutput:\n")
    assert '"yes"' in p and '"no"' in p
    v = valence_prompt("Lying is sometimes fine.", "Honesty")
    assert all(f'"{label}"' in v for label in ("support", "oppose", "either"))
    assert v.endswith("Value: Honesty\nOutput:\n")


def test_evaluator_prompt_prefix_depends_only_on_sentence() -> None:
    # Issue 8 reuses the KV cache of this prefix across values.
    for build, task in ((relevance_prompt, RELEVANCE_TASK), (valence_prompt, VALENCE_TASK)):
        prefix = sentence_prefix(task, "I help my neighbours.")
        a, b = (
            build("I help my neighbours.", "Benevolence"),
            build("I help my neighbours.", "Power"),
        )
        assert a.startswith(prefix) and b.startswith(prefix)
        assert prefix.endswith("Value: ")
        assert a[len(prefix) :] == "Benevolence\nOutput:\n"


def test_generative_prompts_are_fewshot_json_requests() -> None:
    for req, key in (
        (perception_request("I love my  family.\nThey matter."), "perceptions"),
        (values_request("Family matters."), "values"),
        (question_request("Honesty"), "question"),
    ):
        assert req.messages[0].role == "system" and req.messages[-1].role == "user"
        assert key in req.json_schema["properties"]
        roles = [m.role for m in req.messages[1:-1]]
        assert roles == ["user", "assistant"] * (len(roles) // 2) and roles
        for m in req.messages[1:-1]:
            if m.role == "assistant":
                assert key in json.loads(m.content)  # examples show the exact answer format
        assert req.temperature == 0.0 and not req.raw
    assert (
        perception_request("I love my  family.\nThey matter.").messages[-1].content
        == "Text: I love my family. They matter."
    )
    assert '"Alice"' in perception_request("x", subject="Alice").messages[0].content
    assert "the author" in perception_request("x").messages[0].content
    q = question_request("Honesty").messages[0].content
    assert "first-person open-ended value-eliciting" in q and "value dilemmas" in q  # GPLA Prompt 1


def test_kaleido_request_format() -> None:
    req = kaleido_request("Telling  the truth.")
    assert req.raw and req.prompt_text == "[Generate]:\tSituation: Telling the truth."


def test_score_rule() -> None:
    s = score_rule(
        np.array([0.7, 0.2, 0.3, 0.4]),
        np.array([0.2, 0.7, 0.3, 0.4]),
        np.array([0.1, 0.1, 0.4, 0.2]),
    )
    np.testing.assert_allclose(s[[0, 1, 3]], [0.5, -0.5, 0.0])
    assert np.isnan(s[2])  # either exceeds both support and oppose: dropped
    assert np.isnan(score_rule(np.array([np.nan]), np.array([np.nan]), np.array([np.nan]))[0])


def test_completion_layout_for_base_models() -> None:
    req = values_request("Family  matters.", completion=True)
    assert req.raw and req.json_schema is not None
    prompt = req.prompt_text
    assert prompt.endswith("\n\nPerception: Family matters.\nJSON: ")
    blocks = prompt.split("\n\n")[1:-1]
    assert blocks and all(b.startswith("Perception: ") and "\nJSON: {" in b for b in blocks)
    for b in blocks:
        assert "values" in json.loads(b.split("\nJSON: ")[1])
    q = question_request("Loyalty", completion=True).prompt_text
    assert q.endswith("\n\nValue: Loyalty\nJSON: ") and "Value: Honesty\nJSON: {" in q
    assert (
        question_request("Loyalty").messages[-1].content == "Loyalty"
    )  # chat: the bare value, as in Prompt 1
    p = perception_request("I love my family.", subject="Bob", completion=True).prompt_text
    assert '"Bob"' in p and p.endswith("Text: I love my family.\nJSON: ")
