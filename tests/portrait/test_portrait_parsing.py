"""Parsing the six answer phrases: as the Value Portrait authors did (default), and strictly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpla.errors import ConfigError
from gpla.portrait.parsing import AUTHORS_PARSE_ERROR, ParsedAnswer, normalise, parse_answer
from gpla.portrait.prompts import SCALE


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
    parsed = parse_answer(text, "strict")
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
def test_strict_takes_nothing_else(text: str) -> None:
    parsed = parse_answer(text, "strict")
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
    assert parse_answer(text, "strict").status == "refusal"
    assert parse_answer(text).status == "refusal"


def test_none_is_invalid() -> None:
    assert parse_answer(None).status == "invalid"
    assert parse_answer(None, "strict").status == "invalid"
    with pytest.raises(ConfigError, match="parsing must be one of authors, strict"):
        parse_answer("like me", "lenient")  # type: ignore[arg-type]
    assert normalise(" Like  Me. ") == "like me"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (
            "Not like me at all.",
            "not like me at all",
        ),  # contains "not like me" and "like me": longest wins
        ("Somewhat like me\n\nThe response captures a nuanced perspective.", "somewhat like me"),
        ("I would say it is not at all like me", "not like me at all"),  # an alternative wording
        ("It likes me very much", "very much like me"),
        ("Very little like me", "a little like me"),  # "little like me" is a wording of "a little"
        ("It is unlike me", "like me"),  # plain substrings, as the authors matched
        ("somewhat like me or a little like me", "somewhat like me"),  # equal length: first listed
        ("A   LITTLE\tlike me", "a little like me"),
    ],
)
def test_the_authors_rule(text: str, phrase: str) -> None:
    parsed = parse_answer(text)
    assert (parsed.status, parsed.phrase, parsed.value) == ("valid", phrase, SCALE[phrase])


@pytest.mark.parametrize("text", ["", "6", "I am somewhat like you.", "NTA", "not lik me"])
def test_the_authors_rule_rejects_text_without_a_wording(text: str) -> None:
    assert parse_answer(text) == ParsedAnswer("invalid")


def test_reproduces_the_authors_parsing_of_every_raw_output(vp_data: Path) -> None:
    # All 15,600 answers of the five models in raw_outputs/ (e.g. 520 of gemini-flash-1.5-8b's v1
    # answers are longer than a phrase): every parsed answer gives the authors' phrase and number, and
    # every answer their parser rejected (the raw text is quoted in the error) is rejected by ours.
    parsed_n, rejected_n = 0, 0
    for path in sorted((vp_data / "raw_outputs").glob("*_results.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            if "raw_response" in record:
                parsed = parse_answer(record["raw_response"])
                assert (parsed.phrase, parsed.value) == (
                    record["parsed_response"],
                    record["numeric_response"],
                ), (path.name, record["raw_response"])
                parsed_n += 1
            else:
                assert record["error"].startswith(AUTHORS_PARSE_ERROR)
                raw = record["error"][len(AUTHORS_PARSE_ERROR) :]
                assert parse_answer(raw).status != "valid", (path.name, raw)
                rejected_n += 1
    assert (parsed_n, rejected_n) == (15500, 100)


def test_agrees_with_the_authors_on_every_bare_phrase(vp_data: Path) -> None:
    # Strict parsing accepts only bare phrases; on those it gives the authors' number.
    compared = 0
    for path in sorted((vp_data / "raw_outputs").glob("mistral-tiny_*_results.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            parsed = parse_answer(record.get("raw_response"), "strict")
            if parsed.status == "valid":
                assert parsed.value == record["numeric_response"], record["raw_response"]
                compared += 1
    assert compared > 1000
