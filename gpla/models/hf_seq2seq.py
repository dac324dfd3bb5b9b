"""A local seq2seq checkpoint used through the task templates its config names (Kaleido style).

Value Kaleidoscope's checkpoints keep their input templates in ``config.task_specific_params``
(``{task: {"template": ..., "args": [...]}}``) and their system thresholds in ``config.system_params``;
KaleidoSys (tsor13/kaleido, ``KaleidoSys.py``) reads both from there, and so do we: the strings belong
to the checkpoint, not to this package. This module does what that code asks of the model:

- ``beams``: ``generate(num_beams=n, num_return_sequences=n, max_new_tokens=30)`` on inputs truncated
  to 128 tokens, decoded without special tokens and stripped (``get_gens``);
- ``label_probs``: KaleidoSys's relevance/valence head (``get_probs``) — a forward pass with the dummy
  labels ``[0, 0]``, so the decoder reads ``[decoder_start, 0]``; the last position's logits, softmaxed
  over the vocabulary, at one token id per label word (the word's first token), renormalised.

KaleidoSys passes only ``input_ids`` to that forward pass, so a padded prompt there also attends to its
padding and its numbers depend on the batch it shares; we pass the attention mask, which gives
KaleidoSys's numbers for every prompt that is the longest of its batch (a lone prompt included).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpla.errors import ConfigError, ModelError

MAX_INPUT_TOKENS = 128  # KaleidoSys: truncation=True, max_length=128 for every task
MAX_NEW_TOKENS = 30  # KaleidoSys.get_gens


@dataclass(frozen=True)
class Beam:
    """One returned sequence: its text and beam score (length-normalised log-probability)."""

    text: str
    score: float


class Seq2SeqTasks:
    """``hf:NAME`` as a task model: ``task_params``/``system_params`` from its config, ``beams``, and
    ``label_probs``. Shares the process-wide loaded model with ``HFBackend``."""

    def __init__(self, model: str, device: str = "cpu", dtype: str = "float32") -> None:
        from gpla.models.hf import _load

        self.model = model
        self.name = f"hf:{model}"
        self.device = device
        self._tok, self._lm, self._lock = _load(model, device, dtype)
        if not self._lm.config.is_encoder_decoder:
            raise ConfigError(f"{self.name} is not a seq2seq (encoder-decoder) model")
        self.task_params: dict[str, Any] = dict(
            getattr(self._lm.config, "task_specific_params", None) or {}
        )
        self.system_params: dict[str, Any] = dict(getattr(self._lm.config, "system_params", None) or {})

    def identity(self) -> dict[str, Any]:
        return {"kind": "hf-seq2seq-tasks", "model": self.model}

    def template(self, task: str) -> tuple[str, list[str]]:
        """The task's template and the placeholder names it substitutes, in order."""
        spec = self.task_params.get(task)
        if not isinstance(spec, Mapping) or not isinstance(spec.get("template"), str):
            raise ConfigError(
                f"{self.name}: config.task_specific_params has no template for task {task!r} "
                f"(tasks: {', '.join(map(str, self.task_params)) or 'none'})"
            )
        args = spec.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ConfigError(f"{self.name}: task {task!r} args must be a list of strings, got {args!r}")
        return spec["template"], list(args)

    def _encode(self, inputs: Sequence[str], max_input_tokens: int) -> dict[str, Any]:
        enc = self._tok(
            list(inputs),
            padding=True,
            truncation=True,
            max_length=max_input_tokens,
            return_tensors="pt",
        )
        return {k: enc[k].to(self.device) for k in ("input_ids", "attention_mask")}

    def beams(
        self,
        inputs: Sequence[str],
        n: int,
        *,
        max_new_tokens: int = MAX_NEW_TOKENS,
        max_input_tokens: int = MAX_INPUT_TOKENS,
        batch_size: int = 1,
    ) -> list[list[Beam]]:
        """Per input, the ``n`` sequences of an ``n``-beam search, best first."""
        import torch

        if n < 1:
            raise ConfigError(f"beams: n must be positive, got {n}")
        out: list[list[Beam]] = []
        for start in range(0, len(inputs), max(1, batch_size)):
            batch = inputs[start : start + max(1, batch_size)]
            enc = self._encode(batch, max_input_tokens)
            try:
                with self._lock, torch.no_grad():
                    gen = self._lm.generate(
                        **enc,
                        num_beams=n,
                        num_return_sequences=n,
                        max_new_tokens=max_new_tokens,
                        output_scores=True,
                        return_dict_in_generate=True,
                    )
            except Exception as exc:
                raise ModelError(f"{self.name}: beam search failed: {exc}") from exc
            texts = self._tok.batch_decode(gen.sequences, skip_special_tokens=True)
            scores = gen.sequences_scores.float().cpu().numpy()
            for j in range(len(batch)):
                rows = range(j * n, (j + 1) * n)
                out.append([Beam(texts[r].strip(), float(scores[r])) for r in rows])
        return out

    def label_ids(self, words: Sequence[str]) -> list[int]:
        """One id per word: its first token (KaleidoSys: ``tokenizer(word).input_ids[0]``, which for
        T5 — no BOS — is the first token; special tokens are left out so a BOS/CLS tokenizer agrees)."""
        ids = []
        for word in words:
            toks = self._tok(word, add_special_tokens=False)["input_ids"]
            if not toks:
                raise ConfigError(f"{self.name}: label {word!r} has no token")
            ids.append(int(toks[0]))
        if len(set(ids)) < len(ids):
            raise ConfigError(f"{self.name}: labels {list(words)} share a first token")
        return ids

    def label_probs(
        self,
        inputs: Sequence[str],
        words: Sequence[str],
        *,
        max_input_tokens: int = MAX_INPUT_TOKENS,
        batch_size: int = 8,
    ) -> np.ndarray:
        """Per input, the renormalised probabilities of ``words`` (KaleidoSys ``get_probs_template``)."""
        import torch

        ids = self.label_ids(words)
        rows: list[np.ndarray] = []
        for start in range(0, len(inputs), max(1, batch_size)):
            enc = self._encode(inputs[start : start + max(1, batch_size)], max_input_tokens)
            dummy = torch.zeros((enc["input_ids"].shape[0], 2), dtype=torch.long, device=self.device)
            try:
                with self._lock, torch.no_grad():
                    decoder_ids = self._lm.prepare_decoder_input_ids_from_labels(labels=dummy)
                    logits = self._lm(**enc, decoder_input_ids=decoder_ids).logits[:, -1, :]
            except Exception as exc:
                raise ModelError(f"{self.name}: scoring failed: {exc}") from exc
            probs = torch.softmax(logits.float(), dim=-1)[:, ids].cpu().numpy().astype(np.float64)
            rows.append(probs / probs.sum(axis=1, keepdims=True))
        return np.concatenate(rows) if rows else np.zeros((0, len(words)))


_tasks: dict[tuple[str, str, str], Seq2SeqTasks] = {}
_tasks_lock = threading.Lock()


def seq2seq_tasks(model: Any, required: Sequence[str] = ()) -> Seq2SeqTasks | None:
    """``model`` (an ``hf:`` spec, a loaded ``hf:`` chat model or its backend) as a task model when it
    is a seq2seq checkpoint whose config names every task in ``required``; None otherwise."""
    from gpla.models.hf import _load, resolve_dtype

    if isinstance(model, str):
        if not model.strip().startswith("hf:"):
            return None
        from gpla.models.registry import parse_spec

        spec = parse_spec(model)
        options = dict(spec.options)
        name, device = spec.model, options.get("device", "cpu")
        dtype = resolve_dtype(options.get("dtype", "auto"), device)
    else:
        backend = getattr(model, "backend", model)
        if getattr(backend, "kind", None) != "hf" or not getattr(backend, "seq2seq", False):
            return None
        # The chat backend's own weights (same dtype), not a second copy of the checkpoint.
        name, device, dtype = backend.model, backend.device, backend.dtype
    key = (name, device, dtype)
    with _tasks_lock:
        if key not in _tasks:
            if not _load(name, device, dtype)[1].config.is_encoder_decoder:
                return None
            _tasks[key] = Seq2SeqTasks(name, device, dtype)
    tasks = _tasks[key]
    return tasks if all(t in tasks.task_params for t in required) else None
