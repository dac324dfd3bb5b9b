"""Value Evaluator (GPV's ValueLlama protocol): how a perception bears on a value.

For each (perception, value) pair: p(relevant) from the labels yes/no; for relevant pairs
(p(yes) > 0.5) the valence probabilities support/oppose/either; score = p(support) − p(oppose),
except that a pair whose p(either) exceeds both is dropped (score NaN), as GPV does.

``protocol="gpv"`` (default) reads the labels exactly as GPV's code does (``gpla/models/labels.py``);
when the model's generation config (top-k, top-p) cuts every label of a pair (or, over an API, no
label is among the top logprobs), its probabilities are NaN and the pair counts as not relevant, as
GPV's ``> 0.5`` test treats it. Such pairs are counted (``cut_labels``) and logged. ``protocol="raw"`` is for models not trained on GPV's format.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from gpla.agents.base import Agent, require_columns, usable_rows
from gpla.agents.prompts.evaluation import (
    RELEVANCE_LABELS,
    VALENCE_LABELS,
    relevance_prompt,
    valence_prompt,
)
from gpla.errors import ModelError
from gpla.models.base import ChatModel, ChatRequest
from gpla.models.labels import LabelProtocol, check_protocol
from gpla.progress import progress_bar

log = logging.getLogger("gpla.agents")

COLUMNS = ["perception_id", "value", "p_relevant", "p_support", "p_oppose", "p_either", "score"]

Pair = tuple[str, str]


def cut_labels(judgments: pd.DataFrame, threshold: float = 0.5) -> dict[str, int]:
    """Judged pairs whose every label had no probability (NaN: cut by the generation config, or not
    among an API's top logprobs): at the relevance question (then not relevant) and at the valence
    question (then no score)."""
    relevance = int(judgments["p_relevant"].isna().sum())
    valence = int(((judgments["p_relevant"] > threshold) & judgments["p_support"].isna()).sum())
    return {"relevance": relevance, "valence": valence}


def score_rule(p_support: np.ndarray, p_oppose: np.ndarray, p_either: np.ndarray) -> np.ndarray:
    """p(support) − p(oppose), NaN where p(either) exceeds both (or any input is NaN)."""
    score = p_support - p_oppose
    dropped = (p_either > p_support) & (p_either > p_oppose)
    return np.where(dropped, np.nan, score)


class ValueEvaluator(Agent):
    """Judges (perception, value) pairs with ``model.label_probs`` on raw completion prompts.

    Identical (text, value) pairs are judged once; prompts are sorted by text so that a backend sees
    the prompts sharing a sentence prefix one after another; valence is asked only for relevant pairs.
    ``protocol``: ``"gpv"`` (GPV's code, number for number) or ``"raw"`` (see ``labels.py``).
    """

    def __init__(
        self,
        model: ChatModel | str = "llamacpp:default",
        *,
        threshold: float = 0.5,
        batch_size: int = 64,
        protocol: LabelProtocol = "gpv",
    ) -> None:
        super().__init__(model, batch_size=batch_size)
        self.threshold = threshold
        self.protocol = check_protocol(protocol)

    def evaluate(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """``pairs[perception_id, text, value]`` → ``[perception_id, value, p_relevant, p_support,
        p_oppose, p_either, score]``, one row per input row in input order, except rows with an
        upstream ``error``, which are passed over. Valence columns are NaN for pairs that are not
        relevant.
        """
        require_columns(pairs, ["perception_id", "text", "value"], "ValueEvaluator.evaluate")
        rows = usable_rows(pairs)
        keys: list[Pair] = [
            (str(t), str(v)) for t, v in zip(rows["text"], rows["value"], strict=True)
        ]
        unique = sorted(set(keys))
        relevance = self._probs(unique, relevance_prompt, RELEVANCE_LABELS, "judging relevance")
        p_rel = dict(zip(unique, relevance[:, 0], strict=True))
        relevant = [k for k in unique if p_rel[k] > self.threshold]
        valence = self._probs(relevant, valence_prompt, VALENCE_LABELS, "judging valence")
        p_val = dict(zip(relevant, valence, strict=True))

        nan3 = np.full(3, np.nan)
        val = np.array([p_val.get(k, nan3) for k in keys]).reshape(len(keys), 3)
        cut_rel = int(np.isnan(relevance[:, 0]).sum()) if len(unique) else 0
        cut_val = int(np.isnan(valence[:, 0]).sum()) if len(relevant) else 0
        if cut_rel or cut_val:
            log.warning(
                "%s: every label of %d of %d relevance prompts (counted as not relevant) and of %d "
                "of %d valence prompts (no score) had no probability: cut by the model's "
                "generation config (top-k/top-p), or outside an API's top logprobs",
                self.model.name, cut_rel, len(unique), cut_val, len(relevant),
            )
        return pd.DataFrame(
            {
                "perception_id": rows["perception_id"].to_numpy(),
                "value": rows["value"].to_numpy(),
                "p_relevant": np.array([p_rel[k] for k in keys], dtype=float),
                "p_support": val[:, 0],
                "p_oppose": val[:, 1],
                "p_either": val[:, 2],
                "score": score_rule(val[:, 0], val[:, 1], val[:, 2]),
            },
            columns=COLUMNS,
        )

    def _probs(
        self,
        pairs: Sequence[Pair],
        prompt: Callable[[str, str], str],
        labels: Sequence[str],
        description: str,
    ) -> np.ndarray:
        out = np.empty((len(pairs), len(labels)))
        with progress_bar(description, len(pairs)) as (bar, task):
            for start in range(0, len(pairs), self.batch_size):
                batch = pairs[start : start + self.batch_size]
                requests = [ChatRequest.completion(prompt(s, v), max_tokens=1) for s, v in batch]
                probs = np.asarray(
                    self.model.label_probs(requests, labels, protocol=self.protocol), dtype=float
                )
                if probs.shape != (len(batch), len(labels)):
                    raise ModelError(
                        f"{self.model.name}: label_probs returned shape {probs.shape} for "
                        f"{len(batch)} prompts and {len(labels)} labels"
                    )
                out[start : start + len(batch)] = probs
                bar.advance(task, len(batch))
        return out
