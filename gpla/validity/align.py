"""Matching subjects/LLMs between two inputs by name: a mismatch is one `DataError` listing the names."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from gpla.errors import DataError


def _listing(names: Sequence[object], limit: int = 10) -> str:
    shown = ", ".join(repr(str(n)) for n in list(names)[:limit])
    more = len(names) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def check_same_names(
    left: pd.Index, right: pd.Index, left_name: str, right_name: str, *, what: str
) -> None:
    """Both inputs must name exactly the same `what` (e.g. "LLMs"), in any order."""
    left_set, right_set = set(left), set(right)
    only_left = [n for n in left if n not in right_set]
    only_right = [n for n in right if n not in left_set]
    if only_left or only_right:
        parts = []
        if only_left:
            parts.append(f"only in {left_name}: {_listing(only_left)}")
        if only_right:
            parts.append(f"only in {right_name}: {_listing(only_right)}")
        raise DataError(f"{what} differ between {left_name} and {right_name}; " + "; ".join(parts))


def check_covered(
    needed: pd.Index, available: pd.Index, needed_name: str, available_name: str, *, what: str
) -> None:
    """Every name in `needed` must appear in `available` (extra names in `available` are fine)."""
    available_set = set(available)
    missing = [n for n in needed if n not in available_set]
    if missing:
        raise DataError(
            f"{what} in {needed_name} missing from {available_name}: {_listing(missing)}"
        )


def check_unique(index: pd.Index, name: str, *, what: str) -> None:
    duplicated = index[index.duplicated()].unique().tolist()
    if duplicated:
        raise DataError(f"{name}: {what} appear more than once: {_listing(duplicated)}")
