"""What a backend implements. The wrapper (``wrapper.py``) turns a backend into a ``ChatModel``.

A backend answers a batch with one *outcome* per item — a result or the exception that item raised —
so that the wrapper can cache every success at once and retry only the failed items (one bad HTTP
request must not cost the other 99 of its batch a second call).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias, TypeVar

import numpy as np

from gpla.models.base import ChatRequest, ChatResult
from gpla.models.labels import LabelProtocol, probs_from_logits
from gpla.models.ratelimit import RateLimiter

T = TypeVar("T")
Outcome: TypeAlias = T | BaseException


@dataclass
class LabelProbs:
    """One prompt's label probabilities, with the tokens the call cost."""

    probs: np.ndarray
    prompt_tokens: int = 0
    completion_tokens: int = 0


def store_label_probs(
    outcomes: list[Outcome[LabelProbs]],
    members: Sequence[int],
    lengths: Sequence[int],
    token_ids: Sequence[Sequence[int]],
    logits: Callable[[], np.ndarray],
) -> None:
    """Label probabilities of prompts ``members`` from ``logits()`` (one row each, columns indexed by
    ``token_ids``) into ``outcomes``; if it raises, each member gets the error, the batch goes on."""
    try:
        rows = logits()
        for i, row in zip(members, rows, strict=True):
            outcomes[i] = LabelProbs(probs_from_logits(row, token_ids), prompt_tokens=lengths[i])
    except Exception as exc:
        for i in members:
            outcomes[i] = exc


class Backend(ABC):
    """One model behind one API. Subclasses set ``kind`` and ``model`` and implement two methods."""

    kind: ClassVar[str]
    model: str
    base_url: str | None = None

    # Which way structured output and label probabilities are obtained ("grammar", "json_schema",
    # "completions-logprobs", ...): filled in as the backend learns what the server supports, and
    # shown by ``gpla models check``.
    routes: dict[str, str]

    limiter: RateLimiter
    """Set by the wrapper; backends call ``limiter.wait()`` before each request they send."""

    def __init__(self) -> None:
        self.routes = {}
        self.limiter = RateLimiter(None)

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.model}"

    @property
    def endpoint(self) -> str:
        """Where calls go, for error messages (never contains a secret)."""
        return self.base_url or self.name

    def identity(self) -> dict[str, Any]:
        """Every setting that changes what the model answers (part of the cache key).

        Timeouts, concurrency and credentials must stay out: they do not change answers.
        """
        return {"kind": self.kind, "model": self.model, "base_url": self.base_url}

    @abstractmethod
    def generate(self, requests: Sequence[ChatRequest]) -> list[Outcome[ChatResult]]: ...

    @abstractmethod
    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: LabelProtocol = "gpv"
    ) -> list[Outcome[LabelProbs]]:
        """One row of len(labels) renormalised probabilities per prompt (see ``ChatModel`` and
        ``labels.py`` for the protocols)."""

    def should_retry(self, exc: BaseException) -> bool:
        """Whether ``exc`` is transient (rate limit, 5xx, timeout, dropped connection)."""
        return False

    def retry_after(self, exc: BaseException) -> float | None:
        """Seconds the server asked us to wait (``Retry-After``), if it said so."""
        return None

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in an error message or log (API keys)."""
        return ()

    def close(self) -> None:
        """Release connections; local models stay loaded for the process."""
        return None
