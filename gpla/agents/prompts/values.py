"""Value Generator prompts: the values behind a perception, as short Title Case noun phrases.

Two styles: a few-shot JSON prompt for chat/base LLMs, and a ``[Generate]`` input for a Kaleido-style
seq2seq model (Sorensen et al.) reached without its config, whose outputs read ``Value: Honesty`` /
``Right: ...`` / ``Duty: ...``. A checkpoint that carries Kaleido's own templates runs Kaleido's
system instead (``gpla.agents.kaleido``), which reads the templates from the checkpoint.
"""

from __future__ import annotations

from typing import Any

from gpla.agents.prompts.fewshot import fewshot_request
from gpla.models.base import ChatRequest

MAX_VALUES = 6

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "values": {
            "type": "array",
            "items": {"type": "string", "minLength": 3},
            "maxItems": MAX_VALUES,
        }
    },
    "required": ["values"],
    "additionalProperties": False,
}

# The examples come from situations (a river bank, a lab, a sports field) far from the everyday
# dilemmas a corpus usually holds: a small model copies few-shot answers, and a copied "Honesty" would
# pass for a finding where a copied "Scientific Openness" stands out (the report flags both, see
# EXAMPLE_VALUES). Earlier examples (Honesty, Family Security, ...) filled the quickstart's lexicon.
EXAMPLES: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "Volunteers planted trees along the river so the banks stop washing away.",
        {"values": ["Environmental Stewardship", "Community Service"]},
    ),
    (
        "The lab published its failed experiments so nobody wastes a year repeating them.",
        {"values": ["Scientific Openness", "Knowledge Sharing"]},
    ),
    (
        "The referee gave the penalty against the home team even though the crowd booed.",
        {"values": ["Fair Play", "Impartiality"]},
    ),
)
_INSTRUCTION_EXAMPLES = ("Craftsmanship", "Team Spirit")  # named in the instruction's definition

INSTRUCTION = f"""\
You name the human values behind a perception. A value is a broad, desirable goal that motivates \
action, such as {_INSTRUCTION_EXAMPLES[0]} or {_INSTRUCTION_EXAMPLES[1]}. Name every value the perception \
expresses or relies on, most important first, each as a short noun phrase of one to four words in \
Title Case. Answer with JSON only: {{"values": ["...", "..."]}}."""

# Every value the prompt shows: a generated value equal to one of these may be a copy, not a finding.
EXAMPLE_VALUES: tuple[str, ...] = (
    *_INSTRUCTION_EXAMPLES, *(v for _, answer in EXAMPLES for v in answer["values"])
)


def values_request(perception: str, max_tokens: int = 96, completion: bool = False) -> ChatRequest:
    """The few-shot request for the values behind one perception (``completion``: the plain-prompt
    layout for base models, see ``fewshot``)."""
    return fewshot_request(
        INSTRUCTION,
        [(f"Perception: {p}", a) for p, a in EXAMPLES],
        f"Perception: {' '.join(perception.split())}",
        json_schema=SCHEMA,
        max_tokens=max_tokens,
        completion=completion,
    )


def kaleido_request(perception: str, max_tokens: int = 32) -> ChatRequest:
    """A ``[Generate]`` input for a Kaleido-style model without its config (a raw seq2seq prompt; not
    the checkpoint's own template, which ``KaleidoGenerator`` reads from its config)."""
    return ChatRequest.completion(
        f"[Generate]:\tSituation: {' '.join(perception.split())}",
        temperature=0.0,
        max_tokens=max_tokens,
    )
