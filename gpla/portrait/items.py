"""The Value Portrait item bank: 104 queries × 5 responses = 520 query–response items, each with its
human-survey correlations to 10 Schwartz values (`pvq`), 4 higher-order values and the Big Five.

The bank is read in place from the shared data (``data/valueportrait/items/query-response-tagged.json``)
or from a user's file of the same shape; nothing of it is copied into the package.

Scoring keeps an item–dimension pair when |r| > 0.3 *and* p < 0.05 (VP §3.4.1, footnote 6), so the
bank needs p-values. The shared bank file lists only ``[dimension, r]``; its p-values are the
authors' ``correlations/<family>_correlation_results.json`` next to it (same r to the last digit,
a test checks). A user's bank may list ``[dimension, r, p]``, or take its correlations and p-values
from ``gpla portrait annotate``'s CSV (``correlations=``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.errors import DataError
from gpla.portrait.jsonio import read_json

ItemKey = tuple[int, int]
"""(portrait_id, option_id): one query–response item."""

FAMILIES: dict[str, tuple[str, ...]] = {
    "pvq": (
        "Universalism", "Benevolence", "Conformity", "Tradition", "Security",
        "Power", "Achievement", "Hedonism", "Stimulation", "Self_Direction",
    ),
    "higher_pvq": ("Self_Transcendence", "Conservation", "Self_Enhancement", "Openness_to_Change"),
    "bfi": ("Openness", "Conscientiousness", "Extraversion", "Agreeableness", "Neuroticism"),
}  # fmt: skip
"""Dimensions per family, in the order of the paper's tables (Table 5 for pvq, Table 6 for bfi)."""

# Key of each family's correlation list in the item bank and the authors' output files.
CORRELATION_KEYS = {
    "pvq": "correlations",
    "higher_pvq": "higher_pvq_correlations",
    "bfi": "bfi_correlations",
}

CORRELATION_COLUMNS = ["portrait_id", "option_id", "family", "dimension", "r", "p_value"]

# The thousands digit of a portrait id names the source (VP §3.2.1; checked against queries/*.json).
SOURCES = {1: "Reddit", 2: "DearAbby", 3: "ShareGPT", 4: "LMSYS"}
SCENARIO_SOURCES = ("Reddit", "DearAbby")  # title + scenario; the others are a single user message


def source_of(portrait_id: int) -> str:
    """Reddit (Scruples), DearAbby, ShareGPT or LMSYS, from the id's leading digit."""
    source = SOURCES.get(int(portrait_id) // 1000)
    if source is None:
        raise DataError(f"portrait id {portrait_id}: unknown source (expected 1xxx–4xxx)")
    return source


def check_family(family: str) -> tuple[str, ...]:
    if family not in FAMILIES:
        raise DataError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    return FAMILIES[family]


@dataclass(frozen=True)
class ItemBank:
    """``items``: one row per item (portrait_id, option_id, source, title, query, response);
    ``correlations``: long table (portrait_id, option_id, family, dimension, r, p_value); p_value is
    NaN where the bank does not know it."""

    items: pd.DataFrame
    correlations: pd.DataFrame

    def __len__(self) -> int:
        return len(self.items)

    def select(self, keys: Iterable[ItemKey]) -> ItemBank:
        """The bank restricted to some items, in the order given (e.g. to administer a chosen subset)."""
        wanted = [(int(p), int(o)) for p, o in keys]
        index = self.items.set_index(["portrait_id", "option_id"]).index
        absent = [k for k in wanted if k not in index]
        if absent:
            raise DataError(f"item(s) {absent[:5]} are not in the item bank")
        rows = [index.get_loc(k) for k in wanted]
        return ItemBank(
            items=self.items.iloc[rows].reset_index(drop=True), correlations=self.correlations
        )

    def correlation_matrix(self, family: str) -> pd.DataFrame:
        """Items × dimensions of one family (index (portrait_id, option_id)); missing pairs are 0."""
        dims = check_family(family)
        sub = self.correlations[self.correlations["family"] == family]
        wide = sub.pivot_table(index=["portrait_id", "option_id"], columns="dimension", values="r")
        index = pd.MultiIndex.from_frame(self.items[["portrait_id", "option_id"]])
        return wide.reindex(index=index, columns=list(dims)).fillna(0.0)


def default_items_path() -> Path:
    from gpla.shared import shared_path

    return shared_path("data", "valueportrait", "items", "query-response-tagged.json")


def default_correlations_path() -> Path:
    from gpla.shared import shared_path

    return shared_path("data", "valueportrait", "correlations")


def load_items(
    path: str | Path | None = None, *, correlations: str | Path | None = None
) -> ItemBank:
    """Read the item bank (default: the shared Value Portrait bank, with the authors' p-values).

    `correlations`: the r and p-values to use instead of the bank's own, from a CSV written by
    ``gpla portrait annotate`` or the authors' ``<family>_correlation_results.json`` (one file or
    a directory of them); pairs it does not list keep the bank's r without a p-value.
    """
    if path is None and correlations is None:
        correlations = default_correlations_path()
    path = Path(path) if path is not None else default_items_path()
    queries = read_json(path)
    if not isinstance(queries, list):
        raise DataError(f"{path}: expected a JSON list of queries")
    rows: list[dict[str, Any]] = []
    corr: list[tuple[int, int, str, str, float, float]] = []
    for q_index, query in enumerate(queries):
        where = f"{path}: query #{q_index}"
        try:
            pid = int(query["portrait_id"])
            content = query["content"]
            outputs = query["outputs"]
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{where}: needs portrait_id, content and outputs") from None
        for output in outputs:
            try:
                oid = int(output["id"])
                rows.append({
                    "portrait_id": pid, "option_id": oid, "source": source_of(pid),
                    "title": content.get("title") or "", "query": content["text"],
                    "response": output["content"],
                })  # fmt: skip
                for family, key in CORRELATION_KEYS.items():
                    for dimension, r, *p in output.get(key, []):  # [dimension, r] or [.., r, p]
                        if len(p) > 1:
                            raise ValueError("expected [dimension, r] or [dimension, r, p]")
                        p_value = float(p[0]) if p else float("nan")
                        corr.append((pid, oid, family, str(dimension), float(r), p_value))
            except (KeyError, TypeError, ValueError):
                raise DataError(f"{where}, output {output.get('id')!r}: malformed item") from None
    items = pd.DataFrame(rows)
    if items.duplicated(["portrait_id", "option_id"]).any():
        dup = items.loc[
            items.duplicated(["portrait_id", "option_id"]), ["portrait_id", "option_id"]
        ]
        raise DataError(f"{path}: duplicate items {dup.to_records(index=False).tolist()[:5]}")
    items = items.sort_values(["portrait_id", "option_id"], ignore_index=True)
    table = pd.DataFrame(corr, columns=CORRELATION_COLUMNS)
    if correlations is not None:
        table = _with_correlations(table, items, correlations)
    return ItemBank(items=items, correlations=table)


def _with_correlations(
    table: pd.DataFrame, items: pd.DataFrame, source: str | Path
) -> pd.DataFrame:
    """The bank's correlations with every pair of `source` (on the bank's items) taking its r and p."""
    from gpla.portrait.annotate import read_correlations

    given = read_correlations(source).rename(columns={"rho": "r"})
    keys = ["portrait_id", "option_id"]
    given = given.merge(items[keys], on=keys)  # only the bank's items
    if given.empty:
        raise DataError(f"{source}: no correlations for any item of the bank")
    pair = [*keys, "family", "dimension"]
    dup = given.duplicated(pair)
    if dup.any():
        first = given.loc[dup, pair].iloc[0].tolist()
        raise DataError(f"{source}: item–dimension pair {first} is listed twice")
    replaced = pd.MultiIndex.from_frame(given[pair])
    own = table[~pd.MultiIndex.from_frame(table[pair]).isin(replaced)]
    merged = pd.concat([own, given[CORRELATION_COLUMNS]], ignore_index=True) if len(own) else given
    return merged[CORRELATION_COLUMNS].sort_values(pair, ignore_index=True)
