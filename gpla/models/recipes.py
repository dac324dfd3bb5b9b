"""A loaded model travels to another process (a Ray actor) as its recipe: its spec and options.

Pickling a ``CachedModel`` or ``CachedEmbedding`` stores how it was loaded, never its weights,
connections or keys; unpickling loads it in the receiving process, once per process however many
stages and batches arrive there. The call cache travels as a path; secrets stay where they always
come from, the environment of the process that calls the model.
"""

from __future__ import annotations

import threading
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

