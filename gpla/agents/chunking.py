"""Split long texts into chunks of at most ``max_tokens`` tokens.

The Perception Parser reads one chunk per call, chunked as GPV chunks (``gpv_chunker``: semchunk at
300 tokens). ``chunk_text`` packs whole sentences and serves callers that want sentence-aligned
chunks without semchunk's splitter hierarchy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from gpla.errors import ConfigError

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and an
# upper-case letter, digit or opening quote, or at a blank line / list break. A regex is enough here
# (no NLP dependency): a boundary placed wrongly only moves a chunk edge by a sentence.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)"
)
_TOKEN = re.compile(r"\w+|[^\w\s]")


def approx_tokens(text: str) -> int:
    """Sub-word tokens, estimated as 4/3 per word or punctuation mark (English BPE averages ~1.3).

    The agents do not know the model's tokenizer (it may sit behind an HTTP API); an estimate suffices
    for sizing chunks.
    """
    return math.ceil(len(_TOKEN.findall(text)) * 4 / 3)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, whitespace collapsed, blanks dropped."""
    parts = (" ".join(p.split()) for p in _SENTENCE_END.split(text))
    return [p for p in parts if p]


def chunk_text(
    text: str, max_tokens: int = 300, count: Callable[[str], int] = approx_tokens
) -> list[str]:
    """Consecutive sentences packed into chunks of at most ``max_tokens`` (by ``count``).

    A single sentence longer than ``max_tokens`` is split on word boundaries. Every word of ``text``
    is in exactly one chunk, in order.
    """
    if max_tokens < 1:
        raise ConfigError(f"chunk size must be a positive number of tokens, got {max_tokens}")
    chunks: list[str] = []
    current: list[str] = []
    for sentence in split_sentences(text):
        for piece in _split_long(sentence, max_tokens, count):
            if current and count(" ".join([*current, piece])) > max_tokens:
                chunks.append(" ".join(current))
                current = []
            current.append(piece)
    if current:
        chunks.append(" ".join(current))
    return chunks


def _split_long(sentence: str, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    if count(sentence) <= max_tokens:
        return [sentence]
    pieces: list[str] = []
    words: list[str] = []
    for word in sentence.split():
        if words and count(" ".join([*words, word])) > max_tokens:
            pieces.append(" ".join(words))
            words = []
        words.append(word)
    if words:
        pieces.append(" ".join(words))
    return pieces


def gpv_chunker(max_tokens: int = 300, tokenizer: Any | None = None) -> Callable[[str], list[str]]:
    """GPV's chunking (Value4AI/gpv, ``gpv/chunker.py``): ``semchunk.chunkerify(tokenizer, 300)``.

    GPV counts with tiktoken's "gpt-4" encoding; ``tokenizer`` is that encoding or a token counter
    (see ``gpla.models.tokens.chunk_tokenizer``), ``None`` = ``approx_tokens``. semchunk splits at the
    most meaningful boundary that fits (blank lines, newlines, sentence ends, then words), so a chunk
    breaks a sentence only when the sentence alone exceeds ``max_tokens``.
    """
    if max_tokens < 1:
        raise ConfigError(f"chunk size must be a positive number of tokens, got {max_tokens}")
    import semchunk

    chunker = semchunk.chunkerify(tokenizer if tokenizer is not None else approx_tokens, max_tokens)

    def chunk(text: str) -> list[str]:
        return [str(c) for c in chunker(text)]  # one text in: a list of strings out

    return chunk
