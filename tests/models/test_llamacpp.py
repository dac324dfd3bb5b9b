"""The embedded Gemma 3 270M through llama-cpp-python: generation, grammar-constrained JSON, and
label probabilities checked against a softmax over the model's own logits."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from gpla.models import ChatModel, ChatRequest, load_chat_model
from gpla.models.labels import label_variants

pytestmark = pytest.mark.llm

FEW_SHOT = (
    "Sentence: I never lie to my friends.\nValue: Honesty\nRelevant: yes\n\n"
    "Sentence: The bus was late today.\nValue: Achievement\nRelevant: no\n\n"
)
PROMPTS = [
    ChatRequest.completion(FEW_SHOT + f"Sentence: {s}\nValue: {v}\nRelevant:")
    for s, v in [
        ("I give part of my salary to charity.", "Benevolence"),
        ("I love trying new food from other countries.", "Stimulation"),
        ("The sky is blue.", "Power"),
    ]
] + [ChatRequest.chat("Is honesty a value? Answer yes or no.")]


def test_generate_answers_raw_and_chat_requests(embedded_model: ChatModel) -> None:
    raw, chat = embedded_model.generate(
        [
            ChatRequest.completion(
                "Q: What is the capital of France?\nA:", max_tokens=12, stop=("\n",)
            ),
            ChatRequest.chat("Name one thing people value.", max_tokens=12),
        ]
    )
    assert "Paris" in raw.text and "\n" not in raw.text
    assert raw.prompt_tokens > 5 and 0 < raw.completion_tokens <= 12
    assert chat.completion_tokens <= 12 and not chat.cached
    assert "User:" not in chat.text  # the plain transcript's stop keeps the model to one turn


def test_json_schema_gives_valid_json(embedded_model: ChatModel) -> None:
    schema = {
        "type": "object",
        "properties": {
            "value": {"enum": ["Honesty", "Care", "Power"]},
            "important": {"type": "boolean"},
        },
        "required": ["value", "important"],
    }
    [result] = embedded_model.generate(
        [
            ChatRequest.chat(
                "Which value is about telling the truth?", json_schema=schema, max_tokens=40
            )
        ]
    )
    data = json.loads(result.text)
    assert data["value"] in {"Honesty", "Care", "Power"} and isinstance(data["important"], bool)
    assert result.meta["route"] == "grammar"


def _softmax_label_probs(model: ChatModel, prompt: ChatRequest, labels: list[str]) -> np.ndarray:
    """Independent recomputation: fresh context, full-vocabulary softmax, variants tokenised here."""
    backend = model.backend  # type: ignore[attr-defined]
    llm = backend._llm
    llm.reset()
    llm.eval(backend.prompt_tokens(prompt))
    logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).astype(
        float
    )
    p = np.exp(logits - logits.max())
    p /= p.sum()
    mass = []
    for label in labels:
        ids = {
            llm.tokenize(v.encode(), add_bos=False, special=False)[0] for v in label_variants(label)
        }
        mass.append(sum(p[i] for i in ids))
    return np.array(mass) / sum(mass)


def test_label_probs_equal_a_manual_softmax_over_the_logits(embedded_model: ChatModel) -> None:
    # The raw protocol (BOS, summed variants) is unchanged; the gpv protocol is tested in
    # tests/evaluator/test_gpv_protocol_llamacpp.py.
    labels = ["yes", "no"]
    probs = embedded_model.label_probs(PROMPTS, labels, protocol="raw")
    assert probs.shape == (len(PROMPTS), 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    # Prompts sharing a prefix take the fast path, whose label logits come from the output rows
    # rather than llama.cpp's output layer: equal up to float rounding (~1e-7 in probability).
    for row, prompt in zip(probs, PROMPTS, strict=True):
        np.testing.assert_allclose(
            row, _softmax_label_probs(embedded_model, prompt, labels), atol=1e-6
        )
    # A prompt's probabilities do not depend on its neighbours in the batch (beyond that rounding).
    alone = embedded_model.label_probs(PROMPTS[2:3], labels, protocol="raw")
    np.testing.assert_allclose(alone[0], probs[2], atol=1e-6)


def test_shared_prefix_reuse_is_close_to_fresh_evaluation() -> None:
    labels = ["yes", "no"]
    fast = load_chat_model("llamacpp:default", cache=False, reuse_prefix=True)
    probs = fast.label_probs(PROMPTS, labels, protocol="raw")
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    for row, prompt in zip(probs, PROMPTS, strict=True):
        # llama.cpp's quantised kernels are not batch-invariant: decoding a suffix on top of a kept
        # KV prefix moves probabilities by a few hundredths (measured up to ~0.05 on this model).
        np.testing.assert_allclose(row, _softmax_label_probs(fast, prompt, labels), atol=0.08)
    assert fast.backend.identity()["reuse_prefix"] is True  # type: ignore[attr-defined]


def test_three_labels_and_clear_errors(embedded_model: ChatModel) -> None:
    from gpla.errors import ConfigError

    probs = embedded_model.label_probs(PROMPTS[:2], ["support", "oppose", "either"])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    with pytest.raises(ConfigError, match="at least two labels"):
        embedded_model.label_probs(PROMPTS[:1], ["yes"])
    with pytest.raises(ConfigError, match="same token"):  # raw sums variants: both start with "yes"
        embedded_model.label_probs(PROMPTS[:1], ["yes", "Yes"], protocol="raw")


def test_sampling_is_reproducible_per_sample_index(embedded_model: ChatModel) -> None:
    base = ChatRequest.completion("My favourite value is", temperature=1.0, max_tokens=8)
    a0, a1 = embedded_model.generate([base, replace(base, sample_index=1)])
    again = embedded_model.generate([base])[0]
    assert again.text == a0.text
    assert a0.completion_tokens > 0 and a1.completion_tokens > 0


def test_cache_makes_a_second_identical_batch_free(tmp_path) -> None:
    model = load_chat_model("llamacpp:default", cache=tmp_path / "calls.sqlite")
    requests = [
        ChatRequest.completion("One value: honesty. Another value:", max_tokens=6),
        replace(PROMPTS[0], max_tokens=3),
    ]
    first = model.generate(requests)
    probs = model.label_probs(PROMPTS[:2], ["yes", "no"])
    calls = model.usage.calls
    assert calls == 4
    again = model.generate(requests)
    probs_again = model.label_probs(PROMPTS[:2], ["yes", "no"])
    assert model.usage.calls == calls  # nothing reached the model
    assert model.usage.cache_hits == 4
    assert [r.text for r in again] == [r.text for r in first] and all(r.cached for r in again)
    np.testing.assert_array_equal(probs_again, probs)


def test_prompt_longer_than_context_is_one_clear_error() -> None:
    from gpla.errors import ModelError

    model = load_chat_model("llamacpp:default", cache=False, n_ctx=64)
    with pytest.raises(ModelError, match="exceeds the context of 64"):
        model.generate([ChatRequest.completion("word " * 100, max_tokens=4)])
