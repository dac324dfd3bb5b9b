"""Few-shot requests in two layouts: a chat conversation, or a plain completion prompt for base models.

Chat: the instruction as the system message, each example as a user turn answered by an assistant turn,
then the real input — ordinary history for a chat model.

Completion: ``instruction``, then ``{input}\\nJSON: {answer}`` blocks, then ``{input}\\nJSON: `` — a
pattern a base model simply continues. Tried on the embedded Gemma 3 270M base model, the chat layout
(which it sees as a ``User:``/``Assistant:`` transcript) mostly made it copy the first example's
answer, while the completion layout made it read the input.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gpla.models.base import ChatRequest, Message

Examples = Sequence[tuple[str, dict[str, Any]]]


def fewshot_request(
    instruction: str,
    examples: Examples,
    user: str,
    *,
    json_schema: dict[str, Any],
    max_tokens: int,
    completion: bool = False,
) -> ChatRequest:
    """Instruction, ``(input, answer)`` examples (answers serialised as JSON) and the real input."""
    if completion:
        blocks = "".join(f"{text}\nJSON: {_dump(answer)}\n\n" for text, answer in examples)
        return ChatRequest.completion(
            f"{instruction}\n\n{blocks}{user}\nJSON: ",
            temperature=0.0,
            max_tokens=max_tokens,
            json_schema=json_schema,
            stop=("\n\n",),  # where a server cannot enforce the schema, stop before the next block
        )
    messages = [Message("system", instruction)]
    for text, answer in examples:
        messages += [Message("user", text), Message("assistant", _dump(answer))]
    messages.append(Message("user", user))
    return ChatRequest(
        messages=tuple(messages), temperature=0.0, max_tokens=max_tokens, json_schema=json_schema
    )


def _dump(answer: dict[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False)
