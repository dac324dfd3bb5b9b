"""The human ground truth: each Value Portrait item's response text against each Schwartz basic value.

A pair (item, value) is human-relevant when the survey correlation of the item with the value has
|rho| > 0.3 and p < 0.05 (the Value Portrait rule, ``gpla.portrait.scoring`` THRESHOLD / MAX_P); its
direction is the sign of rho. The response text is what the evaluator judges (the perception).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gpla.errors import DataError
from gpla.portrait.items import FAMILIES, ItemBank
from gpla.portrait.scoring import MAX_P, THRESHOLD

FAMILY = "pvq"
PAIR_COLUMNS = [
    "item", "portrait_id", "option_id", "text", "dimension", "value", "rho", "p_value",
    "human_relevant", "human_sign",
]  # fmt: skip


def value_name(dimension: str) -> str:
    """What the evaluator is asked about: the bank's ``Self_Direction`` reads ``Self-Direction``."""
    return dimension.replace("_", "-")


def human_pairs(
    bank: ItemBank, *, threshold: float = THRESHOLD, max_p: float = MAX_P
) -> pd.DataFrame:
    """One row per item × Schwartz basic value (item order, then the family's value order), with the
    human verdict. Raises DataError when an item lacks its correlations or a p-value it needs."""
    dims = FAMILIES[FAMILY]
    corr = bank.correlations[bank.correlations["family"] == FAMILY]
    if corr.empty:
        raise DataError(
            "the item bank has no human annotations (no Schwartz value correlations): give a bank "
            "whose items list `correlations`, or --correlations from `gpla portrait annotate`"
        )
    keys = ["portrait_id", "option_id"]
    grid = bank.items[[*keys, "response"]].merge(pd.DataFrame({"dimension": dims}), how="cross")
    pairs = grid.merge(corr[[*keys, "dimension", "r", "p_value"]], on=[*keys, "dimension"], how="left")
    lacking = pairs[pairs["r"].isna()]
    if len(lacking):
        first = lacking.iloc[0]
        raise DataError(
            f"the item bank has no human correlation for {len(lacking)} item–value pair(s), e.g. item "
            f"{int(first['portrait_id'])}/{int(first['option_id'])} and {first['dimension']}"
        )
    past = pairs["r"].abs() > threshold
    unknown = past & pairs["p_value"].isna()
    if unknown.any():
        raise DataError(
            f"the item bank has no p-value for {int(unknown.sum())} item–value pair(s) past |r| > "
            f"{threshold}; give correlations with p-values (--correlations)"
        )
    relevant = past & (pairs["p_value"] < max_p)
    out = pd.DataFrame({
        "item": pairs["portrait_id"].astype(str) + "/" + pairs["option_id"].astype(str),
        "portrait_id": pairs["portrait_id"].astype(int), "option_id": pairs["option_id"].astype(int),
        "text": pairs["response"].astype(str), "dimension": pairs["dimension"],
        "value": pairs["dimension"].map(value_name), "rho": pairs["r"].astype(float),
        "p_value": pairs["p_value"].astype(float), "human_relevant": relevant.to_numpy(),
        "human_sign": np.where(relevant, np.sign(pairs["r"]), 0).astype(int),
    })  # fmt: skip
    return out[PAIR_COLUMNS]


def sample_items(pairs: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    """All pairs of ``n`` items drawn without replacement (seeded), or every item when ``n`` is None
    or not smaller than the bank."""
    items = pd.unique(pairs["item"])
    if n is None or n >= len(items):
        return pairs.reset_index(drop=True)
    if n < 1:
        raise DataError(f"--sample must be >= 1 item, got {n}")
    chosen = set(np.random.default_rng(seed).choice(items, size=n, replace=False))
    return pairs[pairs["item"].isin(chosen)].reset_index(drop=True)
