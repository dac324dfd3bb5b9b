"""A loaded model travels to another process (a Ray actor) as its recipe: its spec and options.

Pickling a ``CachedModel`` or ``CachedEmbedding`` stores how it was loaded, never its weights,
connections or keys; unpickling loads it in the receiving process, once per process however many
stages and batches arrive there. The call cache travels as a path; secrets stay where they always
come from, the environment of the process that calls the model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Recipe = tuple[str, dict[str, Any]]

_rebuilt: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()


def recipe(spec: str, options: dict[str, Any], cache: Any) -> Recipe:
    """``spec`` and the keyword ``options`` of ``load_*_model``, with the resolved cache: its file's
    path (so the receiver writes where the sender would, whatever its ``$GPLA_CACHE_DIR``) or False."""
    path = getattr(cache, "path", None)
    return spec, {**options, "cache": str(path) if path is not None else False}


def rebuild_chat_model(spec: str, options: dict[str, Any]) -> Any:
    return _rebuild("chat", spec, options)


def rebuild_embedding_model(spec: str, options: dict[str, Any]) -> Any:
    return _rebuild("embedding", spec, options)


def _rebuild(kind: str, spec: str, options: dict[str, Any]) -> Any:
    from gpla.models.registry import load_chat_model, load_embedding_model

    key = (kind, spec, repr(sorted(options.items())))
    with _lock:  # one load per process, even when two threads unpickle at once
        if key not in _rebuilt:
            if kind == "chat":
                _rebuilt[key] = load_chat_model(spec, **options)
            else:
                opts = dict(options)
                cache = opts.pop("cache")
                _rebuilt[key] = load_embedding_model(spec, cache=Path(cache) if cache else False, **opts)
        return _rebuilt[key]



def chat_recipe(spec: str, options: dict[str, Any]) -> Recipe:
    """The recipe ``load_chat_model(spec, **options)`` would record, without loading anything."""
    from gpla.models.cache import CallCache, cache_dir

    cache = options.get("cache", True)
    path: Any = None
    if cache is True:
        path = cache_dir() / "calls.sqlite"
    elif isinstance(cache, CallCache):
        path = cache.path
    elif cache not in (False, None):
        path = Path(cache)
    return spec, {**options, "cache": str(path) if path is not None else False}


class LazyChatModel:
    """A chat model that loads on first use and travels as its recipe. What a Ray driver holds
    (``ModelPool(lazy=True)``): the subjects' models and the evaluator then load only in the
    workers that call them, never on a head node that may have no GPU for them."""

    def __init__(self, spec: str, options: dict[str, Any], load: Callable[..., Any]) -> None:
        self.name = spec.split("?", 1)[0]
        self.recipe = chat_recipe(spec, options)
        self._load = lambda: load(spec, **options)
        self._model: Any = None

    @property
    def loaded(self) -> Any:
        if self._model is None:
            self._model = self._load()
            self.name = self._model.name
        return self._model

    @property
    def usage(self) -> Any:
        from gpla.models.usage import Usage

        return Usage() if self._model is None else self._model.usage

    def generate(self, requests: Sequence[Any]) -> Any:
        return self.loaded.generate(requests)

    def label_probs(self, prompts: Sequence[Any], labels: Sequence[str], protocol: str = "gpv") -> Any:
        return self.loaded.label_probs(prompts, labels, protocol=protocol)

    def __getattr__(self, attribute: str) -> Any:  # routes, backend, cache...: the loaded model's
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.loaded, attribute)

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuild_chat_model, self.recipe
