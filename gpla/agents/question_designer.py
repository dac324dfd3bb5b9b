"""Question Designer (GPLA Prompt 1): one value-eliciting, advice-seeking dilemma question per value."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from gpla.agents.base import JsonAgent, PromptFormat
from gpla.agents.parsing import string_field
from gpla.agents.prompts.questions import question_request
from gpla.errors import DataError
from gpla.models.base import ChatModel

COLUMNS = ["value", "question", "error"]


def _question(obj: object) -> str:
    return string_field(obj, "question")


class QuestionDesigner(JsonAgent):
    """Writes a first-person question that puts each value into a dilemma."""

    def __init__(
        self,
        model: ChatModel | str = "llamacpp:default",
        *,
        max_tokens: int = 160,
        batch_size: int = 16,
        repair: bool = True,
        prompt_format: PromptFormat = "auto",
    ) -> None:
        super().__init__(
            model,
            max_tokens=max_tokens,
            batch_size=batch_size,
            repair=repair,
            prompt_format=prompt_format,
        )

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
        answers = self._ask(
            [question_request(v, self.max_tokens, self.completion) for v in unique],
            _question,
            "designing questions",
        )
        rows = [
            {"value": v, "question": a.value, "error": a.error}
            for v, a in zip(unique, answers, strict=True)
        ]
        return pd.DataFrame(rows, columns=COLUMNS)
