"""OpenAI Batch API for the administration and evaluation stages (issue 8): half the price, 24 h window.

``BatchJob(state_dir, model, base_url).run(requests)`` writes the requests as JSONL, uploads it,
creates a batch, polls until it ends and returns one ``ChatResult`` (or ``ModelError``) per request.
``run(requests, top_logprobs=k)`` asks for the first token's top-k log-probabilities instead (label
probabilities), returned in ``ChatResult.meta["top_logprobs"]``. Raw prompts go to the completions
endpoint, as ``OpenAIBackend`` sends them; a batch holds one endpoint, so raw and chat requests are
not mixed.
The batch id is written to ``state_dir`` *before* waiting, keyed by the content of the request set:
a rerun after an interruption (Ctrl-C, crash, a new day) polls the batch already paid for instead of
submitting it again. The state file is removed once the results are read.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gpla.errors import ConfigError, ModelError
from gpla.models.base import ChatRequest, ChatResult
from gpla.models.extras import require
from gpla.models.openai_compat import api_key
from gpla.models.wrapper import wait_scale

CHAT, COMPLETIONS = "/v1/chat/completions", "/v1/completions"
_FINAL = {"completed", "failed", "expired", "cancelled"}


def endpoint_for(requests: Sequence[ChatRequest]) -> str:
    raw = {r.raw for r in requests}
    if len(raw) > 1:
        raise ConfigError("batch_api: one batch cannot mix raw completion prompts and chat requests")
    return COMPLETIONS if raw == {True} else CHAT


def request_body(
    model: str, request: ChatRequest, top_logprobs: int | None = None
) -> dict[str, Any]:
    """The body of one request: a completion for raw prompts, else a chat completion; with
    ``top_logprobs``, a one-token greedy answer with its top-k log-probabilities."""
    if request.json_schema is not None:
        raise ConfigError("batch_api: JSON-schema requests are not supported in batches yet")
    body: dict[str, Any] = {"model": model, "seed": request.sample_index}
    if request.raw:
        body["prompt"] = request.prompt_text
    else:
        body["messages"] = [{"role": m.role, "content": m.content} for m in request.messages]
    if top_logprobs is None:
        body.update(max_tokens=request.max_tokens, temperature=request.temperature)
        if request.stop:
            body["stop"] = list(request.stop)
    elif request.raw:
        body.update(max_tokens=1, temperature=0.0, logprobs=top_logprobs)
    else:
        body.update(max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=top_logprobs)
    return body


def batch_lines(
    model: str, requests: Sequence[ChatRequest], top_logprobs: int | None = None
) -> list[str]:
    """JSONL lines; ``custom_id`` is the request's position (answers may come back in any order)."""
    url = endpoint_for(requests)
    return [
        json.dumps(
            {
                "custom_id": f"r{i}",
                "method": "POST",
                "url": url,
                "body": request_body(model, r, top_logprobs),
            },
            sort_keys=True,
        )
        for i, r in enumerate(requests)
    ]


class BatchJob:
    """One resumable batch per distinct request set; see the module docstring."""

    def __init__(
        self,
        state_dir: Path,
        model: str,
        base_url: str | None = None,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        poll_seconds: float = 30.0,
        timeout_seconds: float = 26 * 3600,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.model = model
        self.base_url = base_url
        self._key = api_key(base_url, api_key_env)
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep

    def _client(self) -> Any:
        openai = require("openai", "openai", "the OpenAI Batch API")
        return openai.OpenAI(api_key=self._key, base_url=self.base_url, max_retries=3)

    def state_path(self, lines: Sequence[str]) -> Path:
        digest = hashlib.sha256("\n".join([self.base_url or "", *lines]).encode()).hexdigest()
        return self.state_dir / f"batch-{digest[:24]}.json"

    def submit(self, requests: Sequence[ChatRequest], top_logprobs: int | None = None) -> str:
        """The batch id for ``requests``: the stored one if this set was submitted before."""
        lines = batch_lines(self.model, requests, top_logprobs)
        state = self.state_path(lines)
        if state.is_file():
            return str(json.loads(state.read_text())["batch_id"])
        client = self._client()
        try:
            upload = client.files.create(
                file=("requests.jsonl", ("\n".join(lines) + "\n").encode()), purpose="batch"
            )
            batch = client.batches.create(
                input_file_id=upload.id, endpoint=endpoint_for(requests), completion_window="24h"
            )
        except Exception as exc:
            raise ModelError(
                f"{self._where}: cannot submit the batch: {self._clean(exc)}"
            ) from None
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = state.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"batch_id": batch.id, "input_file_id": upload.id, "n": len(lines)})
        )
        tmp.replace(state)  # atomic: a crash leaves either no state or a complete one
        return str(batch.id)

    def run(
        self, requests: Sequence[ChatRequest], top_logprobs: int | None = None
    ) -> list[ChatResult | ModelError]:
        """Submit (or resume), wait, and return one result or error per request, in order."""
        if not requests:
            return []
        batch_id = self.submit(requests, top_logprobs)
        client = self._client()
        deadline = time.monotonic() + self.timeout_seconds
        polls = 0
        while True:
            try:
                batch = client.batches.retrieve(batch_id)
            except Exception as exc:
                raise ModelError(
                    f"{self._where}: cannot poll batch {batch_id}: {self._clean(exc)}"
                ) from None
            if batch.status in _FINAL:
                break
            if time.monotonic() > deadline:
                raise ModelError(
                    f"{self._where}: batch {batch_id} still {batch.status}; rerun later to resume it"
                )
            # Small jobs often finish in seconds: poll after 1 s, 2 s, 4 s, ... up to poll_seconds.
            self._sleep(min(self.poll_seconds, 2.0**polls) * wait_scale())
            polls += 1
        state = self.state_path(batch_lines(self.model, requests, top_logprobs))
        if batch.status == "failed":  # rejected as a whole (nothing billed): a rerun resubmits
            state.unlink(missing_ok=True)
            raise ModelError(f"{self._where}: batch {batch_id} failed: {batch.errors}")
        # completed, or expired/cancelled with whatever finished: read it, the rest are errors.
        results = self._read(client, batch, len(requests))
        state.unlink(missing_ok=True)
        return results

    def _read(self, client: Any, batch: Any, n: int) -> list[ChatResult | ModelError]:
        out: list[ChatResult | ModelError] = [
            ModelError(f"{self._where}: batch {batch.id} returned no answer for request {i}")
            for i in range(n)
        ]
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            for line in client.files.content(file_id).text.splitlines():
                if line.strip():
                    self._store(json.loads(line), out)
        return out

    def _store(self, record: dict[str, Any], out: list[ChatResult | ModelError]) -> None:
        i = int(str(record.get("custom_id", "r-1"))[1:])
        if not 0 <= i < len(out):
            return
        response = record.get("response") or {}
        body = response.get("body") or {}
        if (
            record.get("error")
            or response.get("status_code", 200) != 200
            or not body.get("choices")
        ):
            reason = (
                record.get("error") or body.get("error") or f"status {response.get('status_code')}"
            )
            out[i] = ModelError(f"{self._where}: batch request {i} failed: {reason}")
            return
        choice = body["choices"][0]
        usage = body.get("usage") or {}
        meta: dict[str, Any] = {"route": "batch"}
        top = _top_logprobs(choice.get("logprobs"))
        if top is not None:
            meta["top_logprobs"] = top
        out[i] = ChatResult(
            text=(choice.get("message") or {}).get("content") or choice.get("text") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=choice.get("finish_reason") or "stop",
            meta=meta,
        )

    @property
    def _where(self) -> str:
        return self.base_url or "https://api.openai.com/v1"

    def _clean(self, exc: BaseException) -> str:
        return str(exc).replace(self._key, "***") if self._key else str(exc)


def _top_logprobs(logprobs: Any) -> dict[str, float] | None:
    """The first token's ``{token: logprob}`` from a chat (``content``) or completions
    (``top_logprobs``) logprobs object; None when there is none."""
    if not isinstance(logprobs, dict):
        return None
    content = logprobs.get("content")
    if content:
        return {t["token"]: float(t["logprob"]) for t in content[0].get("top_logprobs") or []}
    tops = logprobs.get("top_logprobs")
    if tops and tops[0]:
        return {str(k): float(v) for k, v in tops[0].items()}
    return None
