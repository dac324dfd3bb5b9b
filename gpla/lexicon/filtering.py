"""Choosing the final lexicon: minimum frequency, top-N, and values pinned or banned by hand."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gpla.errors import ConfigError
from gpla.lexicon.normalise import clean_value, value_key


def filter_lexicon(
    lexicon: pd.DataFrame,
    *,
    min_frequency: int = 1,
    top_n: int | None = None,
    pin: Sequence[str] = (),
    ban: Sequence[str] = (),
) -> pd.DataFrame:
    """Keep values with ``frequency >= min_frequency``, then the ``top_n`` most frequent; banned
    values go first, pinned ones always stay (a pinned value the lexicon lacks is added with
    frequency 0). Names match the lexicon's values by ``value_key`` (case, hyphens, plurals ignored).
    Ranks are renumbered."""
    if min_frequency < 1:
        raise ConfigError(f"min_frequency must be at least 1, got {min_frequency}")
    if top_n is not None and top_n < 1:
        raise ConfigError(f"top_n must be positive, got {top_n}")
    clash = {value_key(p) for p in pin} & {value_key(b) for b in ban}
    if clash:
        raise ConfigError(f"value(s) both pinned and banned: {sorted(clash)}")

    table = lexicon.sort_values("frequency", ascending=False, kind="stable").reset_index(drop=True)
    keys = [value_key(v) for v in table["value"]]
    pinned_keys = {value_key(p): clean_value(p) for p in pin}
    banned = np.isin(keys, [value_key(b) for b in ban])
    pinned = np.isin(keys, list(pinned_keys))

    keep = (~banned) & (table["frequency"].to_numpy() >= min_frequency)
    if top_n is not None:
        # Pinned values take their place in the top N first.
        room = max(top_n - len(pinned_keys), 0)
        ordinary = np.flatnonzero(keep & ~pinned)
        keep[ordinary[room:]] = False
    keep |= pinned
    out = table[keep].copy()

    missing = [name for key, name in pinned_keys.items() if key not in set(keys)]
    if missing:
        extra = pd.DataFrame({"value": missing, "frequency": 0, "merged_from": [[] for _ in missing]})
        if "sources" in out.columns:
            extra["sources"] = "pinned"
        out = pd.concat([out, extra], ignore_index=True)
    out = out.reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out

