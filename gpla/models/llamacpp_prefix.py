"""Shared-prefix label scoring on llama.cpp, with the numbers of the full-prompt evaluation (issue 8).

GPV's evaluator prompts of one perception differ only after ``Value: ``. The scorer keeps the shared
part in one KV sequence and scores each prompt's own tail (its *suffix*) on a copy of it (``seq_cp`` to
a scratch sequence, dropped afterwards), so a 40-value perception costs about one prompt plus 40 short
tails instead of 40 full prompts. The shared sequence also survives from group to group: the next
perception re-evaluates only what follows the task text it shares with the previous one.

Exactness: llama.cpp's CPU kernels are not batch-invariant; a token's numbers depend on how the prompt
was cut into decode calls and on where its cells sit in the KV cache (measured on the embedded Gemma 3
270M: up to 0.06 in probability). Evaluating a prompt in several decode calls reproduces the one-call
logits bit for bit when every call starts at a multiple of ``ALIGN`` tokens, holds at least
``MIN_DECODE`` tokens, and writes the cells right after the ones it reads (``prefix_scoring.py`` holds
the rule; 640 of 640 evaluator prompts bit-exact). So each member is cut at its own aligned point, the
members with the longest cut go first, and the shared sequence is shortened between them, never leaving
a gap of foreign cells before a suffix.

Cost: the output layer (262,144 logits) is skipped — the graph stops after the final norm and the label
logits come from the matching rows of the output matrix (``label_head.py``, ``llamacpp_tap.py``): equal
to llama.cpp's logits to ~1e-6, checked on a probe prompt when the scorer starts.

Why not llama-cpp-python's own prefix reuse (``Llama.eval`` keeps the longest common prefix): its
context holds one sequence and always computes the full output layer.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gpla.errors import ModelError
from gpla.models.label_head import LabelHead
from gpla.models.llamacpp_tap import HiddenStateTap
from gpla.models.prefix_scoring import ALIGN, MIN_DECODE, common_prefix_len, member_split

_SHARED, _SCRATCH = 0, 1  # sequence ids: the shared prefix, and the suffix being scored
PROBE = "[Probe] The label head must give llama.cpp's own logits.\nAnswer:\n"
PROBE_TOLERANCE = 1e-3  # logits; agreement is ~1e-6 when the head matches the graph


def _floor(n: int) -> int:
    return n - n % ALIGN


class PrefixScorer:
    """Label logits of prompt groups on a llama.cpp model, one shared prefix per group.

    Uses a context of its own on the already loaded weights (two sequences, one unified KV cache),
    configured like the backend's context so that the numbers are the backend's numbers.
    """

    def __init__(self, llm: Any, lock: threading.Lock, model_path: Path) -> None:
        from llama_cpp._internals import LlamaBatch

        self._llm = llm
        self._lock = lock
        self._n_vocab = llm.n_vocab()
        self.max_batch = int(llm.context_params.n_ubatch)
        self._batch = LlamaBatch(n_tokens=self.max_batch, embd=0, n_seq_max=1, verbose=False)
        self._shared: list[int] = []  # tokens whose KV cells sequence _SHARED holds, from position 0
        self._tap: HiddenStateTap | None = None
        self.route = "full output layer (no label head for this output type)"
        try:
            self._head = LabelHead.open(model_path)
        except ModelError as exc:  # the fast path is an optimisation: fall back, say why
            self._head, self.route = None, f"full output layer ({exc})"
        if self._head is not None:
            self._tap = HiddenStateTap(llm.n_embd())
            self._ctx = self._context(self._tap)
            mismatch = self._probe_mismatch()
            if mismatch <= PROBE_TOLERANCE:
                self.route = f"label rows of the output matrix ({self._head.weight_type})"
            else:
                self._tap = None
                why = (f"label head differed by {mismatch:.2g} on the probe" if np.isfinite(mismatch)
                       else "no final-norm hidden state from the graph")
                self.route = f"full output layer ({why})"
        if self._tap is None:
            self._ctx = self._context(None)
        # Tokens actually decoded vs the prompts' full lengths (benchmarks report both).
        self.evaluated_tokens = 0
        self.prompt_tokens = 0

    def _context(self, tap: HiddenStateTap | None) -> Any:
        import llama_cpp
        from llama_cpp._internals import LlamaContext
        from llama_cpp._utils import suppress_stdout_stderr

        params = llama_cpp.llama_context_params.from_buffer_copy(self._llm.context_params)
        params.n_seq_max = 2
        params.kv_unified = True  # the scratch sequence shares the prefix's cells instead of copying
        if tap is not None:
            params.cb_eval = tap.callback
        try:
            with suppress_stdout_stderr(disable=False):  # llama.cpp logs to stderr regardless
                return LlamaContext(model=self._llm._model, params=params, verbose=False)
        except Exception as exc:
            raise ModelError(f"cannot create a llama.cpp context for prefix scoring: {exc}") from exc

    def _probe_mismatch(self) -> float:
        """Largest difference between the label head and llama.cpp's output layer on one prompt."""
        tokens = self._llm.tokenize(PROBE.encode(), add_bos=True, special=False)
        with self._lock:
            self._llm.reset()
            self._llm.eval(tokens)
            full = np.ctypeslib.as_array(self._llm._ctx.get_logits_ith(-1), shape=(self._n_vocab,))
            ids = [int(t) for t in np.argsort(full)[-16:]]  # the likeliest tokens, and the rest below
            ids += [int(t) for t in np.argsort(full)[:4]]
            reference = full[ids].astype(np.float64)
            self._llm.reset()
            try:
                self._decode(tokens, 0, _SCRATCH)
                mine = self._read(ids)
            except ModelError:  # e.g. a graph without a result_norm node
                return float("inf")
            finally:
                self._clear()
        return float(np.abs(mine - reference).max())

    # -- scoring ---------------------------------------------------------------------------------

    def label_logits(
        self, prompts: Sequence[Sequence[int]], token_ids: Sequence[int]
    ) -> np.ndarray:
        """Logits of ``token_ids`` after each prompt, shape (len(prompts), len(token_ids)); the
        prompts must share a prefix long enough for an exact split (``prefix_scoring.split_point``)."""
        shared = min(common_prefix_len(prompts[0], p) for p in prompts)
        cuts = [member_split(shared, len(p)) for p in prompts]
        if min(cuts) <= 0 or max(len(p) for p in prompts) > self.max_batch:
            raise ModelError("prefix scoring: the prompts share no prefix that splits exactly")
        out = np.empty((len(prompts), len(token_ids)))
        order = sorted(range(len(prompts)), key=lambda i: -cuts[i])
        with self._lock:
            try:
                self._extend_shared(list(prompts[order[0]][: cuts[order[0]]]))
                for i in order:
                    self._truncate_shared(cuts[i])
                    self._lib().llama_memory_seq_cp(self._ctx.memory, _SHARED, _SCRATCH, -1, -1)
                    self._decode(prompts[i][cuts[i] :], cuts[i], _SCRATCH)
                    out[i] = self._read(token_ids)
                    self._lib().llama_memory_seq_rm(self._ctx.memory, _SCRATCH, -1, -1)
                    self.evaluated_tokens += len(prompts[i]) - cuts[i]
            except BaseException:
                self._clear()
                raise
        self.prompt_tokens += sum(len(p) for p in prompts)
        return out

    def _extend_shared(self, target: list[int]) -> None:
        """Make sequence _SHARED hold ``target`` (a multiple of ALIGN tokens), re-evaluating only
        from the last aligned token it already shares, in a call of at least MIN_DECODE tokens."""
        keep = _floor(min(common_prefix_len(self._shared, target), len(target)))
        if 0 < len(target) - keep < MIN_DECODE:
            keep = max(0, _floor(len(target) - MIN_DECODE))
        self._truncate_shared(keep)
        if len(target) > keep:
            self._decode(target[keep:], keep, _SHARED)
            self.evaluated_tokens += len(target) - keep
            self._shared = target

    def _truncate_shared(self, n: int) -> None:
        if len(self._shared) <= n:
            return
        if not self._lib().llama_memory_seq_rm(self._ctx.memory, _SHARED, n, -1):
            raise ModelError("prefix scoring: llama.cpp refused to shorten the shared sequence")
        self._shared = self._shared[:n]

    def _clear(self) -> None:
        self._lib().llama_memory_clear(self._ctx.memory, True)
        self._shared = []

    def _decode(self, tokens: Sequence[int], start: int, seq: int) -> None:
        b = self._batch.batch
        if len(tokens) > self.max_batch:
            raise ModelError(f"prefix scoring: {len(tokens)} tokens exceed one decode batch")
        for j, tok in enumerate(tokens):
            b.token[j] = tok
            b.pos[j] = start + j
            b.n_seq_id[j] = 1
            b.seq_id[j][0] = seq
            b.logits[j] = j == len(tokens) - 1 and seq == _SCRATCH
        b.n_tokens = len(tokens)
        if self._tap is not None:
            self._tap.reset()
        self._ctx.decode(self._batch)

    def _read(self, token_ids: Sequence[int]) -> np.ndarray:
        """Logits of ``token_ids`` at the last decoded position."""
        if self._tap is not None and self._head is not None:
            return self._head.logits(self._tap.hidden()[-1:], token_ids)[0]
        ptr = self._lib().llama_get_logits_ith(self._ctx.ctx, -1)
        row = np.ctypeslib.as_array(
            ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(self._n_vocab,)
        )
        return row[list(token_ids)].astype(np.float64)

    @staticmethod
    def _lib() -> Any:
        import llama_cpp

        return llama_cpp
