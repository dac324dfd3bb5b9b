"""Multi-task models driven by the task templates in their own config (Kaleido style).

Agents use this protocol, never a backend: ``task_model`` turns a model spec or a loaded chat model
into one when the model layer can (today: a local ``hf:`` seq2seq checkpoint, ``hf_seq2seq.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class BeamLike(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def score(self) -> float: ...


@runtime_checkable
class TaskModel(Protocol):
    name: str
    task_params: dict[str, Any]
    """``{task: {"template": str, "args": [placeholder, ...]}}`` from the model's config."""
    system_params: dict[str, Any]
    """Settings the model ships for the system built on it (thresholds), possibly empty."""

    def template(self, task: str) -> tuple[str, list[str]]: ...

    def beams(
        self,
        inputs: Sequence[str],
        n: int,
        *,
        max_new_tokens: int = ...,
        max_input_tokens: int = ...,
        batch_size: int = ...,
    ) -> Sequence[Sequence[BeamLike]]:
        """Per input, the ``n`` sequences of an ``n``-beam search, best first."""
        ...

    def label_probs(
        self,
        inputs: Sequence[str],
        words: Sequence[str],
        *,
        max_input_tokens: int = ...,
        batch_size: int = ...,
    ) -> np.ndarray:
        """Per input, the renormalised probability of each label word's first token."""
        ...


def task_model(model: Any, required: Sequence[str] = ()) -> TaskModel | None:
    """``model`` as a task model whose config names every task in ``required``, or None."""
    spec = model if isinstance(model, str) else None
    backend = getattr(model, "backend", model)
    if (spec or "").startswith("hf:") or getattr(backend, "kind", None) == "hf":
        from gpla.models.hf_seq2seq import seq2seq_tasks

        return seq2seq_tasks(model, required)
    return None
