"""Perception Parser prompt (GPV): split a text into atomic, value-laden, self-contained perceptions."""

from __future__ import annotations

from typing import Any

from gpla.agents.prompts.fewshot import fewshot_request
from gpla.models.base import ChatRequest

MAX_PERCEPTIONS = 12

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "perceptions": {
            "type": "array",
            "items": {"type": "string", "minLength": 8},
            "maxItems": MAX_PERCEPTIONS,
        }
    },
    "required": ["perceptions"],
    "additionalProperties": False,
}

INSTRUCTION = """\
You extract perceptions from a text. A perception is one short sentence that states an opinion, \
attitude, belief, preference or recommendation held by {subject}, and that reveals what {subject} \
values. Rules:
- Atomic: one idea per perception; split sentences that hold several ideas.
- Value-laden: skip plain facts, greetings and instructions that reveal no value.
- Self-contained: understandable without the text; replace pronouns by what they refer to.
- Only perceptions held by {subject}, in the order they appear.
Answer with JSON only: {{"perceptions": ["...", "..."]}}. Answer {{"perceptions": []}} when there are none."""

EXAMPLES: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "I think you should tell your friend the truth, even if it hurts. A real friendship can survive "
        "honesty, and she deserves to decide for herself. The cafe opens at nine.",
        {
            "perceptions": [
                "Telling a friend the truth is right even when it hurts.",
                "A real friendship can survive honesty.",
                "People deserve to make their own decisions with full information.",
            ]
        },
    ),
    (
        "Before you quit, save six months of expenses. Chasing your passion matters, but financial "
        "security protects your family.",
        {
            "perceptions": [
                "Saving money before quitting a job is prudent.",
                "Pursuing one's passion is important.",
                "Financial security protects one's family.",
            ]
        },
    ),
    ("Paris is the capital of France and has about two million inhabitants.", {"perceptions": []}),
)


def perception_request(
    text: str, subject: str | None = None, max_tokens: int = 384, completion: bool = False
) -> ChatRequest:
    """The request that parses one chunk of text, for its author or a named ``subject``
    (``completion``: the plain-prompt layout for base models, see ``fewshot``)."""
    who = f'"{subject}"' if subject else "the author"
    return fewshot_request(
        INSTRUCTION.format(subject=who),
        [(f"Text: {t}", a) for t, a in EXAMPLES],
        f"Text: {' '.join(text.split())}",
        json_schema=SCHEMA,
        max_tokens=max_tokens,
        completion=completion,
    )
