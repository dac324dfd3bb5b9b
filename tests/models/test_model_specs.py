"""Spec strings, label arithmetic and prompt/JSON helpers: pure functions, no model."""

from __future__ import annotations

import numpy as np
import pytest

from gpla.errors import ConfigError
from gpla.models import ChatRequest, ModelSpec, parse_spec
from gpla.models.labels import (
    label_token_ids,
    label_variants,
    probs_from_logits,
    probs_from_top_logprobs,
)
from gpla.models.prompting import extract_json, plain_chat_prompt
from gpla.models.registry import load_chat_model, load_embedding_model


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("llamacpp:default", ModelSpec("llamacpp", "default")),
        ("llamacpp:/models/x.gguf", ModelSpec("llamacpp", "/models/x.gguf")),
        ("openai:gpt-4o-mini", ModelSpec("openai", "gpt-4o-mini")),
        (
            "openai:qwen2.5:7b@http://127.0.0.1:8000/v1",
            ModelSpec("openai", "qwen2.5:7b", "http://127.0.0.1:8000/v1"),
        ),
        ("hf:Value4AI/ValueLlama-3-8B", ModelSpec("hf", "Value4AI/ValueLlama-3-8B")),
        (
            "vllm:/m/gemma?enforce_eager=true&max_model_len=2048",
            ModelSpec("vllm", "/m/gemma", None, (("enforce_eager", "true"), ("max_model_len", "2048"))),
        ),
        ("llamacpp:default?n_threads=2", ModelSpec("llamacpp", "default", None, (("n_threads", "2"),))),
    ],
)
def test_parse_spec(spec: str, expected: ModelSpec) -> None:
    assert parse_spec(spec) == expected
    assert str(parse_spec(spec)) == spec


@pytest.mark.parametrize(
    "spec", ["gpt-4o", "nope:x", "openai:", "openai:m@ftp://host", "st:default"]
)
def test_bad_specs_are_one_clear_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="model spec"):
        parse_spec(spec)


def test_unknown_options_and_missing_keys_are_config_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        load_chat_model("openai:gpt-4o-mini")
    with pytest.raises(ConfigError, match="unsupported option"):
        load_chat_model("openai:m@http://127.0.0.1:9/v1", temprature=0.3)
    with pytest.raises(ConfigError, match="model spec"):
        load_embedding_model("hf:x")
    with pytest.raises(ConfigError, match="n_threads must be a positive integer"):
        load_chat_model("llamacpp:default?n_threads=many")


def test_label_variants_and_shared_first_tokens() -> None:
    assert set(label_variants("yes")) == {"yes", " yes", "Yes", " Yes", "YES", " YES"}
    vocab = {
        "yes": 1,
        " yes": 2,
        "Yes": 3,
        " Yes": 3,
        "YES": 4,
        " YES": 4,
        "no": 5,
        " no": 5,
        "No": 6,
        " No": 6,
        "NO": 7,
        " NO": 7,
    }
    assert label_token_ids(["yes", "no"], vocab.get) == [[1, 2, 3, 4], [5, 6, 7]]
    with pytest.raises(ConfigError, match="same token"):
        label_token_ids(["yes", "yeah"], lambda text: 1)


def test_probs_from_logits_sum_variants_then_renormalise() -> None:
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.15, 0.25]))
    np.testing.assert_allclose(probs_from_logits(logits, [[0, 1], [3]]), [0.3 / 0.45, 0.15 / 0.45])


def test_probs_from_top_logprobs_match_token_strings() -> None:
    top = {" Yes": np.log(0.4), "yes": np.log(0.1), "No": np.log(0.25), "Sure": np.log(0.2)}
    np.testing.assert_allclose(
        probs_from_top_logprobs(top, ["yes", "no"]), [0.5 / 0.75, 0.25 / 0.75]
    )
    # "e" starts neither label's text at the beginning; "sup" is a prefix of "support" only.
    top = {"sup": np.log(0.2), "opp": np.log(0.2), "e": np.log(0.5)}
    np.testing.assert_allclose(
        probs_from_top_logprobs(top, ["support", "oppose", "either"]),
        [0.2 / 0.9, 0.2 / 0.9, 0.5 / 0.9],
    )
    assert np.isnan(probs_from_top_logprobs({"Maybe": -0.1}, ["yes", "no"])).all()


def test_plain_chat_prompt_and_raw_prompts() -> None:
    chat = ChatRequest.chat("Is honesty a value?", system="You are a psychologist.")
    assert (
        plain_chat_prompt(chat)
        == "You are a psychologist.\n\nUser: Is honesty a value?\n\nAssistant:"
    )
    assert (
        plain_chat_prompt(ChatRequest.completion("Sentence: x\nOutput:\n"))
        == "Sentence: x\nOutput:\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', '{"a": 1}'),
        ('```json\n{"perceptions": ["x"]}\n```', '{"perceptions": ["x"]}'),
        ('Sure! Here it is: {"a": [1, 2]} Hope it helps {"b": 2}', '{"a": [1, 2]}'),
        ('{broken {"ok": true}', '{"ok": true}'),
        ("no json here", None),
    ],
)
def test_extract_json_tolerates_fences_and_prose(text: str, expected: str | None) -> None:
    assert extract_json(text) == expected
