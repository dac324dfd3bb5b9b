"""Planning shared-prefix scoring (issue 8): which prompts share a prefix, and where to cut them.

GPV's evaluator prompts of one perception differ only after ``Value: ``; the tokens they share are
evaluated once per group and each prompt's own tail (the *suffix*) separately
(``llamacpp_prefix.py``, ``hf_prefix.py``).

llama.cpp's split rule: its CPU kernels are not batch-invariant (on the embedded Gemma 3 270M a
token's logits depend on its row in the decode batch; batching many suffixes together moved label
probabilities by up to 0.06). Evaluating a prompt in several decode calls reproduces the one-call
logits bit for bit when every call starts at a multiple of ``ALIGN`` tokens, holds at least
``MIN_DECODE`` tokens and writes its KV cells right after the cells it attends to (0.0 difference over
every such split we tried; shorter calls, unaligned starts or a gap of foreign cells drift by up to
0.06). ``split_point`` and ``member_split`` cut by that rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

ALIGN = 4
MIN_DECODE = 8  # tokens in every decode call, the suffix included
MIN_SUFFIX = MIN_DECODE
MIN_SHARED = 16  # a shorter shared prefix saves less than the extra decode call costs
# Fixed cost of one llama.cpp decode call in prompt tokens (graph and scheduling ≈ 7 ms vs ≈ 4 ms per
# token here; the output layer, ≈ 12 ms, is skipped by the label head); it decides when a group pays off.
CALL_COST = 4


@dataclass(frozen=True)
class PrefixGroup:
    """Prompts (indices into the batch) scored on one shared prefix of ``prefix_len`` tokens (0:
    evaluate alone). llama.cpp's scorer cuts each member at its own point, never before this one."""

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


def member_split(shared: int, length: int) -> int:
    """Where one prompt of a group is cut: the longest aligned prefix within the ``shared`` tokens
    that leaves it at least ``MIN_SUFFIX`` tokens (at least the group's ``split_point``)."""
    cut = min(shared, length - MIN_SUFFIX)
    return max(0, cut - cut % ALIGN)


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
