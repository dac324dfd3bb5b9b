"""A persistent cache for embedding models: a text is embedded once per model, across runs.

Paid embedding APIs bill every call, and the lexicon dedup and the GPV prefilter embed the same values
run after run. Vectors live in the chat cache's SQLite file (``CallCache``, same ``$GPLA_CACHE_DIR``),
keyed by the model's identity and the text, stored as base64 float32.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gpla.models.base import EmbeddingModel
from gpla.models.cache import SCHEMA_VERSION, CallCache


def _key(identity: dict[str, Any], text: str) -> str:
    blob = json.dumps({"v": SCHEMA_VERSION, "embedder": identity, "text": text}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class CachedEmbedding:
    """``model`` with a persistent text → vector cache; ``hits`` counts texts found in the cache,
    ``misses`` the distinct texts the model embedded."""

    def __init__(self, model: EmbeddingModel, identity: dict[str, Any], path: Path | None = None) -> None:
        self.inner = model
        self.name = model.name
        self._identity = identity
        self._cache = CallCache(path)
        self.hits = 0
        self.misses = 0
        self.recipe: tuple[str, dict[str, Any]] | None = None
        """Set by ``load_embedding_model``: how another process loads this model (``recipes.py``)."""

    def __reduce__(self) -> tuple[Any, ...]:
        from gpla.models.recipes import rebuild_embedding_model

        if self.recipe is None:
            raise TypeError(f"{self.name}: only a model from load_embedding_model can be sent to another process")
        return rebuild_embedding_model, self.recipe

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [_key(self._identity, str(t)) for t in texts]
        found = self._cache.get_many(keys)
        self.hits += sum(k in found for k in keys)
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        if todo:
            text_of = dict(zip(keys, map(str, texts), strict=True))
            vectors = np.asarray(self.inner.embed([text_of[k] for k in todo]), dtype=np.float32)
            fresh = {k: base64.b64encode(v.tobytes()).decode() for k, v in zip(todo, vectors, strict=True)}
            self._cache.put_many(self.name, fresh.items())
            found.update(fresh)
        self.misses += len(todo)
        if not keys:
            return np.asarray(self.inner.embed([]), dtype=np.float32)
        return np.stack([np.frombuffer(base64.b64decode(found[k]), dtype=np.float32) for k in keys])
