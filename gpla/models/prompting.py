"""Turning requests into prompt text when a model has no chat template, and reading JSON back."""

from __future__ import annotations

import json
from typing import Any

from gpla.models.base import ChatRequest

_ROLE_NAMES = {"system": "", "user": "User", "assistant": "Assistant"}


def plain_chat_prompt(request: ChatRequest) -> str:
    """A template-free chat transcript for base models: the system text as a preamble, then
    ``User: ...`` / ``Assistant: ...`` turns, ending with an open ``Assistant:`` turn."""
    if request.raw:
        return request.prompt_text
    parts = []
    for m in request.messages:
        role = _ROLE_NAMES[m.role]
        parts.append(f"{role}: {m.content}" if role else m.content)
    return "\n\n".join(parts) + "\n\nAssistant:"


def json_instruction(schema: dict[str, Any]) -> str:
    """Appended to a prompt when the backend cannot enforce a schema itself."""
    return (
        "\n\nAnswer with a single JSON object only (no prose, no code fence) that matches this "
        f"JSON schema:\n{json.dumps(schema, ensure_ascii=False)}"
    )


def extract_json(text: str) -> str | None:
    """The first complete JSON object or array in ``text`` (code fences and surrounding prose
    tolerated), re-serialised compactly; None when there is none."""
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text, i)
            except json.JSONDecodeError:
                continue
            return json.dumps(value, ensure_ascii=False)
    return None
