"""Perception Parser (GPV): texts → atomic, value-laden, self-contained perceptions."""

from __future__ import annotations

import pandas as pd

from gpla.agents.base import JsonAgent, PromptFormat, require_columns
from gpla.agents.chunking import chunk_text
from gpla.agents.parsing import string_list
from gpla.agents.prompts.perception import MAX_PERCEPTIONS, perception_request
from gpla.errors import ConfigError, DataError
from gpla.models.base import ChatModel

COLUMNS = ["perception_id", "doc_id", "chunk", "text", "error"]


def _perceptions(obj: object) -> list[str]:
    # Small models repeat themselves until maxItems; a repeated perception is one perception.
    found = string_list(obj, "perceptions", item_keys=("perception", "text"))
    unique: dict[str, str] = {}
    for p in found:
        unique.setdefault(p.lower(), p)
    return list(unique.values())[:MAX_PERCEPTIONS]


class PerceptionParser(JsonAgent):
    """Splits each document into perceptions of its author, or of ``subject`` when given.

    Long documents are cut into chunks of about ``chunk_tokens`` tokens on sentence boundaries, one
    model call per chunk; identical chunks are parsed once.
    """

    def __init__(
        self,
        model: ChatModel | str = "llamacpp:default",
        *,
        subject: str | None = None,
        chunk_tokens: int = 300,
        max_tokens: int = 384,
        batch_size: int = 16,
        repair: bool = True,
        prompt_format: PromptFormat = "auto",
    ) -> None:
        if chunk_tokens < 1:  # checked before a model is loaded
            raise ConfigError(
                f"PerceptionParser: chunk_tokens must be positive, got {chunk_tokens}"
            )
        super().__init__(
            model,
            max_tokens=max_tokens,
            batch_size=batch_size,
            repair=repair,
            prompt_format=prompt_format,
        )
        self.subject = subject
        self.chunk_tokens = chunk_tokens

    def parse(self, docs: pd.DataFrame) -> pd.DataFrame:
        """``docs[doc_id, text]`` → ``[perception_id, doc_id, chunk, text, error]``.

        ``perception_id`` is ``"{doc_id}-{n}"``, numbered from 0 within a document. A chunk whose reply
        could not be read becomes one row with ``error`` set and no ``perception_id``/``text``; a chunk
        without perceptions adds no row.
        """
        require_columns(docs, ["doc_id", "text"], "PerceptionParser.parse")
        _check_docs(docs)
        chunks = [
            (doc_id, i, chunk)
            for doc_id, text in zip(docs["doc_id"], docs["text"], strict=True)
            for i, chunk in enumerate(chunk_text(text, self.chunk_tokens))
        ]
        unique = list(dict.fromkeys(c for _, _, c in chunks))
        answers = self._ask(
            [perception_request(c, self.subject, self.max_tokens, self.completion) for c in unique],
            _perceptions,
            "parsing perceptions",
        )
        by_chunk = dict(zip(unique, answers, strict=True))
        rows: list[dict[str, object]] = []
        counters: dict[object, int] = {}
        for doc_id, i, chunk in chunks:
            answer = by_chunk[chunk]
            if answer.error is not None:
                rows.append(
                    {
                        "perception_id": None,
                        "doc_id": doc_id,
                        "chunk": i,
                        "text": None,
                        "error": answer.error,
                    }
                )
                continue
            for text in answer.value or []:
                n = counters.get(doc_id, 0)
                counters[doc_id] = n + 1
                rows.append(
                    {
                        "perception_id": f"{doc_id}-{n}",
                        "doc_id": doc_id,
                        "chunk": i,
                        "text": text,
                        "error": None,
                    }
                )
        return pd.DataFrame(rows, columns=COLUMNS)


def _check_docs(docs: pd.DataFrame) -> None:
    duplicated = docs["doc_id"].duplicated()
    if duplicated.any():
        raise DataError(
            f"PerceptionParser.parse: doc_id {docs['doc_id'][duplicated].tolist()[0]!r} occurs more than "
            "once; doc_id must be unique"
        )
    not_text = ~docs["text"].map(lambda t: isinstance(t, str))
    if not_text.any():
        raise DataError(
            f"PerceptionParser.parse: text of doc_id {docs['doc_id'][not_text].tolist()[0]!r} is not a string "
            f"({docs['text'][not_text].tolist()[0]!r})"
        )
