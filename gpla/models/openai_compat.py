"""Any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp's server) via the ``openai`` package.

A batch fans out over ``AsyncOpenAI`` under a semaphore (``concurrency``). The client's own retries
are off (``max_retries=0``): the shared wrapper is the only retry loop, asking ``should_retry``.

Servers differ in what they support, so the backend degrades and remembers (``routes``):
- JSON: ``response_format`` json_schema → json_object → schema in the prompt; the answer is then
  read tolerantly (code fences, trailing prose).
- label probabilities: chat ``logprobs``/``top_logprobs`` → the completions endpoint's ``logprobs``
  (llama-cpp-python's server returns empty chat logprobs for a model without a chat template).
- raw prompts go to the completions endpoint (chat models without it get the prompt as a user turn).

``batch_api=True`` sends ``generate`` and ``label_probs`` through the OpenAI Batch API instead
(``batch_api.py``: one job per call and endpoint, resumable by the batch id kept in ``batch_dir``,
default ``$GPLA_CACHE_DIR/batches``); load it with a large wrapper ``batch_size`` so that a stage's
requests make one job, not one per round.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from gpla.errors import ConfigError, ModelError
from gpla.models.backend import Backend, LabelProbs, Outcome
from gpla.models.base import ChatRequest, ChatResult
from gpla.models.extras import require
from gpla.models.labels import LabelProtocol, probs_from_top_logprobs
from gpla.models.prompting import extract_json, json_instruction, plain_chat_prompt

if TYPE_CHECKING:
    from gpla.models.batch_api import BatchJob

OPENAI_URL = "https://api.openai.com/v1"
JSON_MODES = ("json_schema", "json_object", "prompt")
T = TypeVar("T")


def api_key(base_url: str | None, env: str) -> str:
    """The key from ``$env``; servers of our own (any base URL) may run without one."""
    key = os.environ.get(env, "")
    if not key and base_url is None:
        raise ConfigError(f"set the environment variable {env} to use the OpenAI API")
    return key or "not-needed"


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion, also from code that already runs an event loop (notebooks)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


class OpenAIBackend(Backend):
    kind = "openai"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
        concurrency: int = 8,
        top_logprobs: int = 20,
        json_mode: str = "json_schema",
        label_route: str = "chat",
        batch_api: bool = False,
        batch_dir: str | Path | None = None,
        batch_poll_seconds: float = 30.0,
    ) -> None:
        super().__init__()
        if json_mode not in JSON_MODES:
            raise ConfigError(f"json_mode must be one of {JSON_MODES}, got {json_mode!r}")
        if label_route not in ("chat", "completions"):
            raise ConfigError(f"label_route must be 'chat' or 'completions', got {label_route!r}")
        require("openai", "openai", "the openai backend")
        self.model = model
        self.base_url = base_url
        self._key = api_key(base_url, api_key_env)
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.top_logprobs = top_logprobs
        # Learned per backend: the first mode the server accepts is kept for later calls.
        self._json_mode = json_mode
        self._label_route = label_route
        self._raw_route = "completions"
        self.routes = {
            "json": json_mode,
            "label_probs": f"{label_route} logprobs",
            "raw": "completions",
        }
        # Issue 8: the OpenAI Batch API (half price, results within 24 h) instead of live calls.
        self._batch_job: BatchJob | None = None
        if batch_api:
            from gpla.models.batch_api import BatchJob
            from gpla.models.cache import cache_dir

            self._batch_job = BatchJob(
                Path(batch_dir) if batch_dir else cache_dir() / "batches",
                model,
                base_url,
                api_key_env=api_key_env,
                poll_seconds=batch_poll_seconds,
            )
            self.routes = {"generate": "batch API", "label_probs": "batch API logprobs"}

    @property
    def endpoint(self) -> str:
        return self.base_url or OPENAI_URL

    def identity(self) -> dict[str, Any]:
        # Only the top k logprobs are seen, so k changes label probabilities.
        return {**super().identity(), "top_logprobs": self.top_logprobs}

    def secrets(self) -> tuple[str, ...]:
        return (self._key,)

    # -- batches ---------------------------------------------------------------------------------

    def generate(self, requests: Sequence[ChatRequest]) -> list[Outcome[ChatResult]]:
        if self._batch_job is not None:
            return self._batched(requests, None)
        return self._fan_out(requests, self._generate_one)

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: LabelProtocol = "gpv"
    ) -> list[Outcome[LabelProbs]]:
        # Only token strings and the server's top-k logprobs are seen: "gpv" is approximated (README).
        if self._batch_job is not None:
            return [
                r
                if isinstance(r, BaseException)
                else _batch_label_result(r, labels, self.endpoint, protocol)
                for r in self._batched(prompts, self.top_logprobs)
            ]
        return self._fan_out(
            prompts, lambda client, p: self._label_one(client, p, labels, protocol)
        )

    def _batched(
        self, requests: Sequence[ChatRequest], top_logprobs: int | None
    ) -> list[Outcome[ChatResult]]:
        """One Batch API job per endpoint (raw prompts and chat requests go to different ones)."""
        assert self._batch_job is not None
        out: list[Outcome[ChatResult]] = [ModelError("not submitted")] * len(requests)
        for raw in (True, False):
            idx = [i for i, r in enumerate(requests) if r.raw is raw]
            if not idx:
                continue
            try:
                results = self._batch_job.run([requests[i] for i in idx], top_logprobs)
            except ModelError as exc:
                results = [exc] * len(idx)
            for i, result in zip(idx, results, strict=True):
                out[i] = result
        return out

    def _fan_out(
        self, items: Sequence[ChatRequest], one: Callable[[Any, ChatRequest], Awaitable[T]]
    ) -> list[Outcome[T]]:
        async def main() -> list[Outcome[T]]:
            from openai import AsyncOpenAI

            # A client per batch: an async HTTP client belongs to the event loop that made it.
            async with AsyncOpenAI(
                api_key=self._key, base_url=self.base_url, timeout=self.timeout, max_retries=0
            ) as client:
                gate = asyncio.Semaphore(self.concurrency)

                async def guarded(item: ChatRequest) -> T:
                    async with gate:
                        await self.limiter.wait_async()
                        return await one(client, item)

                # Issue 8: send in prompt order, so prompts sharing a prefix reach the server one
                # after another and hit its prefix cache (vLLM, llama.cpp server); answers come
                # back in the caller's order.
                order = sorted(range(len(items)), key=lambda i: _prompt_key(items[i]))
                done = await asyncio.gather(
                    *(guarded(items[i]) for i in order), return_exceptions=True
                )
                out: list[Outcome[T]] = [None] * len(items)  # type: ignore[list-item]
                for i, result in zip(order, done, strict=True):
                    out[i] = result
                return out

        return run_async(main)

    # -- generation ------------------------------------------------------------------------------

    async def _generate_one(self, client: Any, request: ChatRequest) -> ChatResult:
        if request.raw and self._raw_route == "completions":
            try:
                return await self._complete(client, request)
            except Exception as exc:
                if not _unsupported(exc):
                    raise
                self._raw_route = self.routes["raw"] = "chat (prompt as a user turn)"
        return await self._chat(client, request)

    async def _complete(self, client: Any, request: ChatRequest) -> ChatResult:
        resp = await client.completions.create(
            model=self.model,
            prompt=request.prompt_text,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            stop=list(request.stop) or None,
            seed=request.sample_index,
        )
        choice = _first_choice(resp, self.endpoint)
        return self._result(
            request, choice.text or "", choice.finish_reason, resp.usage, "completions"
        )

    async def _chat(self, client: Any, request: ChatRequest) -> ChatResult:
        while True:
            mode = self._json_mode if request.json_schema else None
            try:
                resp = await client.chat.completions.create(
                    model=self.model,
                    messages=self._messages(request, mode),
                    max_tokens=request.max_tokens,
                    temperature=request.temperature,
                    stop=list(request.stop) or None,
                    seed=request.sample_index,
                    **_response_format(request, mode),
                )
                break
            except Exception as exc:
                # A server without structured output rejects response_format: try the next mode.
                if mode in (None, "prompt") or not _unsupported(exc, "response_format"):
                    raise
                nxt = JSON_MODES[JSON_MODES.index(mode) + 1]
                if self._json_mode == mode:
                    self._json_mode = self.routes["json"] = nxt
        choice = _first_choice(resp, self.endpoint)
        text = choice.message.content or ""
        return self._result(request, text, choice.finish_reason, resp.usage, mode or "chat")

    def _messages(self, request: ChatRequest, mode: str | None) -> list[dict[str, str]]:
        msgs = [{"role": m.role, "content": m.content} for m in request.messages]
        if request.raw:
            msgs = [{"role": "user", "content": request.prompt_text}]
        if request.json_schema and mode in ("json_object", "prompt"):
            msgs[-1] = {
                **msgs[-1],
                "content": msgs[-1]["content"] + json_instruction(request.json_schema),
            }
        return msgs

    def _result(
        self, request: ChatRequest, text: str, finish: str | None, usage: Any, route: str
    ) -> ChatResult:
        meta: dict[str, Any] = {"route": route}
        if request.json_schema is not None:
            found = extract_json(text)
            meta["json_valid"] = found is not None
            text = found if found is not None else text
        return ChatResult(
            text=text,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            finish_reason=finish or "stop",
            meta=meta,
        )

    # -- label probabilities ---------------------------------------------------------------------

    async def _label_one(
        self, client: Any, prompt: ChatRequest, labels: Sequence[str], protocol: LabelProtocol
    ) -> LabelProbs:
        if not prompt.raw and self._label_route == "chat":
            resp = await client.chat.completions.create(
                model=self.model,
                messages=self._messages(prompt, None),
                max_tokens=1,
                temperature=0.0,
                logprobs=True,
                top_logprobs=self.top_logprobs,
            )
            content = getattr(_first_choice(resp, self.endpoint).logprobs, "content", None)
            if content:
                top = {t.token: t.logprob for t in content[0].top_logprobs}
                return _label_result(top, labels, resp.usage, protocol)
            # Empty chat logprobs (e.g. llama-cpp-python's server on a base model): use completions.
            self._label_route = "completions"
            self.routes["label_probs"] = "completions logprobs (chat endpoint returned none)"
        resp = await client.completions.create(
            model=self.model,
            prompt=plain_chat_prompt(prompt),
            max_tokens=1,
            temperature=0.0,
            logprobs=self.top_logprobs,
        )
        logprobs = _first_choice(resp, self.endpoint).logprobs
        tops = getattr(logprobs, "top_logprobs", None)
        if not tops or not tops[0]:
            raise ModelError(
                f"{self.endpoint}: the server returned no top logprobs for label_probs"
            )
        return _label_result(dict(tops[0]), labels, resp.usage, protocol)

    # -- failures --------------------------------------------------------------------------------

    def should_retry(self, exc: BaseException) -> bool:
        import openai

        if isinstance(exc, openai.APIStatusError):
            return exc.status_code in (408, 409, 429) or exc.status_code >= 500
        # Timeouts (a subclass of connection errors), refused or dropped connections, truncated
        # bodies, and 200s whose body is not JSON or not the expected shape.
        transient = (
            openai.APIConnectionError | openai.APIResponseValidationError | json.JSONDecodeError
        )
        return isinstance(exc, transient)

    def retry_after(self, exc: BaseException) -> float | None:
        headers = getattr(getattr(exc, "response", None), "headers", None)
        if not headers:
            return None
        if ms := headers.get("retry-after-ms"):
            try:
                return float(ms) / 1000
            except ValueError:
                pass
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return float(value)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time()) if when else None


def _prompt_key(request: ChatRequest) -> tuple[str, ...]:
    return tuple(m.content for m in request.messages)


def _response_format(request: ChatRequest, mode: str | None) -> dict[str, Any]:
    if mode == "json_schema":
        schema = {"name": "answer", "schema": request.json_schema, "strict": False}
        return {"response_format": {"type": "json_schema", "json_schema": schema}}
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def _unsupported(exc: BaseException, feature: str | None = None) -> bool:
    """Whether the server said "I do not do that" (as opposed to failing transiently): a 400/404/422,
    or any error status whose message names ``feature`` (llama-cpp-python's server answers an
    unknown ``response_format`` type with a 500 that quotes its validation error)."""
    import openai

    if isinstance(
        exc, openai.BadRequestError | openai.NotFoundError | openai.UnprocessableEntityError
    ):
        return True
    return feature is not None and isinstance(exc, openai.APIStatusError) and feature in str(exc)


def _first_choice(resp: Any, endpoint: str) -> Any:
    choices = getattr(resp, "choices", None)
    if not choices:
        raise ModelError(f"{endpoint}: the response has no choices")
    return choices[0]


def _batch_label_result(
    result: ChatResult, labels: Sequence[str], endpoint: str, protocol: LabelProtocol
) -> Outcome[LabelProbs]:
    top = result.meta.get("top_logprobs")
    if not top:
        return ModelError(f"{endpoint}: the batch answer has no top logprobs for label_probs")
    return LabelProbs(
        probs=np.asarray(probs_from_top_logprobs(top, labels, protocol)),
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
    )


def _label_result(
    top: dict[str, float], labels: Sequence[str], usage: Any, protocol: LabelProtocol
) -> LabelProbs:
    return LabelProbs(
        probs=np.asarray(probs_from_top_logprobs(top, labels, protocol)),
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )
