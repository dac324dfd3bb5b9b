"""Shared-prefix next-token scoring for llama.cpp (issue 8).

GPV's evaluator prompts of one perception differ only after ``Value: ``; the tokens they share are
evaluated once per group and each prompt's own tail (the *suffix*) is evaluated on a copy of that
KV cache (``seq_cp`` to a scratch sequence, then dropped), so a 40-value perception costs about one
prompt plus 40 short tails instead of 40 full prompts.

Why one decode per suffix rather than all suffixes in one batch: llama.cpp's CPU kernels are not
batch-invariant. Measured on the embedded Gemma 3 270M, a token's logits depend on its row in the
decode batch: batching many suffixes together moved label probabilities by up to 0.03 against the
full-prompt evaluation. Splitting a prompt into [prefix][suffix] decodes reproduces the full-prompt
logits bit for bit when the prefix is a multiple of ``ALIGN`` tokens and the suffix has at least
``MIN_SUFFIX`` tokens (0.0 difference over every such split we tried; shorter suffixes or unaligned
prefixes drift by up to 0.03). ``plan_groups`` picks split points by that rule, so the fast path
returns the naive numbers while skipping most of the work.

Why not llama-cpp-python's own prefix reuse (``Llama.eval`` keeps the longest common prefix): its
context holds one sequence, and rewinding Gemma's sliding-window cache by ``seq_rm`` may be refused.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpla.errors import ModelError

ALIGN = 4
MIN_SUFFIX = 8
MIN_SHARED = 16  # a shorter shared prefix saves less than the extra decode call costs
CALL_COST = (
    4  # fixed cost of one decode call (output layer, graph), in prompt tokens; measured roughly
)
_SHARED, _SCRATCH = 0, 1  # sequence ids: the group's prefix, and the suffix being scored


@dataclass(frozen=True)
class PrefixGroup:
    """Prompts (indices into the batch) scored on one shared prefix of ``prefix_len`` tokens."""

    prefix_len: int
    members: tuple[int, ...]


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def split_point(shared: int, lengths: Sequence[int], max_batch: int) -> int:
    """The prefix length to evaluate once: within the shared tokens, a multiple of ``ALIGN``,
    leaving every member at least ``MIN_SUFFIX`` tokens; 0 when no exact split exists (a prompt
    longer than one decode batch is split by llama.cpp itself, which the rule does not cover)."""
    if max(lengths) > max_batch:
        return 0
    cut = min(shared, min(lengths) - MIN_SUFFIX)
    cut -= cut % ALIGN
    return cut if cut >= MIN_SHARED else 0


SplitCost = Callable[[int, int, int, int, int], "tuple[float, int] | None"]
"""``(shared, shortest, longest, total_len, size) -> (cost, prefix_len)`` of scoring ``size`` prompts on
one shared prefix, or None when the backend cannot split them."""


def plan_prefix_groups(
    tokens: Sequence[Sequence[int]],
    split_cost: SplitCost,
    call_cost: float,
    max_group: int = 256,
) -> list[PrefixGroup]:
    """Partition prompts into groups that share a prefix, minimising tokens evaluated plus
    ``call_cost`` per call (``split_cost`` prices a split group); a prompt best evaluated whole
    forms a group of its own with ``prefix_len`` 0.

    In token order the prompts of a group are contiguous, so an exact dynamic programme over split
    positions (groups of at most ``max_group``) finds the cheapest partition in O(n·max_group): a
    greedy pass cannot tell a lone prompt that merely shares the task text from the first of forty
    prompts sharing a whole sentence.
    """
    order = sorted(range(len(tokens)), key=lambda i: list(tokens[i]))
    lens = [len(tokens[i]) for i in order]
    adjacent = [0] + [
        common_prefix_len(tokens[order[k - 1]], tokens[order[k]]) for k in range(1, len(order))
    ]
    n = len(order)
    best = [0.0] + [np.inf] * n
    choice = [(0, 0)] * (n + 1)  # (start of the last group, its prefix length)
    for end in range(1, n + 1):
        shared, lo, hi, total = lens[end - 1], lens[end - 1], lens[end - 1], 0
        for start in range(end - 1, max(0, end - max_group) - 1, -1):
            if start < end - 1:
                shared = min(shared, adjacent[start + 1])
            lo, hi, total = min(lo, lens[start]), max(hi, lens[start]), total + lens[start]
            size = end - start
            split = split_cost(shared, lo, hi, total, size) if size > 1 else None
            cost, cut = split if split else (total + call_cost * size, 0)
            if best[start] + cost < best[end]:
                best[end], choice[end] = best[start] + cost, (start, cut)
    groups: list[PrefixGroup] = []
    end = n
    while end > 0:
        start, cut = choice[end]
        members = tuple(order[start:end])
        groups.extend(
            [PrefixGroup(cut, members)] if cut else [PrefixGroup(0, (i,)) for i in members]
        )
        end = start
    return groups[::-1]


def plan_groups(
    tokens: Sequence[Sequence[int]], max_batch: int = 512, max_group: int = 256
) -> list[PrefixGroup]:
    """llama.cpp's plan: the tokens evaluated plus ``CALL_COST`` per decode call, with split points
    that follow the exactness rule of ``split_point``."""

    def cost(shared: int, lo: int, hi: int, total: int, size: int) -> tuple[float, int] | None:
        cut = split_point(shared, [lo, hi], max_batch)
        return (cut + (total - size * cut) + CALL_COST * (size + 1), cut) if cut else None

    return plan_prefix_groups(tokens, cost, CALL_COST, max_group)


class PrefixScorer:
    """Next-token logits of prompt groups on a llama.cpp model, one shared prefix per group.

    Uses a context of its own on the already loaded weights (two sequences, one unified KV cache),
    configured like the backend's context so that the numbers are the backend's numbers.
    """

    def __init__(self, llm: Any, lock: threading.Lock) -> None:
        import llama_cpp
        from llama_cpp._internals import LlamaBatch, LlamaContext

        params = llama_cpp.llama_context_params.from_buffer_copy(llm.context_params)
        params.n_seq_max = 2
        params.kv_unified = (
            True  # the scratch sequence shares the prefix's cells instead of copying
        )
        from llama_cpp._utils import suppress_stdout_stderr

        try:
            with suppress_stdout_stderr(disable=False):  # llama.cpp logs to stderr regardless
                self._ctx = LlamaContext(model=llm._model, params=params, verbose=False)
        except Exception as exc:
            raise ModelError(
                f"cannot create a llama.cpp context for prefix scoring: {exc}"
            ) from exc
        self._lib = llama_cpp
        self._n_vocab = llm.n_vocab()
        self.max_batch = int(params.n_ubatch)
        self._batch = LlamaBatch(
            n_tokens=max(self.max_batch, 1), embd=0, n_seq_max=1, verbose=False
        )
        self._lock = lock
        # Tokens actually decoded vs the prompts' full lengths (benchmarks report both).
        self.evaluated_tokens = 0
        self.prompt_tokens = 0

    def logits(self, prompts: Sequence[Sequence[int]], prefix_len: int) -> np.ndarray:
        """Next-token logits after each prompt, shape (len(prompts), n_vocab); the first
        ``prefix_len`` tokens must be the same in every prompt."""
        head = list(prompts[0][:prefix_len])
        if any(list(p[:prefix_len]) != head or len(p) <= prefix_len for p in prompts):
            raise ModelError("prefix scoring: prompts do not share the given prefix")
        out = np.empty((len(prompts), self._n_vocab), dtype=np.float32)
        mem = self._ctx.memory
        with self._lock:
            self._lib.llama_memory_clear(mem, True)
            try:
                self._decode(head, 0, _SHARED)
                self.prompt_tokens += sum(len(p) for p in prompts)
                self.evaluated_tokens += len(head) + sum(len(p) - prefix_len for p in prompts)
                for row, prompt in enumerate(prompts):
                    self._lib.llama_memory_seq_cp(mem, _SHARED, _SCRATCH, -1, -1)
                    self._decode(prompt[prefix_len:], prefix_len, _SCRATCH)
                    out[row] = self._last_logits()
                    self._lib.llama_memory_seq_rm(mem, _SCRATCH, -1, -1)
            finally:
                self._lib.llama_memory_clear(mem, True)
        return out

    def _decode(self, tokens: Sequence[int], start: int, seq: int) -> None:
        b = self._batch.batch
        if len(tokens) > self.max_batch:
            raise ModelError(f"prefix scoring: {len(tokens)} tokens exceed one decode batch")
        for j, tok in enumerate(tokens):
            b.token[j] = tok
            b.pos[j] = start + j
            b.n_seq_id[j] = 1
            b.seq_id[j][0] = seq
            b.logits[j] = j == len(tokens) - 1
        b.n_tokens = len(tokens)
        self._ctx.decode(self._batch)

    def _last_logits(self) -> np.ndarray:
        ptr = self._lib.llama_get_logits_ith(self._ctx.ctx, -1)
        return np.ctypeslib.as_array(
            ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(self._n_vocab,)
        )
