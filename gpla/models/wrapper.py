"""The one layer every backend shares: cache, retries, rate limit and usage counters.

``CachedModel`` is what ``load_chat_model`` returns. Per batch: identical requests are asked once,
cache hits are answered locally, misses go to the backend in chunks (each chunk's successes are
stored before the next is sent, so an interrupted run resumes where it stopped), failed items are
retried with exponential backoff and jitter honouring ``Retry-After``, and results come back in order.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import tenacity

from gpla.errors import ConfigError, DataError, ModelError
from gpla.models.backend import Backend, LabelProbs, Outcome
from gpla.models.base import ChatRequest, ChatResult
from gpla.models.cache import CallCache, request_key
from gpla.models.labels import check_protocol
from gpla.models.ratelimit import RateLimiter
from gpla.models.usage import Usage, record

log = logging.getLogger("gpla.models")

R = TypeVar("R", ChatResult, LabelProbs)


class _Transient(Exception):
    """Some items of a round failed in a retryable way; carries the first cause and Retry-After."""

    def __init__(self, cause: BaseException, retry_after: float | None, n_failed: int) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.retry_after = retry_after
        self.n_failed = n_failed


def wait_scale() -> float:
    """Tests set ``GPLA_RETRY_WAIT_SCALE=0``: retries (and Batch API polls) still happen, without sleeping."""
    try:
        return float(os.environ.get("GPLA_RETRY_WAIT_SCALE", "1"))
    except ValueError:
        return 1.0


class CachedModel:
    """A ``ChatModel``: a backend behind the shared cache/retry/rate-limit/usage layer."""

    def __init__(
        self,
        backend: Backend,
        *,
        cache: CallCache | None = None,
        max_attempts: int = 6,
        rate_limit: float | None = None,
        batch_size: int = 32,
        max_wait: float = 60.0,
    ) -> None:
        self.backend = backend
        self.name = backend.name
        self.cache = cache
        self.max_attempts = max(1, max_attempts)
        self.batch_size = max(1, batch_size)
        self.max_wait = max_wait
        self.usage = Usage()
        backend.limiter = RateLimiter(rate_limit)
        self.recipe: tuple[str, dict[str, Any]] | None = None
        """Set by ``load_chat_model``: how another process loads this model (``recipes.py``)."""

    def __reduce__(self) -> tuple[Any, ...]:
        # A Ray actor receives the recipe and loads the model itself, once per process.
        from gpla.models.recipes import rebuild_chat_model

        if self.recipe is None:
            raise TypeError(f"{self.name}: only a model from load_chat_model can be sent to another process")
        return rebuild_chat_model, self.recipe

    @property
    def routes(self) -> dict[str, str]:
        """How the backend obtains JSON and label probabilities (see ``Backend.routes``)."""
        return self.backend.routes

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        ident = self.backend.identity()
        keys = [request_key(ident, "generate", r) for r in requests]
        stored = self._answer(requests, keys, self.backend.generate, _encode_result, "generate")
        return [_decode_result(*stored[k]) for k in keys]

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: str = "gpv"
    ) -> np.ndarray:
        labels = list(labels)
        proto = check_protocol(protocol)
        ident = self.backend.identity()
        # The protocol is in the key: results of the two protocols never mix.
        keys = [request_key(ident, "label_probs", p, labels=labels, protocol=proto) for p in prompts]

        def call(batch: Sequence[ChatRequest]) -> list[Outcome[LabelProbs]]:
            return self.backend.label_probs(batch, labels, proto)

        stored = self._answer(prompts, keys, call, _encode_probs, "label_probs")
        return np.array([stored[k][0] for k in keys], dtype=float).reshape(
            len(prompts), len(labels)
        )

    def close(self) -> None:
        self.backend.close()

    # -- internals -------------------------------------------------------------------------------

    def _answer(
        self,
        requests: Sequence[ChatRequest],
        keys: list[str],
        call: Callable[[Sequence[ChatRequest]], list[Outcome[R]]],
        encode: Callable[[R], Any],
        method: str,
    ) -> dict[str, tuple[Any, bool]]:
        """Stored value and whether it was a cache hit, for every distinct key."""
        unique = dict(zip(keys, requests, strict=True))
        hits = self.cache.get_many(list(unique)) if self.cache is not None else {}
        if hits:
            record(self.usage, cache_hits=sum(k in hits for k in keys))
        answers: dict[str, tuple[Any, bool]] = {k: (v, True) for k, v in hits.items()}
        misses = [k for k in unique if k not in hits]
        for start in range(0, len(misses), self.batch_size):
            chunk = misses[start : start + self.batch_size]
            fresh = self._with_retries(chunk, [unique[k] for k in chunk], call, encode, method)
            answers.update((k, (v, False)) for k, v in fresh.items())
        return answers

    def _with_retries(
        self,
        keys: list[str],
        requests: list[ChatRequest],
        call: Callable[[Sequence[ChatRequest]], list[Outcome[R]]],
        encode: Callable[[R], Any],
        method: str,
    ) -> dict[str, Any]:
        done: dict[str, Any] = {}
        pending = list(range(len(keys)))
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Transient),
            before_sleep=self._log_retry,
            sleep=lambda seconds: time.sleep(seconds * wait_scale()),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self._round(keys, requests, pending, call, encode, done, method)
        except _Transient as exc:
            raise self._error(method, exc.cause, self.max_attempts) from None
        return done

    def _round(
        self,
        keys: list[str],
        requests: list[ChatRequest],
        pending: list[int],
        call: Callable[[Sequence[ChatRequest]], list[Outcome[R]]],
        encode: Callable[[R], Any],
        done: dict[str, Any],
        method: str,
    ) -> None:
        """Send the pending items once and store the successes; ``pending`` keeps only the failed
        ones, which raise (``_Transient`` when all of them are worth another try)."""
        batch = [requests[i] for i in pending]
        try:
            outcomes: list[Outcome[R]] = call(batch)
        except (ConfigError, DataError):
            raise  # the caller's mistake (bad labels, schema, options): no retry, no rewording
        except Exception as exc:  # a whole-batch failure is every item's failure
            outcomes = [exc] * len(batch)
        if len(outcomes) != len(batch):
            raise ModelError(
                f"{self.backend.endpoint}: backend returned {len(outcomes)} results for {len(batch)} requests"
            )
        stored: list[tuple[str, Any]] = []
        failed: list[tuple[int, BaseException]] = []
        for i, out in zip(pending, outcomes, strict=True):
            if isinstance(out, BaseException):
                failed.append((i, out))
            else:
                stored.append((keys[i], encode(out)))
                tokens = {
                    "prompt_tokens": out.prompt_tokens,
                    "completion_tokens": out.completion_tokens,
                }
                record(self.usage, calls=1, **tokens)
        done.update(stored)
        if self.cache is not None:
            self.cache.put_many(self.name, stored)
        pending[:] = [i for i, _ in failed]
        if not failed:
            return
        fatal = next((e for _, e in failed if not self.backend.should_retry(e)), None)
        if fatal is not None:
            raise self._error(method, fatal, 1) from None
        waits = [w for _, e in failed if (w := self.backend.retry_after(e)) is not None]
        raise _Transient(failed[0][1], max(waits) if waits else None, len(failed))

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Exponential backoff with jitter, or longer if the server asked (unscaled: the sleep
        function applies ``GPLA_RETRY_WAIT_SCALE``, so logs show the real policy)."""
        base = tenacity.wait_exponential_jitter(initial=1, max=self.max_wait)(state)
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, _Transient) and exc.retry_after else 0.0
        return max(base, min(asked, self.max_wait * 5))

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient):
            record(self.usage, retries=exc.n_failed)
        cause = self._describe(exc.cause if isinstance(exc, _Transient) else exc)
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s: attempt %d failed (%s); retrying in %.1f s",
            self.backend.endpoint,
            state.attempt_number,
            cause,
            wait,
        )

    def _describe(self, exc: BaseException | None) -> str:
        text = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"
        root = exc.__cause__ if exc is not None else None
        # openai says only "Connection error."; the cause underneath says "connection refused".
        if root is not None and str(root) and str(root) not in text:
            text += f" ({type(root).__name__}: {root})"
        for secret in self.backend.secrets():
            if secret:
                text = text.replace(secret, "***")
        return text

    def _error(self, method: str, cause: BaseException, attempts: int) -> ModelError:
        if isinstance(cause, ModelError):
            return ModelError(self._describe(cause).removeprefix("ModelError: "))
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return ModelError(
            f"{self.backend.endpoint}: {method} failed{tries}: {self._describe(cause)}"
        )


def _encode_result(r: ChatResult) -> dict[str, Any]:
    return {
        "text": r.text,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "finish_reason": r.finish_reason,
        "meta": r.meta,
    }


def _decode_result(value: dict[str, Any], cached: bool) -> ChatResult:
    return ChatResult(**value, cached=cached)


def _encode_probs(r: LabelProbs) -> list[float]:
    return [float(x) for x in np.asarray(r.probs, dtype=float)]
