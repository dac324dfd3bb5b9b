"""The OpenAI-compatible backend against a real server: llama-cpp-python's server on 127.0.0.1
serving the embedded GGUF (started once per session by ``openai_server``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gpla.models import ChatModel, ChatRequest, load_chat_model

pytestmark = [pytest.mark.server, pytest.mark.llm]

FEW_SHOT = (
    "Sentence: I never lie to my friends.\nValue: Honesty\nRelevant: yes\n\n"
    "Sentence: The bus was late today.\nValue: Achievement\nRelevant: no\n\n"
    "Sentence: I give part of my salary to charity.\nValue: Benevolence\nRelevant:"
)


@pytest.fixture(scope="module")
def served(openai_server: str) -> ChatModel:
    return load_chat_model(f"openai:gemma@{openai_server}", cache=False)


def test_raw_and_chat_generation_with_token_accounting(served: ChatModel) -> None:
    raw, chat = served.generate(
        [
            ChatRequest.completion(
                "Q: What is the capital of France?\nA:", max_tokens=12, stop=("\n",)
            ),
            ChatRequest.chat("Name one value.", max_tokens=8),
        ]
    )
    assert "Paris" in raw.text and raw.meta["route"] == "completions"
    assert raw.prompt_tokens > 5 and raw.completion_tokens > 0
    assert chat.meta["route"] == "chat" and chat.prompt_tokens > 0
    usage = served.usage  # type: ignore[attr-defined]
    assert usage.calls == 2 and usage.prompt_tokens >= raw.prompt_tokens + chat.prompt_tokens


def test_structured_output_degrades_to_what_the_server_supports(served: ChatModel) -> None:
    schema = {"type": "object", "properties": {"value": {"type": "string"}}, "required": ["value"]}
    [result] = served.generate(
        [ChatRequest.chat("Name a value as JSON.", json_schema=schema, max_tokens=40)]
    )
    # This server rejects response_format json_schema (with a 500 quoting the validation error)
    # and constrains json_object with a grammar.
    assert served.routes["json"] == "json_object"  # type: ignore[attr-defined]
    assert result.meta["json_valid"] and isinstance(json.loads(result.text), dict)


def test_label_probs_agree_with_the_embedded_model(
    served: ChatModel, embedded_model: ChatModel
) -> None:
    prompts = [
        ChatRequest.completion(FEW_SHOT),
        ChatRequest.chat("Is honesty a value? Answer yes or no."),
    ]
    # raw: the server tokenises with BOS, as the raw protocol does locally.
    remote = served.label_probs(prompts, ["yes", "no"], protocol="raw")
    local = embedded_model.label_probs(prompts, ["yes", "no"], protocol="raw")
    np.testing.assert_allclose(remote.sum(axis=1), 1.0)
    # Same GGUF, but the server sees only the top 20 tokens and decodes in other batch shapes.
    np.testing.assert_allclose(remote, local, atol=0.1)
    # Its chat endpoint returns no logprobs for a model without a chat template: completions it is.
    assert served.routes["label_probs"].startswith("completions")  # type: ignore[attr-defined]
