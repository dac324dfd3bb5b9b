"""The shared wrapper's bookkeeping with a Fake backend (plumbing only: no model behaviour here)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from gpla.errors import ConfigError, ModelError
from gpla.models import ChatRequest, ChatResult, total_usage
from gpla.models.backend import Backend, LabelProbs, Outcome
from gpla.models.cache import CallCache
from gpla.models.ratelimit import RateLimiter
from gpla.models.wrapper import CachedModel


class FakeBackend(Backend):
    """Echoes prompts; fails every request whose text contains a word from ``fail_on``."""

    kind = "fake"

    def __init__(self, fail_on: tuple[str, ...] = (), transient: bool = True) -> None:
        super().__init__()
        self.model = "echo"
        self.fail_on = fail_on
        self.transient = transient
        self.sent: list[str] = []

    def generate(self, requests: Sequence[ChatRequest]) -> list[Outcome[ChatResult]]:
        out: list[Outcome[ChatResult]] = []
        for r in requests:
            self.sent.append(r.prompt_text)
            bad = any(w in r.prompt_text for w in self.fail_on)
            out.append(RuntimeError("flaky") if bad else ChatResult(r.prompt_text.upper(), 2, 1))
        return out

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: str = "gpv"
    ) -> list[Outcome[LabelProbs]]:
        if len(labels) < 2:
            raise ConfigError("need two labels")
        return [LabelProbs(np.full(len(labels), 1 / len(labels))) for _ in prompts]

    def should_retry(self, exc: BaseException) -> bool:
        return self.transient


def test_results_in_order_duplicates_asked_once_and_usage_totals(tmp_path: Path) -> None:
    before = total_usage()
    backend = FakeBackend()
    model = CachedModel(backend, cache=CallCache(tmp_path / "c.sqlite"), batch_size=2)
    texts = ["b", "a", "b", "c", "a"]
    results = model.generate([ChatRequest.completion(t) for t in texts])
    assert [r.text for r in results] == ["B", "A", "B", "C", "A"]
    assert sorted(backend.sent) == ["a", "b", "c"]
    assert (
        model.usage.calls == 3
        and model.usage.prompt_tokens == 6
        and model.usage.completion_tokens == 3
    )
    after = total_usage()
    assert after.calls - before.calls == 3 and after.prompt_tokens - before.prompt_tokens == 6


def test_work_done_before_a_failure_is_kept(tmp_path: Path) -> None:
    cache = CallCache(tmp_path / "c.sqlite")
    backend = FakeBackend(fail_on=("boom",), transient=False)
    model = CachedModel(backend, cache=cache, batch_size=2)
    requests = [ChatRequest.completion(t) for t in ["one", "two", "three boom", "four"]]
    with pytest.raises(ModelError, match="flaky"):
        model.generate(requests)
    assert len(cache) == 3  # every success is stored, also the failing item's chunk-mate "four"
    backend.fail_on = ()
    model.generate(requests)
    assert backend.sent.count("one") == 1 and backend.sent.count("four") == 1 and len(cache) == 4


def test_transient_failures_give_up_after_max_attempts() -> None:
    backend = FakeBackend(fail_on=("boom",))
    model = CachedModel(backend, max_attempts=4)
    with pytest.raises(
        ModelError, match=r"fake:echo: generate failed after 4 attempts: RuntimeError: flaky"
    ):
        model.generate([ChatRequest.completion("ok"), ChatRequest.completion("boom")])
    assert backend.sent == ["ok", "boom", "boom", "boom", "boom"]
    assert model.usage.retries == 3


def test_caller_errors_pass_through_unchanged() -> None:
    model = CachedModel(FakeBackend())
    with pytest.raises(ConfigError, match="need two labels"):
        model.label_probs([ChatRequest.completion("x")], ["yes"])
    probs = model.label_probs(
        [ChatRequest.completion("x"), ChatRequest.completion("y")], ["a", "b", "c"]
    )
    np.testing.assert_allclose(probs, 1 / 3)


def test_rate_limiter_books_evenly_spaced_slots() -> None:
    limiter = RateLimiter(4.0)
    waits = [limiter._reserve() for _ in range(4)]
    # Booked back to back: each slot is a quarter second after the previous one.
    np.testing.assert_allclose(np.diff(waits), 0.25, atol=0.02)
    assert RateLimiter(None).interval == 0.0
