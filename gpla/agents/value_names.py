"""Turning generator outputs into value names: short Title Case noun phrases."""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_WORDS = 5

_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "nor",
        "of",
        "on",
        "or",
        "over",
        "the",
        "to",
        "vs",
        "with",
    ]
)
_PREFIX = re.compile(r"^\s*(?:[-*•]+|\d+[.)]|value\s*:)\s*", re.IGNORECASE)
_KALEIDO = re.compile(r"^\s*(value|right|duty)\s*:\s*(.+?)\s*$", re.IGNORECASE)


def title_case(phrase: str) -> str:
    """Title Case that keeps small words lower case inside the phrase and leaves words that already
    carry inner capitals alone ("AI Safety", "LGBTQ Rights"); hyphenated parts are capitalised each
    ("Self-Direction")."""
    words = phrase.split()
    out = []
    for i, word in enumerate(words):
        if any(c.isupper() for c in word[1:]):
            out.append(word)
        elif 0 < i < len(words) - 1 and word.lower() in _SMALL_WORDS:
            out.append(word.lower())
        else:
            out.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(out)


def value_name(text: str, max_words: int = MAX_WORDS) -> str | None:
    """The cleaned value name, or None when ``text`` is not a short phrase (an empty string or a
    sentence that a small model wrote instead of a value)."""
    s = _PREFIX.sub("", " ".join(str(text).split()))
    s = s.strip().strip("\"'`*.,;:!?()[]{}").strip()
    if not s or len(s.split()) > max_words:
        return None
    return title_case(s)


def value_names(texts: Iterable[str], max_words: int = MAX_WORDS) -> list[str]:
    """Cleaned names in order, duplicates within one answer removed (one perception counts a value once)."""
    by_key: dict[str, str] = {}
    for text in texts:
        name = value_name(text, max_words)
        if name:
            by_key.setdefault(name.lower(), name)
    return list(by_key.values())


def kaleido_values(outputs: Iterable[str], max_words: int = MAX_WORDS) -> list[str]:
    """The ``Value: ...`` outputs of a Kaleido generator (its ``Right:``/``Duty:`` outputs are dropped)."""
    found = []
    for line in outputs:
        m = _KALEIDO.match(line)
        if m and m.group(1).lower() == "value":
            found.append(m.group(2))
    return value_names(found, max_words)
