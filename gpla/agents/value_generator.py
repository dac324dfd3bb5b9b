"""Value Generator: perceptions → the values behind them (GPLA's M_G), one row per value mention.

GPLA ranks its lexicon by how often each value is generated, so every mention is a row; the lexicon
stage counts them.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from gpla.agents.base import JsonAgent, PromptFormat, require_columns, usable_rows
from gpla.agents.kaleido import KaleidoGenerator, is_kaleido_model
from gpla.agents.parsing import string_list
from gpla.agents.prompts.values import MAX_VALUES, kaleido_request, values_request
from gpla.agents.value_names import MAX_WORDS, kaleido_values, value_names
from gpla.errors import ConfigError
from gpla.models.base import ChatModel, ChatResult
from gpla.progress import progress_bar

COLUMNS = ["perception_id", "value", "error"]

Style = Literal["auto", "fewshot", "kaleido"]


class ValueGenerator(JsonAgent):
    """Names the values behind each perception as short Title Case noun phrases.

    ``style="fewshot"`` asks a chat or base LLM for JSON ``{"values": [...]}``. ``style="kaleido"``
    with a seq2seq checkpoint whose config carries Kaleido's task templates runs Kaleido's own system
    (``KaleidoGenerator``: 100 beams, relevance filter, ROUGE + embedding dedup; ``kaleido`` passes
    its options); with any other model it sends one ``[Generate]`` input and keeps the ``Value:`` lines
    among the returned sequences (``ChatResult.meta["sequences"]``, else the lines of the text).
    ``"auto"`` picks kaleido for such checkpoints and for models whose name contains "kaleido".
    """

    def __init__(
        self,
        model: ChatModel | str = "llamacpp:default",
        *,
        style: Style = "auto",
        max_words: int = MAX_WORDS,
        max_tokens: int = 96,
        batch_size: int = 16,
        repair: bool = True,
        prompt_format: PromptFormat = "auto",
        kaleido: dict[str, Any] | None = None,
    ) -> None:
        if style not in ("auto", "fewshot", "kaleido"):  # checked before a model is loaded
            raise ConfigError(
                f"ValueGenerator: style must be auto, fewshot or kaleido, got {style!r}"
            )
        super().__init__(
            model,
            max_tokens=max_tokens,
            batch_size=batch_size,
            repair=repair,
            prompt_format=prompt_format,
        )
        asked_fewshot = style == "fewshot"
        system = is_kaleido_model(self.model) if not asked_fewshot else False
        if style == "auto":
            style = "kaleido" if system or "kaleido" in self.model.name.lower() else "fewshot"
        self.style: Style = style
        self.max_words = max_words
        if kaleido and not (style == "kaleido" and system):
            raise ConfigError(
                f"ValueGenerator: Kaleido options {sorted(kaleido)} need a seq2seq model with Kaleido's "
                "task templates and style kaleido or auto; "
                + ("the style is 'fewshot'" if asked_fewshot else f"{self.model.name} has none")
            )
        # Kaleido's own system when the checkpoint carries its templates (see KaleidoGenerator).
        self.kaleido_system = (
            KaleidoGenerator(self.model, **(kaleido or {})) if style == "kaleido" and system else None
        )

    def generate(self, perceptions: pd.DataFrame) -> pd.DataFrame:
        """``perceptions[perception_id, text]`` → ``[perception_id, value, error]``.

        Rows carrying an upstream ``error`` are skipped; identical texts are sent once. A perception
        whose reply could not be read becomes one row with ``error`` set and no value.
        """
        require_columns(perceptions, ["perception_id", "text"], "ValueGenerator.generate")
        rows = usable_rows(perceptions)
        texts = list(dict.fromkeys(str(t) for t in rows["text"]))
        if self.kaleido_system is not None:
            return self.kaleido_system.generate(perceptions)
        found = self._kaleido(texts) if self.style == "kaleido" else self._fewshot(texts)
        out: list[dict[str, object]] = []
        for pid, text in zip(rows["perception_id"], rows["text"], strict=True):
            values, error = found[str(text)]
            if error is not None:
                out.append({"perception_id": pid, "value": None, "error": error})
            out.extend({"perception_id": pid, "value": v, "error": None} for v in values)
        return pd.DataFrame(out, columns=COLUMNS)

    def _fewshot(self, texts: list[str]) -> dict[str, tuple[list[str], str | None]]:
        def parse(obj: object) -> list[str]:
            return value_names(
                string_list(obj, "values", item_keys=("value", "name")), self.max_words
            )[:MAX_VALUES]

        answers = self._ask(
            [values_request(t, self.max_tokens, self.completion) for t in texts],
            parse,
            "generating values",
        )
        return {t: (a.value or [], a.error) for t, a in zip(texts, answers, strict=True)}

    def _kaleido(self, texts: list[str]) -> dict[str, tuple[list[str], str | None]]:
        results: list[ChatResult] = []
        with progress_bar("generating values (kaleido)", len(texts)) as (bar, task):
            for start in range(0, len(texts), self.batch_size):
                batch = [
                    kaleido_request(t, self.max_tokens)
                    for t in texts[start : start + self.batch_size]
                ]
                results.extend(self.model.generate(batch))
                bar.advance(task, len(batch))
        return {
            t: (kaleido_values(_sequences(r), self.max_words), None)
            for t, r in zip(texts, results, strict=True)
        }


def _sequences(result: ChatResult) -> list[str]:
    seqs = result.meta.get("sequences")
    if isinstance(seqs, list) and all(isinstance(s, str) for s in seqs):
        return seqs
    return result.text.splitlines()
