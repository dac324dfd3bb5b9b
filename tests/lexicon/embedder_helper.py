"""The packaged all-MiniLM-L6-v2, memoised per text so that property tests embed each name once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class MemoEmbedder:
    """Wraps the real embedding model; identical texts are embedded once per session."""

    def __init__(self) -> None:
        from gpla.models import load_embedding_model

        self._inner = load_embedding_model("st:default")
        self.name = self._inner.name
        self._memo: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if new:
            self._memo.update(zip(new, self._inner.embed(new), strict=True))
        return np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)
