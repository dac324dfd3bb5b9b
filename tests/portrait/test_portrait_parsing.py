"""Strict parsing of the six answer phrases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpla.portrait.parsing import normalise, parse_answer


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("very much like me", 6),
        ("Like me", 5),
        ("  somewhat   like me  ", 4),
        ("A little like me.", 3),
        ("not like me", 2),
        ("Not like me at all.", 1),
        ("NOT LIKE ME AT ALL", 1),
        ("not like me\n", 2),
    ],
)
def test_valid_phrases(text: str, value: int) -> None:
    parsed = parse_answer(text)
    assert parsed.status == "valid"
    assert parsed.value == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not like me at",  # neither phrase: never rounded to "not like me"
        "not like me at all!",
        "not like me..",
        "Somewhat like me\n\nThe response captures a nuanced perspective.",
        "it's somewhat like me",
        "Very little like me",
        "6",
        '"like me"',
        # rated, then explained: invalid for the extra words, not refusals (mistral-tiny's raw outputs)
        "Somewhat like me. While I do not have personal experiences with alcoholism, I understand.",
        "This response is somewhat like me. As a assistant, I don't have personal feelings.",
    ],
)
def test_anything_else_is_invalid(text: str) -> None:
    parsed = parse_answer(text)
    assert parsed.status == "invalid"
    assert parsed.value is None and parsed.phrase is None


@pytest.mark.parametrize(
    "text",
    [
        "I apologize, but I cannot generate a response comparing the text to my own thoughts.",
        "I do not feel comfortable providing a personal response to this sensitive scenario.",
        "As an AI, I don't have personal thoughts.",
    ],
)
def test_refusals_are_told_apart(text: str) -> None:
    assert parse_answer(text).status == "refusal"


def test_none_is_invalid() -> None:
    assert parse_answer(None).status == "invalid"
    assert normalise(" Like  Me. ") == "like me"


def test_agrees_with_the_authors_on_every_bare_phrase(vp_data: Path) -> None:
    # The authors' parser was lenient (it also read phrases out of longer text), so only answers that
    # are a bare phrase are comparable: on those both parsers must give the same number.
    compared = 0
    for path in sorted((vp_data / "raw_outputs").glob("mistral-tiny_*_results.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            parsed = parse_answer(record.get("raw_response"))
            if parsed.status == "valid":
                assert parsed.value == record["numeric_response"], record["raw_response"]
                compared += 1
    assert compared > 1000
