"""The transformers shared-prefix fast path gives the naive full-prompt numbers, with fewer tokens.

"Naive" is the backend with ``shared_prefix=False``: prompts batched with left padding, every token
of every prompt run through the model. The model is the tiny random GPT-2 of the hf tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hf_tiny_models import tiny_causal_model

from gpla.agents.prompts.evaluation import RELEVANCE_LABELS, relevance_prompt
from gpla.models import ChatModel, ChatRequest, load_chat_model

SENTENCES = [
    "I volunteer at the animal shelter every weekend.",
    "Winning is the only thing that matters in sport.",
    "We keep the old family recipes exactly as grandmother wrote them.",
]
VALUES = ["Benevolence", "Achievement", "Power", "Tradition", "Self-direction", "Universalism"]


@pytest.fixture(scope="module")
def causal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_causal_model(tmp_path_factory.mktemp("tiny-gpt2-prefix"))


def _load(folder: Path, shared: bool) -> ChatModel:
    return load_chat_model(f"hf:{folder}", cache=False, batch_size=4, shared_prefix=shared)


def test_fast_path_equals_naive_with_fewer_forward_tokens(causal_dir: Path) -> None:
    prompts = [
        ChatRequest.completion(relevance_prompt(s, v), max_tokens=1)
        for s in SENTENCES
        for v in VALUES
    ]
    fast_model, naive_model = _load(causal_dir, True), _load(causal_dir, False)
    fast = fast_model.label_probs(prompts, RELEVANCE_LABELS)
    naive = naive_model.label_probs(prompts, RELEVANCE_LABELS)

    assert fast.shape == (18, 2)
    np.testing.assert_allclose(fast.sum(axis=1), 1.0, rtol=1e-9)
    np.testing.assert_allclose(fast, naive, atol=1e-5)
    # Random weights still give prompt-dependent numbers, so equality is not trivially 0.5/0.5.
    assert np.ptp(naive[:, 0]) > 1e-4
    fast_tokens = fast_model.backend.forward_tokens  # type: ignore[attr-defined]
    naive_tokens = naive_model.backend.forward_tokens  # type: ignore[attr-defined]
    assert 0 < fast_tokens < naive_tokens / 2  # each sentence's prefix ran once, not per value


def test_prompts_without_a_shared_prefix_fall_back(causal_dir: Path) -> None:
    prompts = [relevance_prompt(SENTENCES[0], v) for v in VALUES[:3]]
    prompts += ["The capital of France is", "Two plus two equals"]
    requests = [ChatRequest.completion(p, max_tokens=1) for p in prompts]
    fast_model = _load(causal_dir, True)
    fast = fast_model.label_probs(requests, RELEVANCE_LABELS)
    naive = _load(causal_dir, False).label_probs(requests, RELEVANCE_LABELS)
    assert fast.shape == (5, 2)
    np.testing.assert_allclose(fast, naive, atol=1e-5)
    assert fast_model.routes["label_probs"].startswith("next-token logits (shared-prefix")
