"""Question Designer (GPLA Prompt 1): one value-eliciting, advice-seeking dilemma question per value."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from gpla.agents.base import Agent, PromptFormat, generate_json, use_completion
from gpla.agents.parsing import string_field
from gpla.agents.prompts.questions import question_request
from gpla.errors import DataError
from gpla.models.base import ChatModel

COLUMNS = ["value", "question", "error"]


def _question(obj: object) -> str:
    return string_field(obj, "question")


class QuestionDesigner(Agent):
    """Writes a first-person question that puts each value into a dilemma. ``prompt_format`` ("auto",
    "chat", "completion") chooses the few-shot layout; "auto" uses plain completions for base models."""

    def __init__(
        self,
        model: ChatModel | str = "llamacpp:default",
        *,
        max_tokens: int = 160,
        batch_size: int = 16,
        repair: bool = True,
        prompt_format: PromptFormat = "auto",
    ) -> None:
        super().__init__(model, batch_size=batch_size)
        self.completion = use_completion(self.model, prompt_format)
        self.max_tokens = max_tokens
        self.repair = repair

    def design(self, values: Sequence[str]) -> pd.DataFrame:
        """``values`` → ``[value, question, error]``, one row per distinct value in input order.

        ``value`` is the value asked for (not the model's echo of it); a reply that could not be read
        leaves ``question`` empty and says why in ``error``.
        """
        if isinstance(values, str):
            raise DataError(
                "QuestionDesigner.design: expected a list of values, got a single string"
            )
        bad = [v for v in values if not isinstance(v, str) or not v.strip()]
        if bad:
            raise DataError(
                f"QuestionDesigner.design: values must be non-empty strings, got {bad[0]!r}"
            )
        unique = list(dict.fromkeys(" ".join(v.split()) for v in values))
        answers = generate_json(
            self.model,
            [question_request(v, self.max_tokens, self.completion) for v in unique],
            _question,
            batch_size=self.batch_size,
            description="designing questions",
            repair=self.repair,
        )
        rows = [
            {"value": v, "question": a.value, "error": a.error}
            for v, a in zip(unique, answers, strict=True)
        ]
        return pd.DataFrame(rows, columns=COLUMNS)
