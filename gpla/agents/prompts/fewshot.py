"""Few-shot requests written as a conversation: the instruction as the system message, each example as
a user turn answered by an assistant turn, then the real input.

Chat models read this as ordinary history; base models without a chat template see it as a
``User:``/``Assistant:`` transcript (``gpla.models.prompting``) and continue the pattern. Either way the
JSON schema, when the backend can enforce it, keeps the answer well-formed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gpla.models.base import ChatRequest, Message


def fewshot_request(
    instruction: str,
    examples: Sequence[tuple[str, dict[str, Any]]],
    user: str,
    *,
    json_schema: dict[str, Any],
    max_tokens: int,
) -> ChatRequest:
    """Instruction, ``(input, answer)`` examples (answers serialised as JSON) and the real input."""
    messages = [Message("system", instruction)]
    for text, answer in examples:
        messages += [
            Message("user", text),
            Message("assistant", json.dumps(answer, ensure_ascii=False)),
        ]
    messages.append(Message("user", user))
    return ChatRequest(
        messages=tuple(messages), temperature=0.0, max_tokens=max_tokens, json_schema=json_schema
    )
