"""The one protocol every agent depends on, and the request/result types it speaks.

Backends (openai_compat, hf, llamacpp) implement ``ChatModel``; callers never import a vendor SDK.
Caching, retries, rate limits and usage counting wrap a backend once (see ``wrapper.py``) instead of
being copied into each backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class ChatRequest:
    """One generation request.

    ``raw=True`` sends ``messages`` as a plain completion prompt (the contents concatenated, no chat
    template): GPV's ValueLlama prompts and few-shot prompts for base models are written that way.
    """

    messages: tuple[Message, ...]
    temperature: float = 0.0
    max_tokens: int = 256
    json_schema: dict[str, Any] | None = None
    """When set, the backend constrains or asks for JSON matching this schema."""
    stop: tuple[str, ...] = ()
    raw: bool = False
    sample_index: int = 0
    """Distinguishes repeated samples of the same request at temperature > 0 (part of the cache key)."""

    @classmethod
    def chat(cls, user: str, system: str | None = None, **options: Any) -> ChatRequest:
        msgs = ((Message("system", system),) if system else ()) + (Message("user", user),)
        return cls(messages=msgs, **options)

    @classmethod
    def completion(cls, prompt: str, **options: Any) -> ChatRequest:
        return cls(messages=(Message("user", prompt),), raw=True, **options)

    @property
    def prompt_text(self) -> str:
        """The raw prompt (for ``raw`` requests): the message contents joined."""
        return "".join(m.content for m in self.messages)


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    cached: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class ChatModel(Protocol):
    """A chat/completion model. Both methods take a batch and return results in the same order."""

    name: str

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]: ...

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: str = "gpv"
    ) -> np.ndarray:
        """Per prompt, the renormalised probability of each label, shape (n, len(labels)).

        ``protocol="gpv"`` (default) reproduces GPV's ValueLlama code: one token per label, the
        model's generation-config processors applied first, so a row is NaN when they cut every
        label; ``"raw"``: raw logits, each label summed over case and leading-space variants
        (``gpla/models/labels.py``). Rows that are not NaN sum to 1.
        """
        ...


@runtime_checkable
class EmbeddingModel(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings, shape (len(texts), dim)."""
        ...
