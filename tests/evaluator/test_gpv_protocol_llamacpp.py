"""The gpv protocol on the embedded Gemma (llama.cpp): GPV's reading of the labels, on the naive path
and on the shared-prefix fast path (label head), and kept apart from the raw protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gpla.agents.prompts.evaluation import (
    RELEVANCE_LABELS,
    VALENCE_LABELS,
    relevance_prompt,
    valence_prompt,
)
from gpla.models import ChatModel, ChatRequest, load_chat_model

pytestmark = pytest.mark.llm

SENTENCES = ["I volunteer at the animal shelter every weekend.", "Rules exist for a reason."]
VALUES = ["Benevolence", "Power", "Tradition", "Conformity"]


@pytest.fixture(scope="module")
def naive() -> ChatModel:
    return load_chat_model("llamacpp:default", cache=False, shared_prefix=False)


def _requests(template) -> list[ChatRequest]:  # type: ignore[no-untyped-def]
    return [ChatRequest.completion(template(s, v), max_tokens=1) for s in SENTENCES for v in VALUES]


def _gpv_by_hand(model: ChatModel, prompt: str, words: tuple[str, ...]) -> np.ndarray:
    """What valuellama.py does, on llama.cpp: no BOS, full softmax, first token of each word."""
    llm = model.backend._llm  # type: ignore[attr-defined]
    llm.reset()
    llm.eval(llm.tokenize(prompt.encode(), add_bos=False, special=False))
    logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))
    p = np.exp(logits.astype(float) - logits.max())
    p /= p.sum()
    picked = np.array([p[llm.tokenize(w.encode(), add_bos=False, special=False)[0]] for w in words])
    return picked / picked.sum()


def test_naive_path_is_gpvs_reading_of_the_logits(naive: ChatModel) -> None:
    requests = _requests(relevance_prompt)
    got = naive.label_probs(requests, RELEVANCE_LABELS, protocol="gpv")
    want = np.array([_gpv_by_hand(naive, r.prompt_text, RELEVANCE_LABELS) for r in requests])
    np.testing.assert_allclose(got, want, atol=1e-9, rtol=0)
    raw = naive.label_probs(requests, RELEVANCE_LABELS, protocol="raw")  # BOS, summed variants
    assert np.abs(raw - got).max() > 1e-3


@pytest.mark.parametrize(("template", "labels"), [(relevance_prompt, RELEVANCE_LABELS),
                                                   (valence_prompt, VALENCE_LABELS)])  # fmt: skip
def test_fast_path_equals_naive_under_gpv(
    embedded_model: ChatModel,
    naive: ChatModel,
    template,
    labels,  # type: ignore[no-untyped-def]
) -> None:
    requests = _requests(template)
    fast = embedded_model.label_probs(requests, labels, protocol="gpv")
    np.testing.assert_allclose(fast, naive.label_probs(requests, labels, protocol="gpv"), atol=1e-6)
    # No generation config in a GGUF: the label logits alone give GPV's renormalised softmax.
    assert "label rows of the output matrix" in embedded_model.routes["label_probs"]  # type: ignore[attr-defined]


def test_protocols_are_cached_apart(tmp_path: Path) -> None:
    model = load_chat_model("llamacpp:default", cache=tmp_path / "calls.sqlite")
    requests = _requests(relevance_prompt)[:2]
    gpv = model.label_probs(requests, RELEVANCE_LABELS)  # the default
    raw = model.label_probs(requests, RELEVANCE_LABELS, protocol="raw")
    assert model.usage.calls == 4 and model.usage.cache_hits == 0  # a raw row is not a gpv row
    np.testing.assert_array_equal(
        model.label_probs(requests, RELEVANCE_LABELS, protocol="gpv"), gpv
    )
    np.testing.assert_array_equal(
        model.label_probs(requests, RELEVANCE_LABELS, protocol="raw"), raw
    )
    assert model.usage.calls == 4 and model.usage.cache_hits == 4
