"""How well a lexicon covers real conversations (GPLA App. B.1).

Each conversation is parsed into perceptions and every (perception, value) pair is judged for
relevance, as GPV does; a value is *detected* in a conversation when at least one of its perceptions
is relevant to it. GPLA reports 47.6 unique lexicon values per conversation on average (minimum 6)
over 512 LMSYS conversations, and that Schwartz's 10 values cover 93% of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from gpla.errors import DataError
from gpla.models.base import ChatModel


@dataclass
class CoverageResult:
    detections: pd.DataFrame
    """``doc_id, value``: each value detected in each conversation (unique pairs)."""
    per_conversation: pd.DataFrame
    """``doc_id, n_values`` (unique lexicon values detected; 0 when none), one row per conversation."""
    systems: pd.DataFrame
    """``system, n_values, covered, share``: conversations with at least one of the system's values."""

    @property
    def mean_values(self) -> float:
        return float(self.per_conversation["n_values"].mean())

    @property
    def min_values(self) -> int:
        return int(self.per_conversation["n_values"].min())


def detect_values(
    conversations: pd.DataFrame, values: Sequence[str], model: ChatModel, *, threshold: float = 0.5
) -> pd.DataFrame:
    """``doc_id, perception_id, value, p_relevant`` for every relevant pair (p_relevant > threshold)."""
    from gpla.agents import PerceptionParser, ValueEvaluator

    _check(conversations, values)
    perceptions = PerceptionParser(model).parse(conversations[["doc_id", "text"]])
    perceptions = perceptions[perceptions["error"].isna() & perceptions["text"].notna()]
    columns = ["doc_id", "perception_id", "value", "p_relevant"]
    if perceptions.empty:
        return pd.DataFrame(columns=columns)
    unique_values = list(dict.fromkeys(values))
    pairs = perceptions[["perception_id", "text"]].merge(pd.DataFrame({"value": unique_values}), how="cross")
    judged = ValueEvaluator(model, threshold=threshold).evaluate(pairs)
    judged = judged[judged["p_relevant"] > threshold]
    doc_of = dict(zip(perceptions["perception_id"], perceptions["doc_id"], strict=True))
    judged = judged.assign(doc_id=judged["perception_id"].map(doc_of))
    return judged[columns].reset_index(drop=True)


def summarise_coverage(
    conversations: pd.DataFrame,
    detections: pd.DataFrame,
    lexicon: Sequence[str],
    systems: Mapping[str, Sequence[str]] | None = None,
) -> CoverageResult:
    """Per-conversation counts of detected lexicon values, and the share each system covers."""
    found = detections[["doc_id", "value"]].drop_duplicates().reset_index(drop=True)
    in_lexicon = found[found["value"].isin(set(lexicon))]
    counts = in_lexicon.groupby("doc_id").size()
    per = pd.DataFrame({"doc_id": conversations["doc_id"]})
    per["n_values"] = per["doc_id"].map(counts).fillna(0).astype(int)
    rows = []
    for name, members in {"lexicon": lexicon, **(systems or {})}.items():
        covered = found.loc[found["value"].isin(set(members)), "doc_id"].nunique()
        rows.append((name, len(set(members)), covered, covered / len(per) if len(per) else float("nan")))
    systems_table = pd.DataFrame(rows, columns=["system", "n_values", "covered", "share"])
    return CoverageResult(found, per, systems_table)


def coverage(
    conversations: pd.DataFrame,
    lexicon: Sequence[str],
    model: ChatModel,
    *,
    systems: Mapping[str, Sequence[str]] | None = None,
    threshold: float = 0.5,
) -> CoverageResult:
    """Detect the lexicon's values (and those of ``systems``) in ``conversations[doc_id, text]``."""
    every = list(dict.fromkeys([*lexicon, *(v for members in (systems or {}).values() for v in members)]))
    detections = detect_values(conversations, every, model, threshold=threshold)
    return summarise_coverage(conversations, detections, lexicon, systems)


def _check(conversations: pd.DataFrame, values: Sequence[str]) -> None:
    missing = [c for c in ("doc_id", "text") if c not in conversations.columns]
    if missing:
        raise DataError(f"conversations lack column(s) {missing}")
    if not len(values):
        raise DataError("no values to detect")
