"""Perception Parser (GPV): texts → atomic, value-laden, self-contained perceptions.

Two prompt styles: ``gpv`` is GPV's own parser (its system prompt verbatim, one ``**Text:** ...`` user
turn per chunk, the ``perceptions`` list of the JSON answer, every perception kept), the default for
chat models; ``fewshot`` is our few-shot prompt with a JSON grammar, the default for base models, which
cannot follow GPV's instructions. Documents are chunked as GPV chunks them (``gpv_chunker``).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from gpla.agents.base import JsonAgent, PromptFormat, require_columns
from gpla.agents.chunking import gpv_chunker
from gpla.agents.parsing import ReplyParseError, string_list
from gpla.agents.prompts.gpv_parser import MAX_TOKENS as GPV_MAX_TOKENS
from gpla.agents.prompts.gpv_parser import gpv_perception_request
from gpla.agents.prompts.perception import MAX_PERCEPTIONS, perception_request
from gpla.errors import ConfigError, DataError
from gpla.models.base import ChatModel, ChatRequest
from gpla.models.tokens import chunk_tokenizer

COLUMNS = ["perception_id", "doc_id", "chunk", "text", "error"]
FEWSHOT_MAX_TOKENS = 384

PromptStyle = Literal["auto", "gpv", "fewshot"]


def _perceptions(obj: object) -> list[str]:
    # Small models repeat themselves until maxItems; a repeated perception is one perception.
    found = string_list(obj, "perceptions", item_keys=("perception", "text"))
    unique: dict[str, str] = {}
    for p in found:
        unique.setdefault(p.lower(), p)
    return list(unique.values())[:MAX_PERCEPTIONS]


def gpv_perceptions(obj: object) -> list[str]:
    """GPV's reading (``gpv/parser.py``): ``response.get("perceptions", [])`` of the JSON object, so a
    missing key means no perceptions; every listed perception is kept, in order."""
    if not isinstance(obj, dict):
        raise ReplyParseError("the reply is not a JSON object")
    found = obj.get("perceptions", [])
    if not isinstance(found, list):
        raise ReplyParseError('"perceptions" is not a list')
    return [p.strip() for p in found if isinstance(p, str) and p.strip()]


class PerceptionParser(JsonAgent):
    """Splits each document into perceptions of its author, or of ``subject`` when given (GPV's
    ``EntityParser`` prompt in the gpv style).

    ``prompt_style``: "gpv", "fewshot", or "auto" = gpv for chat models and fewshot for base models
    (those the model layer reports without a chat template, see ``use_completion``). ``max_tokens``
    None = 1024 (gpv, see ``prompts.gpv_parser``) or 384 (fewshot). Documents are cut into chunks of at most
    ``chunk_tokens`` tokens by semchunk, counted with ``chunk_counter`` (GPV's tiktoken "gpt-4"
    encoding when it is on this machine, else the model's tokenizer, else an estimate); one call per
    chunk, identical chunks parsed once. An unreadable reply is retried once (``repair``; GPV keeps
    no perceptions from it instead).
    """

    def __init__(
        self,
        model: ChatModel | str = "llamacpp:default",
        *,
        subject: str | None = None,
        chunk_tokens: int = 300,
        max_tokens: int | None = None,
        batch_size: int = 16,
        repair: bool = True,
        prompt_format: PromptFormat = "auto",
        prompt_style: PromptStyle = "auto",
    ) -> None:
        if chunk_tokens < 1:  # checked before a model is loaded
            raise ConfigError(
                f"PerceptionParser: chunk_tokens must be positive, got {chunk_tokens}"
            )
        if prompt_style not in ("auto", "gpv", "fewshot"):
            raise ConfigError(
                f"PerceptionParser: prompt_style must be auto, gpv or fewshot, got {prompt_style!r}"
            )
        super().__init__(
            model,
            max_tokens=max_tokens or FEWSHOT_MAX_TOKENS,
            batch_size=batch_size,
            repair=repair,
            prompt_format=prompt_format,
        )
        if prompt_style == "auto":
            prompt_style = "fewshot" if self.completion else "gpv"
        self.prompt_style: PromptStyle = prompt_style
        if max_tokens is None and prompt_style == "gpv":
            self.max_tokens = GPV_MAX_TOKENS
        self.subject = subject
        self.chunk_tokens = chunk_tokens
        tokenizer, self.chunk_counter = chunk_tokenizer(self.model)
        self._chunk = gpv_chunker(chunk_tokens, tokenizer)

    def _request(self, chunk: str) -> ChatRequest:
        if self.prompt_style == "gpv":
            return gpv_perception_request(chunk, self.subject, self.max_tokens)
        return perception_request(chunk, self.subject, self.max_tokens, self.completion)

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
            for i, chunk in enumerate(self._chunk(text))
        ]
        unique = list(dict.fromkeys(c for _, _, c in chunks))
        answers = self._ask(
            [self._request(c) for c in unique],
            gpv_perceptions if self.prompt_style == "gpv" else _perceptions,
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
