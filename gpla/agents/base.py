"""What every agent shares: resolving a model spec, and running a batch of JSON-answer requests with one
repair retry per unreadable reply.

Parse failures never raise: each becomes an ``Answer`` with ``error`` set, which the agents turn into
output rows with an ``error`` column, so one bad reply never costs the rest of a batch. A backend that
fails for good (``ModelError`` after the model layer's retries) does raise: thousands of error rows
would hide a dead endpoint, and the model cache keeps every answer already paid for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import pandas as pd

from gpla.agents.parsing import ReplyParseError, extract_json
from gpla.errors import ConfigError, DataError
from gpla.models.base import ChatModel, ChatRequest, Message
from gpla.progress import progress_bar

T = TypeVar("T")
PromptFormat = Literal["auto", "chat", "completion"]

REPAIR_INSTRUCTION = (
    "\n\nYour reply above could not be used: {error}. Reply again with only the JSON object, "
    "exactly in the format asked for, and nothing else.\n"
)


@dataclass(frozen=True)
class Answer(Generic[T]):
    """One request's outcome: the parsed value, or the reason it could not be parsed."""

    value: T | None
    error: str | None
    raw: str


class Agent:
    """Holds the model and the batch size. ``model`` is a ``ChatModel`` or a spec string."""

    def __init__(
        self, model: ChatModel | str = "llamacpp:default", *, batch_size: int = 16
    ) -> None:
        if batch_size < 1:
            raise ConfigError(
                f"{type(self).__name__}: batch_size must be positive, got {batch_size}"
            )
        self.model = resolve_model(model)
        self.batch_size = batch_size


class JsonAgent(Agent):
    """An agent whose model answers in JSON to few-shot prompts; an unreadable reply is repaired once.

    ``prompt_format`` ("auto", "chat", "completion") chooses the few-shot layout (``completion``);
    "auto" uses plain completions for base models.
    """

    def __init__(
        self,
        model: ChatModel | str = "llamacpp:default",
        *,
        max_tokens: int,
        batch_size: int = 16,
        repair: bool = True,
        prompt_format: PromptFormat = "auto",
    ) -> None:
        super().__init__(model, batch_size=batch_size)
        self.completion = use_completion(self.model, prompt_format)
        self.max_tokens = max_tokens
        self.repair = repair

    def _ask(
        self, requests: Sequence[ChatRequest], parse: Callable[[object], T], description: str
    ) -> list[Answer[T]]:
        return generate_json(
            self.model,
            requests,
            parse,
            batch_size=self.batch_size,
            description=description,
            repair=self.repair,
        )


def resolve_model(model: ChatModel | str) -> ChatModel:
    if isinstance(model, str):
        # Lazy: loading a backend may import heavy libraries.
        from gpla.models import load_chat_model

        return load_chat_model(model)
    if not isinstance(model, ChatModel):
        raise ConfigError(
            f"expected a ChatModel or a model spec string, got {type(model).__name__}"
        )
    return model


def use_completion(model: ChatModel, prompt_format: PromptFormat) -> bool:
    """Whether few-shot prompts go out as plain completions (``fewshot``'s base-model layout).

    ``"auto"`` picks it for models that have no chat template — the model layer reports that in
    ``model.routes["chat"]`` ("plain transcript ...") — and the chat layout otherwise.
    """
    if prompt_format not in ("auto", "chat", "completion"):
        raise ConfigError(f"prompt_format must be auto, chat or completion, got {prompt_format!r}")
    if prompt_format == "auto":
        routes = getattr(model, "routes", None)
        chat_route = routes.get("chat", "") if isinstance(routes, dict) else ""
        return chat_route.startswith("plain")
    return prompt_format == "completion"


def repair_request(request: ChatRequest, reply: str, error: str) -> ChatRequest:
    """The request continued by the bad reply and an instruction to answer again in valid JSON.

    The same options are kept (a JSON schema keeps constraining the answer); for raw completion prompts
    the messages are joined, so the repair reads as a continuation of the prompt.
    """
    messages = (
        *request.messages,
        Message("assistant", reply),
        # A plain completion prompt must end where the answer starts, as its few-shot blocks do.
        Message(
            "user",
            REPAIR_INSTRUCTION.format(error=error.rstrip(".")) + ("JSON: " if request.raw else ""),
        ),
    )
    return ChatRequest(
        messages=messages,
        temperature=request.temperature,
        max_tokens=request.max_tokens,
        json_schema=request.json_schema,
        stop=request.stop,
        raw=request.raw,
        sample_index=request.sample_index,
    )


def generate_json(
    model: ChatModel,
    requests: Sequence[ChatRequest],
    parse: Callable[[object], T],
    *,
    batch_size: int,
    description: str,
    repair: bool = True,
) -> list[Answer[T]]:
    """Send ``requests`` in batches; read each reply with ``extract_json`` then ``parse``.

    Replies that fail are sent once more as ``repair_request``s (batched too). ``parse`` raises
    ``ReplyParseError`` for a JSON value of the wrong shape.
    """
    answers = _run(model, requests, parse, batch_size, description)
    if repair:
        failed = [i for i, a in enumerate(answers) if a.error is not None]
        retries = [
            repair_request(requests[i], answers[i].raw, answers[i].error or "") for i in failed
        ]
        for i, retry in zip(
            failed, _run(model, retries, parse, batch_size, f"{description} (repair)"), strict=True
        ):
            first = answers[i]
            answers[i] = (
                retry
                if retry.error is None
                else Answer(None, f"{first.error}; after repair: {retry.error}", first.raw)
            )
    return answers


def _run(
    model: ChatModel,
    requests: Sequence[ChatRequest],
    parse: Callable[[object], T],
    batch_size: int,
    description: str,
) -> list[Answer[T]]:
    answers: list[Answer[T]] = []
    if not requests:
        return answers
    with progress_bar(description, len(requests)) as (bar, task):
        for start in range(0, len(requests), batch_size):
            batch = requests[start : start + batch_size]
            results = model.generate(batch)
            answers.extend(_read(r.text, r.finish_reason, parse) for r in results)
            bar.advance(task, len(batch))
    return answers


def _read(text: str, finish_reason: str, parse: Callable[[object], T]) -> Answer[T]:
    try:
        return Answer(parse(extract_json(text)), None, text)
    except ReplyParseError as err:
        reason = str(err)
        if finish_reason == "length":
            reason += " (the reply hit max_tokens)"
        return Answer(None, reason, text)


def require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ``DataError`` naming the missing columns of ``df``."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{what}: missing column(s) {', '.join(missing)}; got {', '.join(map(str, df.columns)) or 'none'}"
        )


def usable_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows without an upstream ``error`` (failure rows of an earlier agent are passed over)."""
    if "error" not in df.columns:
        return df
    return df[df["error"].isna()]
