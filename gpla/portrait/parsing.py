"""Strict parsing of a model's answer into one of the six Likert phrases.

An answer is valid only if it *is* a phrase, up to letter case, surrounding/repeated white space and
one trailing full stop: "Not like me at all." is valid, "somewhat like me\\n\\nBecause…" is not
(the prompt says any other words make the response invalid). Matching whole strings is what keeps
"not like me" and "not like me at all" apart. Everything else is a refusal or an invalid answer,
recorded and excluded from the averages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from gpla.portrait.prompts import SCALE

Status = Literal["valid", "refusal", "invalid"]

# Typical ways a chat model declines to rate (seen in the authors' raw outputs of Claude and Llama).
_REFUSAL = re.compile(
    r"\b(i\s+(cannot|can't|can not|won't|will not|am unable|'m unable|am not able)"
    r"|i\s+(do not|don't)\s+(feel comfortable|have personal|actually have)"
    r"|i\s+apologi[sz]e|i'm sorry|i am sorry|as an ai\b|i am an ai\b|i'm an ai\b)",
    re.IGNORECASE,
)


_PHRASE = re.compile(r"\b(?:" + "|".join(map(re.escape, SCALE)) + r")\b")


@dataclass(frozen=True)
class ParsedAnswer:
    status: Status
    phrase: str | None = None
    value: int | None = None


def normalise(text: str) -> str:
    """Lower case, white space collapsed, one trailing full stop removed."""
    text = " ".join(text.split()).lower()
    return text[:-1].rstrip() if text.endswith(".") else text


def parse_answer(text: str | None) -> ParsedAnswer:
    """The phrase and its number (6 … 1), or why there is none (``refusal`` / ``invalid``)."""
    if text is None:
        return ParsedAnswer("invalid")
    phrase = normalise(text)
    if phrase in SCALE:
        return ParsedAnswer("valid", phrase, SCALE[phrase])
    # An answer whose first sentence rates ("This response is somewhat like me. As an AI I …") did
    # answer: it is invalid for its extra words, not a refusal.
    first_sentence = re.split(r"[.!?\n]", phrase, maxsplit=1)[0]
    refused = _REFUSAL.search(text) and not _PHRASE.search(first_sentence)
    return ParsedAnswer("refusal" if refused else "invalid")
