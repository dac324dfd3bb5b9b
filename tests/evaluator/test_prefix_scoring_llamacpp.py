"""The shared-prefix fast path on the embedded Gemma 3 270M gives the naive full-prompt numbers.

"Naive" is the backend with ``shared_prefix=False``: every prompt evaluated whole from an empty KV
cache, as GPV does. Issue 8 asks for agreement within 1e-3; the split rule makes it exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.agents import ValueEvaluator
from gpla.agents.prompts.evaluation import RELEVANCE_LABELS, relevance_prompt
from gpla.models import ChatModel, ChatRequest, load_chat_model

SENTENCES = [
    "I volunteer at the animal shelter every weekend.",
    "Winning is the only thing that matters in sport.",
]
VALUES = ["Benevolence", "Achievement", "Power", "Tradition"]


@pytest.fixture(scope="module")
def naive_model() -> ChatModel:
    return load_chat_model("llamacpp:default", cache=False, shared_prefix=False)


def test_evaluator_fast_path_matches_naive(
    embedded_model: ChatModel, naive_model: ChatModel
) -> None:
    pairs = pd.DataFrame(
        [(f"p{i}", s, v) for i, s in enumerate(SENTENCES) for v in VALUES],
        columns=["perception_id", "text", "value"],
    )
    scorer_before = _scorer_counts(embedded_model)
    fast = ValueEvaluator(embedded_model).evaluate(pairs)
    naive = ValueEvaluator(naive_model).evaluate(pairs)

    cols = ["p_relevant", "p_support", "p_oppose", "p_either", "score"]
    np.testing.assert_allclose(fast[cols].to_numpy(), naive[cols].to_numpy(), atol=1e-3)
    evaluated, full = np.subtract(_scorer_counts(embedded_model), scorer_before)
    assert full > 0, "the evaluator did not take the shared-prefix path"
    assert evaluated < full / 2  # the sentence prefix was decoded once per group, not per value


def test_prompts_without_a_shared_prefix_fall_back(embedded_model: ChatModel) -> None:
    # Different sentences and values in one batch: singletons are evaluated whole, groups fast.
    prompts = [relevance_prompt(SENTENCES[0], v) for v in VALUES[:3]]
    prompts += ["The capital of France is", "Two plus two equals"]
    requests = [ChatRequest.completion(p, max_tokens=1) for p in prompts]
    fast = embedded_model.label_probs(requests, RELEVANCE_LABELS)
    naive = load_chat_model("llamacpp:default", cache=False, shared_prefix=False).label_probs(
        requests, RELEVANCE_LABELS
    )
    assert fast.shape == (5, 2)
    np.testing.assert_allclose(fast.sum(axis=1), 1.0)
    np.testing.assert_allclose(fast, naive, atol=1e-3)


def _scorer_counts(model: ChatModel) -> tuple[int, int]:
    scorer = model.backend._scorer  # type: ignore[attr-defined]
    return (scorer.evaluated_tokens, scorer.prompt_tokens) if scorer is not None else (0, 0)
