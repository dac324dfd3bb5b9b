"""Tolerant JSON reading of model replies, and the shape checks the agents apply."""

from __future__ import annotations

import pytest

from gpla.agents.parsing import ReplyParseError, extract_json, string_field, string_list

GOOD = {"perceptions": ["Honesty matters.", "Family comes first."]}


@pytest.mark.parametrize(
    "reply",
    [
        '{"perceptions": ["Honesty matters.", "Family comes first."]}',
        '```json\n{"perceptions": ["Honesty matters.", "Family comes first."]}\n```',
        '```\n{"perceptions": ["Honesty matters.", "Family comes first."]}\n```\nHope this helps!',
        'Sure! Here are the perceptions:\n{"perceptions": ["Honesty matters.", "Family comes first."]}',
        '{"perceptions": ["Honesty matters.", "Family comes first."]} These reflect the author.',
        '{"perceptions": ["Honesty matters.", "Family comes first.",],}',
        "{'perceptions': ['Honesty matters.', 'Family comes first.']}",
        "{\u201cperceptions\u201d: [\u201cHonesty matters.\u201d, \u201cFamily comes first.\u201d]}",
        'The format is {like this}. {"perceptions": ["Honesty matters.", "Family comes first."]}',
        '```json\n{"perceptions": ["Honesty matters.", "Family comes first."]}',  # unclosed fence
    ],
)
def test_extract_json_tolerates_common_wrappings(reply: str) -> None:
    assert extract_json(reply) == GOOD


def test_extract_json_keeps_brackets_inside_strings() -> None:
    reply = 'x {"perceptions": ["Rules [sometimes] matter }", "a \\"quoted\\" {word}"]} y'
    assert extract_json(reply) == {
        "perceptions": ["Rules [sometimes] matter }", 'a "quoted" {word}']
    }


def test_extract_json_reads_bare_list() -> None:
    assert extract_json('Values: ["Honesty", "Care"]') == ["Honesty", "Care"]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("The author values honesty.", "no JSON"),
        ('{"perceptions": ["Honesty matters.", "Family co', "not valid JSON"),
        ('{"perceptions": [Honesty matters]}', "not valid JSON"),
        ("{perceptions: }", "not valid JSON"),
        ("}{][", "not valid JSON"),
    ],
)
def test_extract_json_rejects_unreadable(reply: str, reason: str) -> None:
    with pytest.raises(ReplyParseError, match=reason):
        extract_json(reply)


def test_extract_json_does_not_evaluate_code() -> None:
    # literal_eval only: a call expression is not a literal and must not run.
    with pytest.raises(ReplyParseError):
        extract_json("[__import__('os').getcwd()]")


def test_string_list_shapes() -> None:
    assert string_list(GOOD, "perceptions") == ["Honesty matters.", "Family comes first."]
    assert string_list(["a", " ", "b  c"], "perceptions") == ["a", "b c"]
    assert string_list({"perceptions": "only one"}, "perceptions") == ["only one"]
    assert string_list({"perceptions": []}, "perceptions") == []
    assert string_list({"items": ["x"]}, "perceptions") == ["x"]  # right shape, other key
    assert string_list(
        {"perceptions": [{"text": "x"}, {"perception": "y"}]}, "perceptions", ("perception", "text")
    ) == ["x", "y"]


@pytest.mark.parametrize(
    "obj",
    [
        {"other": 1, "thing": 2},
        {"perceptions": 3},
        {"perceptions": [1, 2]},
        42,
        {"perceptions": [{"n": 1}]},
    ],
)
def test_string_list_rejects_wrong_shapes(obj: object) -> None:
    with pytest.raises(ReplyParseError, match="perceptions"):
        string_list(obj, "perceptions")


def test_string_field() -> None:
    assert string_field({"value": "Care", "question": " Should  I?\n"}, "question") == "Should I?"
    for bad in ({"value": "Care"}, {"question": ""}, {"question": 3}, ["question"]):
        with pytest.raises(ReplyParseError, match="question"):
            string_field(bad, "question")
