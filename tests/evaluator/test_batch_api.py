"""OpenAI Batch API client against a fake files/batches server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_fake_server import FakeBatchServer

from gpla.errors import ConfigError, ModelError
from gpla.models.base import ChatRequest, ChatResult
from gpla.models.batch_api import BatchJob


@pytest.fixture
def server() -> Iterator[FakeBatchServer]:
    fake = FakeBatchServer()
    yield fake
    fake.close()


def job(server: FakeBatchServer, state: Path) -> BatchJob:
    return BatchJob(state, "gpt-test", server.url, poll_seconds=0, sleep=lambda s: None)


def test_results_come_back_in_order_with_errors_per_item(
    server: FakeBatchServer, tmp_path: Path
) -> None:
    requests = [
        ChatRequest.chat("one"),
        ChatRequest.chat("FAIL two"),
        ChatRequest.chat("three"),
    ]
    out = job(server, tmp_path).run(requests)
    assert isinstance(out[0], ChatResult) and out[0].text == "echo: one"
    assert isinstance(out[1], ModelError) and "refused" in str(out[1])
    assert isinstance(out[2], ChatResult) and out[2].text == "echo: three"
    assert out[2].completion_tokens == 2 and out[2].meta == {"route": "batch"}
    assert list(tmp_path.iterdir()) == []  # state removed once the results are read


def test_raw_prompts_go_to_the_completions_endpoint_and_never_mix_with_chat(
    server: FakeBatchServer, tmp_path: Path
) -> None:
    out = job(server, tmp_path).run([ChatRequest.completion("plain text")])
    assert isinstance(out[0], ChatResult) and out[0].text == "echo: plain text"
    assert server.batches["batch-0"]["endpoint"] == "/v1/completions"
    with pytest.raises(ConfigError, match="cannot mix"):
        job(server, tmp_path).run([ChatRequest.completion("a"), ChatRequest.chat("b")])


def test_resume_polls_the_stored_batch_instead_of_paying_twice(
    server: FakeBatchServer, tmp_path: Path
) -> None:
    requests = [ChatRequest.chat(f"q{i}") for i in range(4)]
    first = job(server, tmp_path)
    batch_id = first.submit(requests)  # ...and the process dies while waiting
    assert len(list(tmp_path.glob("batch-*.json"))) == 1
    out = job(server, tmp_path).run(requests)  # a new process resumes
    assert server.submissions == 1
    assert [r.text for r in out if isinstance(r, ChatResult)] == [f"echo: q{i}" for i in range(4)]
    assert server.polls[batch_id] == 2
    job(server, tmp_path).run(requests[:2])  # a different request set is a new batch
    assert server.submissions == 2
