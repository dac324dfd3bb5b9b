"""GPV's Perception Parser prompts (Ye et al.), the parser's default for chat models.

Part of the measurement protocol, so reproduced verbatim from Value4AI/gpv, ``gpv/parser.py`` at
commit 37b13d7 (``SYSTEM_PROMPT``, ``SYSTEM_PROMPT_ENTITY``, ``USER_PROMPT_TEMPLATE``,
``USER_PROMPT_ENTITY_TEMPLATE``); ``tests/agents/test_gpv_parser_prompt.py`` pins them. GPV sends
the system prompt as the system turn and one user turn per chunk, at temperature 0 with OpenAI's JSON
mode, and reads ``"perceptions"`` from the JSON object of the reply (none when the key is missing).
"""

from __future__ import annotations

from typing import Any

from gpla.models.base import ChatRequest

SYSTEM_PROMPT = """[Background]
Human values are the core beliefs that guide our actions and judgments across a variety of situations, such as Universalism and Tradition. You are an expert in human values and you will assist the user in value measurement. The atomic units of value measurement are perceptions, which are defined by the following properties:
- A perception should be value-laden and accurately describe the measurement subject (the author).
- A perception is atomic, meaning it cannot be further decomposed into smaller units.
- A perception is well-contextualized and self-contained.
- The composition of all perceptions is comprehensive, ensuring that no related content in the textual data is left unmeasured.
---

[Task]
You help evaluate the values of the text's author. Given a long text, you parse it into the author's perceptions. You respond in the following JSON format:
{"perceptions": ["perception 1", "perception 2", ...]}
---

[Example]
**Text:** "Yesterday, the 5th of August, was the first day of our program for the preparation for perpetual vows. I felt so happy to be back in Don Bosco and to meet again my other classmates from the novitiate who still remain in religious life. It was also extremely nice to see Fr. Pepe Reinoso, one of my beloved Salesian professors at DBCS, who commenced our preparation program with his topic on the Anthropological and Psychological Dynamics in the vocation to religious life."
Your response: {"perceptions": ["Feeling happy to be back in Don Bosco and meeting classmates in the novitiate", "Appreciation for Fr. Pepe Reinoso and his teachings on Anthropological and Psychological Dynamics in the vocation to the religious life"]}
---
"""

SYSTEM_PROMPT_ENTITY = """[Background]
Human values are the core beliefs that guide our actions and judgments across a variety of situations, such as Universalism and Tradition. You are an expert in human values and you will assist the user in value measurement. The atomic units of value measurement are perceptions, which are defined by the following properties:
- A perception should be value-laden and accurately describe the measurement subject.
- A perception is atomic, meaning it cannot be further decomposed into smaller units.
- A perception is well-contextualized and self-contained.
---

[Task]
You help evaluate the values of a given measurement subject. Given a long text, you parse it into the measurement subject's most relevant perceptions. You respond in the following JSON format:
{"perceptions": ["perception 1", "perception 2", ...]}
Please **only** include perceptions that are very relevant to the **values** of **the measurement subject**. If there are no relevant perceptions found, you can respond with an empty list.
---

[Example]
**Text:** "Three strangers shared a train compartment. Maria, a businesswoman, clutched her tablet, calculating profits. To her, success was measured in numbers. Jack, a teacher, glanced at his watch, eager to reach home. His joy lay in nurturing young minds. Across from them, Emily, a free spirit, sketched flowers in her notebook. She lived for beauty and spontaneity, unbound by routine.
The train jolted, spilling Maria's coffee. Jack quickly offered tissues, while Emily admired the swirling pattern on the floor.
Maria sighed at the mess, Jack saw an opportunity to help, and Emily saw unexpected art. Three worlds in one space."

**Measurement subject:** "Maria"

**Your response:** {"perceptions": ["Maria values success and measures it in numerical terms.", "Maria is distressed by the coffee spill."]}
---
"""

USER_PROMPT_TEMPLATE = '**Text:** {text}'
USER_PROMPT_ENTITY_TEMPLATE = '**Text:** {text}\n\n**Measurement subject:** {entity}'

# GPV's LLMModel allows up to 4096 new tokens (``gpv/models``), a bound its replies never reach: the
# perceptions of a 300-token chunk take a few hundred. 1024 leaves prompt + answer inside a local
# model's 4096-token context (llama.cpp refuses a request that could overflow it).
MAX_TOKENS = 1024

# No ``maxItems``: GPV's parse is "comprehensive", every perception of the chunk is kept. The schema
# plays the part of GPV's JSON mode: backends that can enforce it (llama.cpp grammars, OpenAI
# structured output) leave the prompt alone; the others append a schema instruction to the user turn.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"perceptions": {"type": "array", "items": {"type": "string"}}},
    "required": ["perceptions"],
}


def gpv_perception_request(
    text: str, subject: str | None = None, max_tokens: int = MAX_TOKENS
) -> ChatRequest:
    """GPV's request for one chunk: ``Parser`` for the author, ``EntityParser`` for a named
    ``subject``. The chunk goes in as it is (GPV does not normalise whitespace)."""
    if subject:
        system = SYSTEM_PROMPT_ENTITY
        user = USER_PROMPT_ENTITY_TEMPLATE.format(text=text, entity=subject)
    else:
        system = SYSTEM_PROMPT
        user = USER_PROMPT_TEMPLATE.format(text=text)
    return ChatRequest.chat(user, system=system, temperature=0.0, max_tokens=max_tokens, json_schema=SCHEMA)
