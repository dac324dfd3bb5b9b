"""Administration: every subject answers every question, batched per model through the model layer.

The same function writes the quickstart's self-generated corpus (corpus writers answering seed
questions) and the measured responses (subjects answering the value-eliciting questions).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from gpla.models.base import ChatModel, ChatRequest, ChatResult

RESPONSE_COLUMNS = [
    "subject_id", "value", "question", "response", "finish_reason", "prompt_tokens", "completion_tokens",
]


def pairings(subjects: pd.DataFrame, questions: pd.DataFrame) -> list[tuple[int, int]]:
    """(subject row, question row) index pairs, grouped by model so that batches rarely mix models."""
    order = subjects.reset_index(drop=True).sort_values("model", kind="stable").index
    return [(int(s), int(q)) for s in order for q in range(len(questions))]


def administer(
    models: Callable[[str], ChatModel],
    subjects: pd.DataFrame,
    questions: pd.DataFrame,
    pairs: list[tuple[int, int]],
    *,
    temperature: float,
    max_tokens: int,
    parallel: bool = False,
) -> pd.DataFrame:
    """Ask ``questions.question[q]`` of ``subjects[s]`` (with its system prompt) for each ``(s, q)``.

    ``models(spec)`` returns the (cached) chat model of a spec. Returns one row per pair, in pair order.
    ``parallel`` asks the models at the same time (for Batch API jobs, which mostly wait).
    """
    subjects = subjects.reset_index(drop=True)
    questions = questions.reset_index(drop=True)
    rows: list[dict[str, object]] = [{} for _ in pairs]
    by_model: dict[str, list[int]] = {}
    for k, (s, _) in enumerate(pairs):
        by_model.setdefault(str(subjects.at[s, "model"]), []).append(k)
    def ask(spec: str) -> list[ChatResult]:
        requests = [
            ChatRequest.chat(
                str(questions.at[pairs[k][1], "question"]),
                system=str(subjects.at[pairs[k][0], "system_prompt"]) or None,
                temperature=temperature,
                max_tokens=max_tokens,
            )
            for k in by_model[spec]
        ]
        return models(spec).generate(requests)

    with ThreadPoolExecutor(max_workers=max(1, len(by_model)) if parallel else 1) as pool:
        answers = dict(zip(by_model, pool.map(ask, by_model), strict=True))
    for spec, ks in by_model.items():
        for k, result in zip(ks, answers[spec], strict=True):
            s, q = pairs[k]
            rows[k] = {
                "subject_id": subjects.at[s, "subject_id"],
                "value": questions.at[q, "value"],
                "question": questions.at[q, "question"],
                "response": result.text.strip(),
                "finish_reason": result.finish_reason,
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
            }
    return pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
