"""Fault injection over real HTTP: each call ends in success after retries or in one clear error
naming the endpoint and the cause; nothing failed is cached; keys never leak (retry waits are
zeroed by the autouse fixture in tests/conftest.py)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from models_fault_server import FaultServer

from gpla.errors import ModelError
from gpla.models import ChatRequest, load_chat_model, load_embedding_model
from gpla.models.cache import CallCache

pytestmark = pytest.mark.server


@pytest.fixture
def server() -> Iterator[FaultServer]:
    srv = FaultServer()
    yield srv
    srv.close()


@pytest.fixture
def cache(tmp_path: Path) -> CallCache:
    return CallCache(tmp_path / "calls.sqlite")


def _model(server: FaultServer, cache: CallCache | bool = False, **options):
    return load_chat_model(f"openai:test-model@{server.url}", cache=cache, **options)


ASK = ChatRequest.chat("Say hello.")


def test_429_with_retry_after_is_honoured_then_succeeds(
    server: FaultServer, cache: CallCache, caplog: pytest.LogCaptureFixture
) -> None:
    server.script.extend([("status", 429, {"Retry-After": "7"}), "ok"])
    model = _model(server, cache)
    with caplog.at_level(logging.WARNING, logger="gpla.models"):
        [result] = model.generate([ASK])
    assert result.text == "echo: Say hello."
    assert server.count == 2 and model.usage.retries == 1 and model.usage.calls == 1
    assert "retrying in 7.0 s" in caplog.text  # the server's wait, not our shorter backoff
    assert len(cache) == 1


@pytest.mark.parametrize("codes", [(500,), (503,), (500, 503)])
def test_server_errors_are_retried(server: FaultServer, codes: tuple[int, ...]) -> None:
    server.script.extend(("status", c, {}) for c in codes)
    model = _model(server)
    [result] = model.generate([ASK])
    assert result.text.startswith("echo:") and model.usage.retries == len(codes)


def test_persistent_failure_is_one_clear_error_and_nothing_is_cached(
    server: FaultServer, cache: CallCache
) -> None:
    server.script.extend([("status", 503, {})] * 10)
    model = _model(server, cache, max_attempts=3)
    with pytest.raises(ModelError) as err:
        model.generate([ASK])
    message = str(err.value)
    assert server.url in message and "503" in message and "after 3 attempts" in message
    assert server.count == 3 and len(cache) == 0


def test_a_response_slower_than_the_timeout_is_retried(server: FaultServer) -> None:
    server.script.append(("slow", 2.0))
    model = _model(server, timeout=0.3)
    [result] = model.generate([ASK])
    assert result.text.startswith("echo:") and server.count == 2
    server.script.extend([("slow", 2.0)] * 2)
    with pytest.raises(ModelError, match=r"(?i)timed out|timeout"):
        _model(server, timeout=0.3, max_attempts=2).generate([ChatRequest.chat("Again.")])


@pytest.mark.parametrize("fault", ["malformed", "truncated"])
def test_broken_bodies_are_retried_then_reported(server: FaultServer, fault: str) -> None:
    server.script.append(fault)
    [result] = _model(server).generate([ASK])
    assert result.text.startswith("echo:") and server.count == 2
    server.script.extend([fault] * 3)
    with pytest.raises(ModelError) as err:
        _model(server, max_attempts=3).generate([ChatRequest.chat("Again.")])
    assert server.url in str(err.value)


def test_only_failed_items_of_a_batch_are_sent_again(server: FaultServer, cache: CallCache) -> None:
    server.script.extend(["ok", ("status", 503, {}), "ok"])
    model = _model(server, cache, concurrency=1)
    requests = [ChatRequest.chat(f"Item {i}.") for i in range(3)]
    results = model.generate(requests)
    assert [r.text for r in results] == [f"echo: Item {i}." for i in range(3)]  # in order
    assert server.count == 4 and model.usage.calls == 3 and model.usage.retries == 1


def test_a_client_error_is_not_retried(server: FaultServer) -> None:
    server.script.append(("status", 404, {}))
    with pytest.raises(ModelError, match="404"):
        _model(server).generate([ChatRequest.chat("Hi.", max_tokens=3)])
    assert server.count == 1


def test_identical_requests_are_asked_once_and_a_second_batch_is_free(
    server: FaultServer, cache: CallCache
) -> None:
    model = _model(server, cache)
    first = model.generate([ASK, ASK, ChatRequest.chat("Other.")])
    assert server.count == 2 and model.usage.calls == 2
    again = model.generate([ASK, ChatRequest.chat("Other.")])
    assert server.count == 2 and model.usage.calls == 2 and model.usage.cache_hits == 2
    assert [r.text for r in again] == [first[0].text, first[2].text] and all(
        r.cached for r in again
    )


def test_sampled_answers_are_cached_per_sample_index(server: FaultServer, cache: CallCache) -> None:
    model = _model(server, cache)
    hot = ChatRequest.chat("Tell a story.", temperature=1.0)
    model.generate([hot, ChatRequest.chat("Tell a story.", temperature=1.0, sample_index=1)])
    assert server.count == 2  # a second sample is a new call, never the first one replayed


def test_json_schema_falls_back_when_the_server_lacks_it(server: FaultServer) -> None:
    server.reject = {"json_schema", "json_object"}
    model = _model(server)
    schema = {"type": "object", "properties": {"value": {"type": "string"}}}
    [result] = model.generate([ChatRequest.chat("Name a value.", json_schema=schema)])
    assert model.routes["json"] == "prompt"
    assert json.loads(result.text) == {"value": "Honesty"} and result.meta["json_valid"]
    sent = server.received[-1][2]
    assert "response_format" not in sent and "JSON schema" in sent["messages"][-1]["content"]


def test_label_probs_from_chat_top_logprobs_and_completions_fallback(server: FaultServer) -> None:
    server.chat_logprobs = [
        {" Yes": np.log(0.5), "yes": np.log(0.1), "No": np.log(0.2), "Maybe": np.log(0.1)}
    ]
    model = _model(server)
    # raw: each label sums its case and leading-space variants.
    probs = model.label_probs([ChatRequest.chat("Is honesty a value?")], ["yes", "no"], protocol="raw")
    np.testing.assert_allclose(probs, [[0.6 / 0.8, 0.2 / 0.8]])
    assert model.routes["label_probs"] == "chat logprobs"
    # gpv: one token per label, matched exactly as written ("No" is not "no", so it counts 0).
    probs = model.label_probs([ChatRequest.chat("Is honesty a value?")], ["yes", "no"])
    np.testing.assert_allclose(probs, [[1.0, 0.0]])
    # A server whose chat endpoint gives no logprobs: the completions endpoint is used instead.
    server.chat_logprobs = None
    server.completion_logprobs = {" no": np.log(0.3), " yes": np.log(0.1)}
    probs = model.label_probs([ChatRequest.chat("Is power a value?")], ["yes", "no"], protocol="raw")
    np.testing.assert_allclose(probs, [[0.25, 0.75]])
    assert model.routes["label_probs"].startswith("completions")
    assert server.received[-1][0].endswith("/v1/completions")


def test_an_api_key_never_reaches_an_error_log_or_cache(
    server: FaultServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "sk-gpla-test-0123456789-SECRET"
    monkeypatch.setenv("GPLA_TEST_KEY", secret)
    cache = CallCache(tmp_path / "calls.sqlite")
    model = _model(server, cache, api_key_env="GPLA_TEST_KEY", max_attempts=2)
    server.script.extend(
        [("status", 503, {}), "echo_auth"]
    )  # one logged retry, then a key-quoting 401
    with caplog.at_level(logging.DEBUG), pytest.raises(ModelError) as err:
        model.generate([ASK])
    assert server.received[0][1]["authorization"] == f"Bearer {secret}"  # the key was really used
    model.generate([ChatRequest.chat("Cache me.")])
    assert len(cache) == 1
    assert secret not in str(err.value) and "***" in str(err.value)
    assert secret not in caplog.text
    for path in tmp_path.iterdir():
        assert secret.encode() not in path.read_bytes()


def test_the_cache_survives_a_process_restart(server: FaultServer, tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import json
        from gpla.models import ChatRequest, load_chat_model
        model = load_chat_model("openai:test-model@{server.url}")
        [r] = model.generate([ChatRequest.chat("Persist me.")])
        print(json.dumps({{"text": r.text, **model.usage.as_dict()}}))
        """
    )
    env = {**__import__("os").environ, "GPLA_CACHE_DIR": str(tmp_path)}
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0]["calls"] == 1 and runs[1]["calls"] == 0 and runs[1]["cache_hits"] == 1
    assert runs[0]["text"] == runs[1]["text"] and server.count == 1


def test_openai_embeddings_retry_and_normalise(server: FaultServer) -> None:
    server.script.append(("status", 429, {"Retry-After": "1"}))
    model = load_embedding_model(f"openai:emb@{server.url}")
    vectors = model.embed(["honesty", "care", "power"])
    assert vectors.shape == (3, 8) and server.count == 2
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
