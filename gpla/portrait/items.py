"""The Value Portrait item bank: 104 queries × 5 responses = 520 query–response items, each with its
human-survey correlations to 10 Schwartz values (`pvq`), 4 higher-order values and the Big Five.

The bank is read in place from the shared data (``data/valueportrait/items/query-response-tagged.json``)
or from a user's file of the same shape; nothing of it is copied into the package.
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
    ``correlations``: long table (portrait_id, option_id, family, dimension, r)."""

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


def load_items(path: str | Path | None = None) -> ItemBank:
    """Read the item bank (default: the shared Value Portrait bank)."""
    path = Path(path) if path is not None else default_items_path()
    queries = read_json(path)
    if not isinstance(queries, list):
        raise DataError(f"{path}: expected a JSON list of queries")
    rows: list[dict[str, Any]] = []
    corr: list[tuple[int, int, str, str, float]] = []
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
                    for dimension, r in output.get(key, []):
                        corr.append((pid, oid, family, str(dimension), float(r)))
            except (KeyError, TypeError, ValueError):
                raise DataError(f"{where}, output {output.get('id')!r}: malformed item") from None
    items = pd.DataFrame(rows)
    if items.duplicated(["portrait_id", "option_id"]).any():
        dup = items.loc[
            items.duplicated(["portrait_id", "option_id"]), ["portrait_id", "option_id"]
        ]
        raise DataError(f"{path}: duplicate items {dup.to_records(index=False).tolist()[:5]}")
    items = items.sort_values(["portrait_id", "option_id"], ignore_index=True)
    correlations = pd.DataFrame(
        corr, columns=["portrait_id", "option_id", "family", "dimension", "r"]
    )
    return ItemBank(items=items, correlations=correlations)
