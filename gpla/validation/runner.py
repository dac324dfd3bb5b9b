"""Run a value evaluator (and embedding baselines) on the human-annotated pairs and score them.

The evaluator judges each pair exactly as GPV measurement does (``gpla.measure.gpv``): the
ValueEvaluator's p_relevant (relevant when > 0.5), score = p_support − p_oppose, NaN when p_either
is the largest. With a prefilter in front, the pairs it drops are never judged and count as not
relevant, as in a run. Embedding similarity (response text vs value name, as the prefilter embeds
them in a run) is measured on the same pairs as a relevance baseline and gives the prefilter curves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from gpla.measure.prefilter import Prefilter, similarities
from gpla.models.base import EmbeddingModel
from gpla.validation.metrics import Estimate, HumanAgreement, no_better, recall_curve

TOP_K = tuple(range(1, 11))
SIM_THRESHOLDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
RECALL_GOAL, FEWER_CALLS_GOAL = 0.95, 5.0  # the prefilter's design goal
JUDGMENT_COLUMNS = ["p_relevant", "p_support", "p_oppose", "p_either", "score"]
EVALUATOR = "evaluator"


class _Evaluator(Protocol):
    threshold: float

    def evaluate(self, pairs: pd.DataFrame) -> pd.DataFrame: ...


def similarity_column(spec: str) -> str:
    return f"similarity:{spec}"


@dataclass
class ValidationResult:
    pairs: pd.DataFrame
    """The human pairs with the evaluator's judgments and each embedder's similarity."""
    summary: dict[str, Any]
    """Everything ``validation.json`` holds."""
    estimates: dict[str, HumanAgreement] = field(default_factory=dict)
    curves: dict[str, pd.DataFrame] = field(default_factory=dict)


def pair_similarity(pairs: pd.DataFrame, embedder: EmbeddingModel,
                    definitions: Mapping[str, str] | None = None) -> np.ndarray:
    """Cosine similarity of each pair's text with its value name (as a run's prefilter embeds
    lexicon values; "name: definition" with ``definitions``), one number per row."""
    texts, values = pd.unique(pairs["text"]), pd.unique(pairs["value"])
    sim = similarities(list(texts), list(values), embedder, definitions)
    row = pd.Index(texts).get_indexer(pairs["text"])
    col = pd.Index(values).get_indexer(pairs["value"])
    return sim[row, col]


def prefilter_masks(pairs: pd.DataFrame, similarity: np.ndarray, prefilters: Sequence[Prefilter]
                    ) -> dict[str, np.ndarray]:
    """Per prefilter, which pairs it keeps (one flag per row), ranking each item's values."""
    items = pd.Index(pd.unique(pairs["item"]))
    values = pd.Index(pd.unique(pairs["value"]))
    r, c = items.get_indexer(pairs["item"]), values.get_indexer(pairs["value"])
    matrix = np.full((len(items), len(values)), -np.inf)  # a missing pair is ranked last
    matrix[r, c] = similarity
    return {str(pf): pf.keep(matrix)[r, c] for pf in prefilters}


def candidate_prefilters() -> list[Prefilter]:
    return [Prefilter("top", k=k) for k in TOP_K] + [Prefilter("sim", threshold=t) for t in SIM_THRESHOLDS]


def judge(pairs: pd.DataFrame, evaluator: _Evaluator, kept: np.ndarray) -> pd.DataFrame:
    """The evaluator's judgments of the kept pairs; dropped pairs get NaN (never judged)."""
    ask = pairs.loc[kept, ["item", "text", "value"]].rename(columns={"item": "perception_id"})
    out = pd.DataFrame(np.nan, index=pairs.index, columns=JUDGMENT_COLUMNS)
    if len(ask):
        judged = evaluator.evaluate(ask.reset_index(drop=True))
        out.loc[ask.index, JUDGMENT_COLUMNS] = judged[JUDGMENT_COLUMNS].to_numpy(dtype=float)
    return out


def _agreement(pairs: pd.DataFrame, relevance: np.ndarray, signed: np.ndarray | None,
               threshold: float | None, n_boot: int, seed: int, level: float) -> HumanAgreement:
    return HumanAgreement(threshold=threshold, n_boot=n_boot, level=level, random_state=seed).fit(
        pairs["item"].to_numpy(), pairs["dimension"].to_numpy(), pairs["human_relevant"].to_numpy(),
        pairs["rho"].to_numpy(), relevance, signed,
    )


def _recommendation(curve: pd.DataFrame) -> dict[str, Any]:
    """The cheapest top:k reaching the recall goal, and whether it also meets the call goal."""
    top = curve[curve["prefilter"].str.startswith("top:")]
    enough = top[top["recall"] >= RECALL_GOAL]
    best = enough.iloc[0] if len(enough) else None
    return {
        "recall_goal": RECALL_GOAL, "fewer_calls_goal": FEWER_CALLS_GOAL,
        "smallest_top_k_at_goal": None if best is None else str(best["prefilter"]),
        "fewer_calls_at_goal": None if best is None else float(best["fewer_calls"]),
        "goal_met": bool(best is not None and best["fewer_calls"] >= FEWER_CALLS_GOAL),
    }  # fmt: skip


def validate(
    pairs: pd.DataFrame,
    *,
    evaluator: _Evaluator | None = None,
    evaluator_name: str | None = None,
    embedders: Mapping[str, EmbeddingModel] | None = None,
    prefilter: Prefilter | None = None,
    prefilter_embedder: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    progress: Callable[[str], None] = lambda _: None,
) -> ValidationResult:
    """Judge ``pairs`` (from ``human_pairs``) with the evaluator and the embedders and measure each
    against the human verdicts. ``prefilter`` (with ``prefilter_embedder``, one of ``embedders``)
    sits in front of the evaluator as in a run."""
    pairs = pairs.reset_index(drop=True).copy()
    embedders = dict(embedders or {})
    prefilter = prefilter or Prefilter()
    sims: dict[str, np.ndarray] = {}
    for spec, model in embedders.items():
        progress(f"embedding {len(pd.unique(pairs['text']))} texts with {spec}")
        sims[spec] = pair_similarity(pairs, model)
        pairs[similarity_column(spec)] = sims[spec]
    if prefilter.mode != "off" and prefilter_embedder not in sims:
        raise ValueError(f"prefilter {prefilter} needs the similarities of {prefilter_embedder!r}")

    summary: dict[str, Any] = {
        "evaluator": evaluator_name, "prefilter": str(prefilter),
        "prefilter_embedder": prefilter_embedder if prefilter.mode != "off" else None,
        "items": int(pairs["item"].nunique()), "pairs": len(pairs),
        "human_relevant": int(pairs["human_relevant"].sum()),
        "seed": seed, "n_boot": n_boot, "level": level, "scorers": {}, "recall_curves": {},
    }  # fmt: skip
    result = ValidationResult(pairs=pairs, summary=summary)
    if evaluator is not None:
        kept = np.ones(len(pairs), dtype=bool)
        if prefilter.mode != "off" and prefilter_embedder is not None:
            kept = prefilter_masks(pairs, sims[prefilter_embedder], [prefilter])[str(prefilter)]
        progress(f"judging {int(kept.sum())} pairs with {evaluator_name}")
        start = time.perf_counter()
        judged = judge(pairs, evaluator, kept)
        seconds = time.perf_counter() - start
        for col in JUDGMENT_COLUMNS:
            pairs[col] = judged[col].to_numpy()
        pairs["judged"] = kept
        relevant = (pairs["p_relevant"] > evaluator.threshold).to_numpy()
        calls = int(kept.sum() + relevant.sum())
        summary["timing"] = {
            "seconds": round(seconds, 2), "pairs_judged": int(kept.sum()),
            "relevance_calls": int(kept.sum()), "valence_calls": int(relevant.sum()),
            "pairs_per_second": round(int(kept.sum()) / seconds, 2) if seconds > 0 else None,
            "share_of_calls_kept": float(kept.mean()), "calls": calls,
            "labels_cut": int(pairs.loc[kept, "p_relevant"].isna().sum()),
        }  # fmt: skip
        progress("bootstrapping the evaluator's agreement")
        agreement = _agreement(pairs, pairs["p_relevant"].to_numpy(), pairs["score"].to_numpy(),
                               evaluator.threshold, n_boot, seed, level)
        result.estimates[EVALUATOR] = agreement
        summary["scorers"][EVALUATOR] = {"name": evaluator_name, **agreement.summary()}
    for spec, sim in sims.items():
        progress(f"bootstrapping {spec}'s agreement and recall curve")
        agreement = _agreement(pairs, sim, None, None, n_boot, seed, level)
        result.estimates[spec] = agreement
        summary["scorers"][spec] = {"name": f"embedding similarity {spec}", **agreement.summary()}
        masks = prefilter_masks(pairs, sim, candidate_prefilters())
        curve = recall_curve(masks, pairs["human_relevant"].to_numpy(), pairs["item"].to_numpy(),
                             n_boot=n_boot, level=level, random_state=seed)
        result.curves[spec] = curve
        summary["recall_curves"][spec] = {
            "points": curve.replace({np.inf: None}).to_dict(orient="records"),
            **_recommendation(curve),
        }
    base = float(pairs["human_relevant"].mean()) if len(pairs) else float("nan")
    summary["chance"] = {"auc": 0.5, "precision": base, "relevance_spearman": 0.0,
                         "sign_agreement": 0.5, "spearman": 0.0}
    summary["warnings"] = baseline_warnings(result.estimates, evaluator_name)
    return result


def baseline_warnings(estimates: Mapping[str, HumanAgreement], evaluator_name: str | None) -> list[str]:
    """A warning per embedding baseline the evaluator does not clearly beat on relevance AUC."""
    if EVALUATOR not in estimates:
        return []
    mine: Estimate = estimates[EVALUATOR].auc_
    out = []
    if no_better(mine, Estimate(0.5, 0.5, 0.5, 0)):
        out.append(f"the evaluator {evaluator_name} ranks relevance no better than chance "
                   f"(AUC {mine}).")
    for spec, agreement in estimates.items():
        if spec != EVALUATOR and no_better(mine, agreement.auc_):
            out.append(f"the evaluator {evaluator_name} (relevance AUC {mine}) is no better than "
                       f"the embedding baseline {spec} (AUC {agreement.auc_}): intervals overlap or lower.")
    return out
