"""Model spec strings → wrapped models. Backends are imported only when their spec is used.

Specs: ``llamacpp:default``, ``llamacpp:/path/model.gguf``, ``openai:MODEL``,
``openai:MODEL@http://127.0.0.1:8000/v1``, ``hf:NAME_OR_PATH``, ``hf:default`` (the packaged Gemma as
a transformers folder), ``vllm:NAME_OR_PATH``, ``vllm:default`` (vLLM in-process on that folder);
embeddings ``st:default``, ``st:NAME``, ``openai:MODEL[@URL]``.

A few string options can ride in the spec itself, so that a config file can set them:
``hf:NAME?dtype=bfloat16&device=cuda`` (``SPEC_OPTIONS``); in code they are keyword options.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpla.errors import ConfigError
from gpla.models.backend_registry import (
    CHAT_BACKENDS,
    EMBEDDING_BACKENDS,
    chat_backends,
    embedding_backends,
    register_chat_backend,
    register_embedding_backend,
)
from gpla.models.base import ChatModel, EmbeddingModel

__all__ = [
    "CHAT_BACKENDS",
    "EMBEDDING_BACKENDS",
    "ModelSpec",
    "load_chat_model",
    "load_embedding_model",
    "parse_spec",
    "register_chat_backend",
    "register_embedding_backend",
]
# Options the shared wrapper consumes; every other option goes to the backend.
WRAPPER_OPTIONS = ("cache", "max_attempts", "rate_limit", "batch_size")
# String options a spec may carry after "?" (key=value&...), per backend kind.
SPEC_OPTIONS = {
    "hf": ("dtype", "device"),
    "llamacpp": ("n_ctx", "n_threads"),
    "vllm": ("dtype", "max_model_len", "gpu_memory_utilization", "kv_cache_gb", "enforce_eager"),
}


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    model: str
    base_url: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.options)
        return (f"{self.kind}:{self.model}" + (f"?{query}" if query else "")
                + (f"@{self.base_url}" if self.base_url else ""))


def _spec_options(spec: str, kind: str, query: str) -> tuple[tuple[str, str], ...]:
    allowed = SPEC_OPTIONS.get(kind, ())
    out = []
    for item in query.split("&"):
        key, eq, value = item.partition("=")
        if not eq or key not in allowed or not value:
            raise ConfigError(
                f"model spec {spec!r}: {item!r} is not an option of {kind}: specs; "
                f"options there: {', '.join(allowed) or 'none'} (as ?key=value&key=value)"
            )
        out.append((key, value))
    return tuple(out)


def parse_spec(
    spec: str, kinds: tuple[str, ...] | None = None, *, embedding: bool = False
) -> ModelSpec:
    """``kind:model[@base_url]`` → ModelSpec; a clear ConfigError for anything else. Without
    ``kinds``, a kind is any registered chat (``embedding``: embedding) backend, built in or
    discovered through an entry point."""
    kind, sep, rest = spec.strip().partition(":")
    registry = embedding_backends if embedding else chat_backends
    # knows() looks at entry points only for a kind not built in, so a built-in spec stays cheap.
    known = kind in kinds if kinds is not None else registry.knows(kind)
    if not sep or not known or not rest:
        kinds = kinds if kinds is not None else registry.kinds()
        raise ConfigError(
            f"model spec {spec!r} is not of the form KIND:MODEL with KIND one of {', '.join(kinds)} "
            "(e.g. llamacpp:default, openai:gpt-4o-mini@http://127.0.0.1:8000/v1, hf:NAME)"
        )
    base_url = None
    if kind == "openai" and "@" in rest:
        rest, base_url = rest.rsplit("@", 1)
        if not base_url.startswith(("http://", "https://")) or not rest:
            raise ConfigError(f"model spec {spec!r}: expected openai:MODEL@http(s)://HOST/PATH")
    options: tuple[tuple[str, str], ...] = ()
    if kind in SPEC_OPTIONS and "?" in rest:
        rest, query = rest.rsplit("?", 1)
        options = _spec_options(spec, kind, query)
    return ModelSpec(kind, rest, base_url, options)


def _construct(target: str | Callable[..., Any], what: str, spec: ModelSpec, options: dict[str, Any]) -> Any:
    """Import ``module:Class`` and build it, naming any option it does not take."""
    if isinstance(target, str):
        module, _, name = target.partition(":")
        cls = getattr(importlib.import_module(module), name)
    else:
        cls = target
    try:
        inspect.signature(cls).bind(spec.model, base_url=spec.base_url, **options)
    except TypeError as exc:
        raise ConfigError(f"{what}: unsupported option ({exc})") from None
    return cls(spec.model, base_url=spec.base_url, **options)


def load_chat_model(spec: str | ChatModel, **options: Any) -> ChatModel:
    """The backend named by ``spec``, wrapped once with the persistent cache, retries, rate limit
    and usage counters (``.usage``). A model object passes through unchanged.

    Wrapper options: ``cache`` (True = ``$GPLA_CACHE_DIR``, False = off, or a path),
    ``max_attempts`` (6), ``rate_limit`` (requests/s, None = unlimited), ``batch_size`` (32 requests
    stored per round). Other options go to the backend (e.g. ``api_key_env``, ``timeout``,
    ``concurrency``, ``n_ctx``).
    """
    if not isinstance(spec, str):
        return spec
    from gpla.models.cache import CallCache
    from gpla.models.recipes import recipe
    from gpla.models.wrapper import CachedModel

    asked = dict(options)
    parsed = parse_spec(spec)
    options = {**dict(parsed.options), **options}  # keyword options win over the spec's
    wrapper_opts = {k: options.pop(k) for k in WRAPPER_OPTIONS if k in options}
    cache_opt = wrapper_opts.pop("cache", True)
    cache = None
    if cache_opt is True:
        cache = CallCache()
    elif cache_opt not in (False, None):
        cache = cache_opt if isinstance(cache_opt, CallCache) else CallCache(Path(cache_opt))
    backend = _construct(chat_backends.target(parsed.kind), f"model {spec!r}", parsed, options)
    model = CachedModel(backend, cache=cache, **wrapper_opts)
    model.recipe = recipe(spec, asked, cache)  # how another process loads it (gpla/models/recipes.py)
    return model


def load_embedding_model(
    spec: str | EmbeddingModel = "st:default", cache: bool | str | Path = True, **options: Any
) -> EmbeddingModel:
    """A sentence-transformers (``st:default`` = packaged all-MiniLM-L6-v2) or OpenAI-compatible
    embedding model; rows of ``embed()`` are L2-normalised. ``cache`` (True = ``$GPLA_CACHE_DIR``,
    False = off, or a path) keeps every text's vector across runs (``embedding_cache.py``)."""
    if not isinstance(spec, str):
        return spec
    parsed = parse_spec(spec, embedding=True)
    model: Any = _construct(
        embedding_backends.target(parsed.kind), f"embedding model {spec!r}", parsed, options
    )
    if cache is False:
        return model
    from gpla.models.embedding_cache import CachedEmbedding
    from gpla.models.recipes import recipe

    path = None if cache is True else Path(cache)
    cached = CachedEmbedding(model, model.identity(), path)
    cached.recipe = recipe(spec, options, cached._cache)
    return cached
