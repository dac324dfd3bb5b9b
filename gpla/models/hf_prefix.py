"""Shared-prefix next-token scoring for transformers causal LMs (issue 8).

GPV's evaluator prompts of one perception differ only after ``Value: ``. Here the shared tokens of a
group run through the model once; the KV cache (``past_key_values``) is then repeated over a batch
of the members' own tails (*suffixes*), right-padded, with an attention mask covering prefix and
suffix and positions that continue after the prefix. Each member's logits are read at its last real
token, so a 40-value perception costs about one prompt plus 40 short tails instead of 40 prompts.

Unlike llama.cpp (see ``prefix_scoring.py``), torch's CPU kernels agree with the full-prompt pass up
to float rounding (~1e-7 on probabilities), so no alignment rule is needed: any split leaving every
member at least one token works.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from gpla.errors import ModelError
from gpla.models.prefix_scoring import PrefixGroup, plan_prefix_groups

MIN_SHARED = 8  # a shorter shared prefix saves less than its extra forward pass costs
CALL_COST = 8  # rough fixed cost of one forward call, in tokens (planning only)


def plan_groups(tokens: Sequence[Sequence[int]], max_group: int = 256) -> list[PrefixGroup]:
    """This backend's plan: the prefix once plus the padded suffix batch, no alignment rule (every
    member keeps at least one token of its own)."""

    def cost(shared: int, lo: int, hi: int, total: int, size: int) -> tuple[float, int] | None:
        cut = min(shared, lo - 1)
        return (cut + size * (hi - cut) + 2 * CALL_COST, cut) if cut >= MIN_SHARED else None

    return plan_prefix_groups(tokens, cost, CALL_COST, max_group)


def group_logits(
    lm: Any, prompts: Sequence[Sequence[int]], prefix_len: int, pad_id: int, chunk: int
) -> tuple[np.ndarray, int]:
    """Next-token logits after each prompt (rows), the first ``prefix_len`` tokens of which are
    shared, and the number of token positions the forward passes computed (padding included).
    The suffixes run ``chunk`` at a time, each chunk on its own copy of the prefix cache (a forward
    pass appends to the cache it is given). Call under ``torch.no_grad()`` and the model's lock."""
    import torch

    head = list(prompts[0][:prefix_len])
    if any(list(p[:prefix_len]) != head or len(p) <= prefix_len for p in prompts):
        raise ModelError("prefix scoring: prompts do not share the given prefix")
    device = lm.device
    start = torch.arange(prefix_len, device=device).unsqueeze(0)
    cache = lm(
        input_ids=torch.tensor([head], device=device), position_ids=start, use_cache=True
    ).past_key_values
    if not hasattr(cache, "batch_repeat_interleave"):
        raise ModelError(f"prefix scoring: {type(cache).__name__} cannot be repeated over a batch")
    rows, computed = [], prefix_len
    for first in range(0, len(prompts), chunk):
        tails = [list(p[prefix_len:]) for p in prompts[first : first + chunk]]
        n, width = len(tails), max(len(t) for t in tails)
        ids = torch.full((n, width), pad_id, dtype=torch.long)
        mask = torch.zeros((n, prefix_len + width), dtype=torch.long)
        mask[:, :prefix_len] = 1
        for j, tail in enumerate(tails):
            ids[j, : len(tail)] = torch.tensor(tail)
            mask[j, prefix_len : prefix_len + len(tail)] = 1  # right padding stays masked
        positions = torch.arange(prefix_len, prefix_len + width).expand(n, width)
        past = copy.deepcopy(cache)
        past.batch_repeat_interleave(n)
        logits = lm(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            past_key_values=past,
            use_cache=True,
        ).logits
        last = torch.tensor([len(t) - 1 for t in tails], device=device)
        rows.append(logits[torch.arange(n, device=device), last].float().cpu().numpy())
        computed += n * width
    return np.concatenate(rows), computed
