"""Fake models for testing pure plumbing only (batching, bookkeeping, resumption) — never for behaviour
that depends on what a real model says. Named Fake* on purpose."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from gpla.models.base import ChatRequest, ChatResult


class FakeChatModel:
    """Answers with ``reply(request)`` and ``probs(request, labels)``; counts calls."""

    def __init__(
        self,
        reply: Callable[[ChatRequest], str] = lambda r: "{}",
        probs: Callable[[ChatRequest, Sequence[str]], Sequence[float]] | None = None,
        name: str = "fake",
    ) -> None:
        self.name = name
        self._reply = reply
        self._probs = probs
        self.calls = 0
        self.requests: list[ChatRequest] = []
        self.protocols: list[str] = []  # the label protocol of every label_probs call

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        self.calls += len(requests)
        self.requests.extend(requests)
        return [ChatResult(text=self._reply(r), prompt_tokens=1, completion_tokens=1) for r in requests]

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: str = "gpv"
    ) -> np.ndarray:
        self.protocols.append(protocol)
        self.calls += len(prompts)
        self.requests.extend(prompts)
        if self._probs is None:
            return np.full((len(prompts), len(labels)), 1.0 / len(labels))
        rows = np.array([self._probs(p, labels) for p in prompts], dtype=float)
        return rows / rows.sum(axis=1, keepdims=True)
