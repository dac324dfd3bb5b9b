"""GPV measurement (Ye et al., GPV; GPLA paper App. A.3): responses → perceptions → judgments → X.

1. Each response is parsed into perceptions by the PerceptionParser (M_P).
2. Each perception is judged against values by the ValueEvaluator (M_E): relevance first, valence
   only for relevant pairs; ``score = p_support − p_oppose``, NaN when not relevant or dropped by
   GPV's "either" rule.
3. ``X[subject, value]`` = mean score over that subject's relevant perceptions; ``n`` counts them.

Measurement scope (``mode``):
- ``"all"`` (default, as the paper: "each value dimension is measured using all responses"): every
  perception of a subject, whatever question it answered, is judged against every lexicon value.
- ``"per_question"``: a value is measured only from the response to the question designed for it
  (|values| times fewer evaluator calls).
In ``"all"`` mode an embedding prefilter (``prefilter.py``, issue 8) can keep only the values a
perception is close to; ``off`` (the default) is exact GPV.

Missing cells (``n = 0``: no relevant perception) follow a stated policy, and their count is kept:
- ``"nan"`` (default): left missing, as GPV returns no score there; the analysis stage applies its
  own stated policy (``analysis.missing``: pairwise, listwise, or mean imputation when asked);
- ``"zero"``: scored 0, i.e. neutral (a subject who never touches a value neither supports nor opposes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from gpla.errors import ConfigError
from gpla.measure.prefilter import Prefilter, candidate_pairs
from gpla.models.base import EmbeddingModel

PERCEPTION_COLUMNS = ["perception_id", "subject_id", "question_value", "text"]
JUDGMENT_COLUMNS = [
    "subject_id", "perception_id", "value", "p_relevant", "p_support", "p_oppose", "p_either", "score",
]
Mode = Literal["all", "per_question"]
MissingPolicy = Literal["nan", "zero"]
EXACT = Prefilter()  # "off": every pair


class _Parser(Protocol):
    def parse(self, docs: pd.DataFrame) -> pd.DataFrame: ...


class _Evaluator(Protocol):
    def evaluate(self, pairs: pd.DataFrame) -> pd.DataFrame: ...


def perceive(parser: _Parser, responses: pd.DataFrame) -> pd.DataFrame:
    """Parse responses (``subject_id, value, response``) into ``perception_id, subject_id,
    question_value, text``; ids are ``<subject_id>#<value>#<k>`` so they are unique across subjects."""
    docs = pd.DataFrame(
        {
            "doc_id": responses["subject_id"].astype(str) + "#" + responses["value"].astype(str),
            "text": responses["response"].astype(str),
        }
    )
    docs = docs[docs["text"].str.strip() != ""]
    if docs.empty:
        return pd.DataFrame(columns=PERCEPTION_COLUMNS)
    parsed = parser.parse(docs)
    if "error" in parsed.columns:  # the agents record parse failures as rows instead of raising
        parsed = parsed[parsed["error"].isna()]
    parsed = parsed[parsed["text"].astype(str).str.strip() != ""].copy()
    parsed["k"] = parsed.groupby("doc_id").cumcount()
    source = responses.assign(doc_id=docs["doc_id"].reindex(responses.index))
    merged = parsed.merge(source[["doc_id", "subject_id", "value"]], on="doc_id", how="left")
    return pd.DataFrame(
        {
            "perception_id": merged["doc_id"] + "#" + merged["k"].astype(str),
            "subject_id": merged["subject_id"],
            "question_value": merged["value"],
            "text": merged["text"].astype(str),
        },
        columns=PERCEPTION_COLUMNS,
    )


def judgment_pairs(
    perceptions: pd.DataFrame,
    values: Sequence[str],
    mode: Mode,
    prefilter: Prefilter = EXACT,
    embedder: EmbeddingModel | None = None,
) -> pd.DataFrame:
    """The (perception, value) pairs to judge: ``perception_id, subject_id, text, value``; in
    ``"all"`` mode only those the prefilter keeps (all with ``off``, which needs no embedder)."""
    base = perceptions[["perception_id", "subject_id", "text", "question_value"]]
    if mode == "per_question":
        pairs = base.assign(value=base["question_value"])
    elif base.empty:
        pairs = base.assign(value=pd.Series(dtype=object))
    else:
        kept = candidate_pairs(base, values, embedder, prefilter)
        # candidate_pairs lists pairs perception by perception in value order, like a cross join.
        pairs = kept.merge(base[["perception_id", "subject_id"]], on="perception_id", how="left")
    return pairs[["perception_id", "subject_id", "text", "value"]].reset_index(drop=True)


def judge(evaluator: _Evaluator, pairs: pd.DataFrame) -> pd.DataFrame:
    """Run the ValueEvaluator on the pairs; returns the ``judgments`` table (one row per pair)."""
    if pairs.empty:
        return pd.DataFrame(columns=JUDGMENT_COLUMNS)
    judged = evaluator.evaluate(pairs[["perception_id", "text", "value"]])
    owners = pairs[["perception_id", "subject_id"]].drop_duplicates("perception_id")
    out = judged.merge(owners, on="perception_id", how="left")
    return out[JUDGMENT_COLUMNS]


@dataclass(frozen=True)
class GPVMatrix:
    """X (subjects × values) after the missing-cell policy, the evidence counts, and what was missing."""

    X: pd.DataFrame
    n: pd.DataFrame
    policy: MissingPolicy
    n_missing: int
    """Cells without any relevant perception, before the policy was applied."""
    empty_values: list[str]
    """Values with no evidence for any subject (left NaN whatever the policy)."""


def aggregate(
    judgments: pd.DataFrame,
    subjects: Sequence[str],
    values: Sequence[str],
    missing: MissingPolicy = "nan",
) -> GPVMatrix:
    """X[s, v] = mean score over s's relevant perceptions judged on v; n[s, v] their count."""
    scored = judgments.dropna(subset=["score"])
    grouped = scored.groupby(["subject_id", "value"])["score"]
    mean = grouped.mean().unstack().reindex(index=list(subjects), columns=list(values))
    count = grouped.size().unstack().reindex(index=list(subjects), columns=list(values))
    n = count.fillna(0).astype(int)
    n_missing = int((n == 0).to_numpy().sum())
    empty = [v for v in values if int(n[v].sum()) == 0]
    if missing == "zero":
        X = mean.fillna(0.0)
        X[empty] = np.nan
    elif missing == "nan":
        X = mean
    else:
        raise ConfigError(f"GPV missing-cell policy must be 'nan' or 'zero', got {missing!r}")
    X.index.name = n.index.name = "subject_id"
    return GPVMatrix(X=X.astype(float), n=n, policy=missing, n_missing=n_missing, empty_values=empty)
