"""The shared-prefix fast path on the embedded Gemma 3 270M gives the naive full-prompt numbers.

"Naive" is the backend with ``shared_prefix=False``: every prompt evaluated whole from an empty KV
cache with the full output layer, as GPV does. Issue 8 asks for agreement within 1e-3; the split rule
makes the hidden states exact and the label head leaves float rounding (~1e-7 in probability).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gpla.agents import ValueEvaluator
from gpla.agents.prompts.evaluation import RELEVANCE_LABELS, relevance_prompt
from gpla.models import ChatModel, ChatRequest, label_head, llamacpp_tap, load_chat_model
from gpla.models.llamacpp_prefix import PrefixScorer

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
    np.testing.assert_allclose(fast[cols].to_numpy(), naive[cols].to_numpy(), atol=1e-5)
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
    np.testing.assert_allclose(fast, naive, atol=1e-5)


def test_label_head_gives_the_output_layers_logits(naive_model: ChatModel) -> None:
    backend = naive_model.backend
    scorer = PrefixScorer(backend._llm, backend._lock, backend.path)  # type: ignore[attr-defined]
    assert scorer.route.startswith("label rows of the output matrix")
    tokens = [_tokens(naive_model, SENTENCES[0], v) for v in VALUES]
    ids = [235, 1000, 9000, 200_000]
    full = np.array([backend._next_logits(t)[ids] for t in tokens])  # type: ignore[attr-defined]
    np.testing.assert_allclose(scorer.label_logits(tokens, ids), full, atol=1e-4, rtol=0)


def test_the_task_text_is_reused_across_sentences_exactly(naive_model: ChatModel) -> None:
    backend = naive_model.backend
    scorer = PrefixScorer(backend._llm, backend._lock, backend.path)  # type: ignore[attr-defined]
    ids = [235, 1000]
    groups = [[_tokens(naive_model, s, v) for v in VALUES] for s in SENTENCES + SENTENCES[:1]]
    decoded = []
    for group in groups:
        before = scorer.evaluated_tokens
        got = scorer.label_logits(group, ids)
        full = np.array([backend._next_logits(t)[ids] for t in group])  # type: ignore[attr-defined]
        np.testing.assert_allclose(got, full, atol=1e-4, rtol=0)
        decoded.append(scorer.evaluated_tokens - before)
    # The first group started from an empty cache; the third (the first sentence again, after the
    # second) re-evaluates only from the end of the ~40-token task text they share.
    assert decoded[2] <= decoded[0] - 32


def test_a_label_head_that_disagrees_falls_back_to_the_output_layer(
    naive_model: ChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without ggml's Q8_0 rounding of the hidden state the head is off by ~0.04 in logits.
    monkeypatch.setitem(label_head._ACTIVATION_ROUNDING, "Q8_0", lambda x: x.astype(np.float32))
    backend = naive_model.backend
    scorer = PrefixScorer(backend._llm, backend._lock, backend.path)  # type: ignore[attr-defined]
    assert scorer.route.startswith("full output layer (label head differed by")
    tokens = [_tokens(naive_model, SENTENCES[1], v) for v in VALUES]
    ids = [235, 1000]
    full = np.array([backend._next_logits(t)[ids] for t in tokens])  # type: ignore[attr-defined]
    np.testing.assert_array_equal(scorer.label_logits(tokens, ids), full)  # bit for bit


def test_a_graph_without_the_tapped_node_falls_back(
    naive_model: ChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llamacpp_tap, "NODE", b"no_such_node")
    backend = naive_model.backend
    scorer = PrefixScorer(backend._llm, backend._lock, backend.path)  # type: ignore[attr-defined]
    assert scorer.route == "full output layer (no final-norm hidden state from the graph)"
    tokens = [_tokens(naive_model, SENTENCES[0], v) for v in VALUES]
    full = np.array([backend._next_logits(t)[[235]] for t in tokens])  # type: ignore[attr-defined]
    np.testing.assert_array_equal(scorer.label_logits(tokens, [235]), full)


def _tokens(model: ChatModel, sentence: str, value: str) -> list[int]:
    request = ChatRequest.completion(relevance_prompt(sentence, value), max_tokens=1)
    return model.backend.prompt_tokens(request)  # type: ignore[attr-defined]


def _scorer_counts(model: ChatModel) -> tuple[int, int]:
    scorer = model.backend._scorer  # type: ignore[attr-defined]
    return (scorer.evaluated_tokens, scorer.prompt_tokens) if scorer is not None else (0, 0)
