"""Token counters for sizing text chunks: GPV's tokenizer when it is on this machine, else the model's.

GPV chunks with ``semchunk.chunkerify("gpt-4", 300)`` (Value4AI/gpv, ``gpv/chunker.py`` and
``gpv/measure.py``), i.e. tiktoken's ``cl100k_base``. tiktoken downloads that encoding on first use, so
it is used only when it is already cached; otherwise the parsing model's own tokenizer counts (llama.cpp
or transformers), and ``None`` tells the caller to estimate.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TokenCounter = Callable[[str], int]

GPV_ENCODING = "cl100k_base"  # tiktoken's encoding for "gpt-4", the name GPV passes to semchunk
# Where tiktoken fetches the encoding; its cache file is named by the SHA-1 of this address.
_CL100K_BLOB = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def _tiktoken_cached(blob: str) -> bool:
    """Whether tiktoken would read ``blob`` from its cache (the same lookup as ``tiktoken.load``)."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        folder = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        folder = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        folder = str(Path(tempfile.gettempdir()) / "data-gym-cache")
    return bool(folder) and (Path(folder) / hashlib.sha1(blob.encode()).hexdigest()).is_file()


def gpv_tokenizer() -> Any | None:
    """tiktoken's ``cl100k_base`` encoding (what semchunk loads for "gpt-4"), or None when tiktoken or
    its cached encoding is missing."""
    try:
        import tiktoken
    except ImportError:
        return None
    if not _tiktoken_cached(_CL100K_BLOB):
        return None
    return tiktoken.get_encoding(GPV_ENCODING)


def model_token_counter(model: Any) -> TokenCounter | None:
    """The tokenizer of a local model (a ``load_chat_model`` result or a bare backend), or None for
    models whose tokenizer is not here (HTTP APIs, fakes)."""
    backend = getattr(model, "backend", model)
    kind = getattr(backend, "kind", None)
    if kind == "llamacpp":
        llm = backend._llm
        return lambda text: len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))
    if kind in ("hf", "vllm"):  # both hold the model's transformers tokenizer
        tok = backend._tok
        return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])
    return None


def chunk_tokenizer(model: Any) -> tuple[Any | None, str]:
    """What GPV's chunking should count tokens with for ``model`` (a tiktoken encoding or a counter,
    both as ``semchunk.chunkerify`` takes them), and its name for logs: GPV's own tokenizer, else the
    model's, else ``(None, "estimate")``."""
    encoding = gpv_tokenizer()
    if encoding is not None:
        return encoding, f"tiktoken {GPV_ENCODING} (GPV's)"
    counter = model_token_counter(model)
    if counter is not None:
        return counter, f"{getattr(model, 'name', 'model')} tokenizer"
    return None, "estimate"
