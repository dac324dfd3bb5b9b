"""Model-free perceptions, for budgets where the PerceptionParser's generation is too costly.

GPV's perceptions come from the PerceptionParser (an LLM). The GPLA paper itself takes each
ValueBench response as one perception (App. A.1), and a sentence is the next-coarsest atomic unit;
both are offered here with the parser's ``parse(docs)`` interface so a stage can use either.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from gpla.agents.chunking import split_sentences

PerceptionUnit = Literal["parser", "sentences", "whole"]
MIN_WORDS = 3  # shorter fragments ("Sure!", "I see.") carry no value to judge


class TextPerceptions:
    """``parse(docs[doc_id, text]) -> [perception_id, doc_id, text, error]`` by splitting, not generating."""

    def __init__(self, unit: Literal["sentences", "whole"]) -> None:
        self.unit = unit

    def parse(self, docs: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for doc_id, text in zip(docs["doc_id"], docs["text"], strict=True):
            parts = split_sentences(str(text)) if self.unit == "sentences" else [" ".join(str(text).split())]
            parts = [p for p in parts if len(p.split()) >= MIN_WORDS]
            rows += [{"perception_id": f"{doc_id}-{i}", "doc_id": doc_id, "text": p, "error": None}
                     for i, p in enumerate(parts)]
        return pd.DataFrame(rows, columns=["perception_id", "doc_id", "text", "error"])
