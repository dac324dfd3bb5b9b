"""Tolerant reading of JSON that language models write, and the shape checks the agents need.

Models wrap JSON in code fences, add prose before or after it, leave trailing commas, use Python-style
single quotes or curly quotes. ``extract_json`` accepts all of these; anything else raises
``ReplyParseError`` with a short reason that goes into the repair prompt and, if the repair also fails,
into the ``error`` column of the agent's output.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import Any


class ReplyParseError(ValueError):
    """A model reply could not be read as the JSON an agent asked for (never leaves the agents)."""


_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)(?:```|$)", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def extract_json(text: str) -> Any:
    """The first JSON object or array in ``text``.

    Tries, in order: the contents of a code fence, then every ``{``/``[`` in the reply; each candidate is
    read as strict JSON, then with trailing commas removed and curly quotes straightened, then as a Python
    literal (single quotes). Trailing prose after the JSON value is ignored.
    """
    if not text or not text.strip():
        raise ReplyParseError("the reply is empty")
    sources = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for source in sources:
        for start in (i for i, ch in enumerate(source) if ch in "{["):
            value = _decode_at(source, start)
            if value is not None:
                return value
    if not any(ch in text for ch in "{["):
        raise ReplyParseError("the reply contains no JSON object")
    raise ReplyParseError("the reply is not valid JSON (truncated or malformed)")


def _decode_at(text: str, start: int) -> Any | None:
    """The JSON value that starts at ``text[start]``, or None."""
    try:
        return json.JSONDecoder().raw_decode(text, start)[0]
    except json.JSONDecodeError:
        pass
    block = _balanced_block(text, start)
    if block is None:
        return None
    repaired = _TRAILING_COMMA.sub(r"\1", block.translate(_CURLY_QUOTES))
    try:
        return json.loads(repaired)
    except json.JSONDecodeError:
        pass
    try:
        # Python-literal fallback for single-quoted dicts; literal_eval evaluates no code.
        value = ast.literal_eval(repaired)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, (dict, list)) else None


def _balanced_block(text: str, start: int) -> str | None:
    """``text[start:end]`` up to the bracket that closes ``text[start]``, skipping quoted strings."""
    closing = {"{": "}", "[": "]"}
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "\"'\u201c":
            quote = "\u201d" if ch == "\u201c" else ch
        elif ch in closing:
            stack.append(closing[ch])
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return text[start : i + 1]
    return None


def string_list(obj: Any, key: str, item_keys: Sequence[str] = ("text",)) -> list[str]:
    """The list of strings under ``key`` (or ``obj`` itself when the model sent a bare list).

    Items may be strings or objects holding the string under one of ``item_keys`` (models sometimes
    write ``[{"text": ...}]``); blank items are dropped. A single string is taken as a one-item list.
    """
    items = obj.get(key) if isinstance(obj, dict) else obj
    if isinstance(obj, dict) and items is None:
        if len(obj) == 1 and isinstance(next(iter(obj.values())), list):
            items = next(iter(obj.values()))  # the right shape under a different key
        else:
            raise ReplyParseError(f'expected a JSON object with the key "{key}"')
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        raise ReplyParseError(f'"{key}" must be a list of strings')
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = next((item[k] for k in item_keys if isinstance(item.get(k), str)), None)
        if not isinstance(item, str):
            raise ReplyParseError(f'"{key}" must be a list of strings')
        if item.strip():
            out.append(" ".join(item.split()))
    return out


def string_field(obj: Any, key: str) -> str:
    """The non-empty string ``obj[key]``."""
    if not isinstance(obj, dict):
        raise ReplyParseError(f'expected a JSON object with the key "{key}"')
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ReplyParseError(f'"{key}" must be a non-empty string')
    return " ".join(value.split())
