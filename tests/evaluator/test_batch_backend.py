"""``openai:...`` with ``batch_api=True``: the Batch API route gives the live route's answers.

The batch bookkeeping is the local fake (``batch_fake_server.py``); every answer comes from the real
llama-cpp-python server of the ``openai_server`` fixture, serving the embedded model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from batch_fake_server import FakeBatchServer

from gpla.agents.prompts.evaluation import RELEVANCE_LABELS, relevance_prompt
from gpla.models import ChatModel, ChatRequest, load_chat_model


@pytest.fixture
def batch_server(openai_server: str) -> Iterator[FakeBatchServer]:
    fake = FakeBatchServer(upstream=openai_server)
    yield fake
    fake.close()


def batch_model(server: FakeBatchServer, state: Path) -> ChatModel:
    return load_chat_model(f"openai:gemma@{server.url}", cache=False, batch_size=10_000,
                           batch_api=True, batch_dir=state, batch_poll_seconds=0)  # fmt: skip


def test_label_probs_by_batch_equal_live_calls(
    openai_server: str, batch_server: FakeBatchServer, tmp_path: Path
) -> None:
    # Distinct first words: llama-cpp-python's server keeps the KV cache of the previous prompt's
    # common prefix, so prompts sharing more than BOS would get numbers that depend on call order.
    requests = [
        ChatRequest.completion(f"{word} {relevance_prompt(s, v)}", max_tokens=1)
        for word, (s, v) in zip(
            ("Alpha", "Bravo", "Charlie", "Delta"),
            [("I help my neighbours.", "Benevolence"), ("I cheat at cards.", "Honesty"),
             ("I crave fame.", "Power"), ("I keep old customs.", "Tradition")],
            strict=True,
        )
    ]
    live = load_chat_model(f"openai:gemma@{openai_server}", cache=False)
    model = batch_model(batch_server, tmp_path)
    by_batch = model.label_probs(requests, RELEVANCE_LABELS)
    assert batch_server.submissions == 1  # one job for the whole call
    np.testing.assert_allclose(by_batch, live.label_probs(requests, RELEVANCE_LABELS), atol=1e-6)
    assert model.backend.routes["label_probs"] == "batch API logprobs"  # type: ignore[attr-defined]
    assert list(tmp_path.glob("batch-*.json")) == []  # read and settled


def test_generate_by_batch_equals_live_calls(
    openai_server: str, batch_server: FakeBatchServer, tmp_path: Path
) -> None:
    requests = [ChatRequest.completion(f"Count: one, two,{' three,' * k}", max_tokens=6) for k in range(3)]
    requests.append(ChatRequest.completion("FAIL this one on purpose", max_tokens=6))
    live = load_chat_model(f"openai:gemma@{openai_server}", cache=False).generate(requests[:3])
    model = batch_model(batch_server, tmp_path)
    out = model.backend.generate(requests)  # type: ignore[attr-defined]
    assert [r.text for r in out[:3]] == [r.text for r in live]
    assert isinstance(out[3], Exception) and "refused" in str(out[3])
