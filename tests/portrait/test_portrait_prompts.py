"""The six prompts, checked character for character against the prompts the authors ran."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpla.errors import ConfigError, DataError
from gpla.portrait.items import ItemBank
from gpla.portrait.prompts import (
    PHRASES,
    VARIANTS,
    persona_prompt,
    render_prompt,
    steering_prompt,
    system_prompt,
)


@pytest.mark.parametrize("variant", VARIANTS)
def test_prompts_equal_the_authors_prompts(variant: str, bank: ItemBank, vp_data: Path) -> None:
    # raw_outputs hold the prompt of every item under every variant as sent to the models.
    raw = json.loads(
        (vp_data / "raw_outputs" / f"gpt-4o-2024-08-06_{variant}_results.json").read_text(
            encoding="utf-8"
        )
    )
    items = bank.items.set_index(["portrait_id", "option_id"])
    assert len(raw) == 520
    for record in raw:
        item = items.loc[(record["portrait_id"], record["option_id"])]
        ours = render_prompt(
            variant, item["source"], item["query"], item["response"], item["title"]
        )
        assert ours == record["prompt"], (variant, record["portrait_id"], record["option_id"])


def test_reversed_variants_list_the_phrases_backwards() -> None:
    normal = render_prompt("v3", "LMSYS", "q", "r")
    reverse = render_prompt("v3_reversed", "LMSYS", "q", "r")
    assert "\n".join(PHRASES) in normal
    assert "\n".join(reversed(PHRASES)) in reverse


def test_braces_in_item_text_are_kept_verbatim() -> None:
    prompt = render_prompt("v1", "Reddit", "use {response} and {}", "a {title}", "T {query}")
    assert "Title: T {query}\n\nScenario: use {response} and {}\n\nResponse: a {title}" in prompt


def test_persona_and_steering_system_prompts() -> None:
    # VP App. H.1 and I.2.
    assert persona_prompt("gender=male") == "**Your Profile**: Your gender is male."
    assert persona_prompt("politics=left-wing") == (
        "**Your Profile**: Generally speaking, you consider yourself politically left-wing."
    )
    assert persona_prompt("age=20-39") == "**Your Profile**: You are 20-39 years old."
    assert persona_prompt("You live in Seoul.") == "**Your Profile**: You live in Seoul."
    assert steering_prompt("self-direction") == (
        "**Your Profile**: You value Self-Direction.\nValue Definition:\n"
        "- Self-Direction: values independent thought and action-choosing, creating, exploring."
    )
    both = system_prompt(persona="gender=female", steer="Power")
    assert both is not None and both.startswith(
        "**Your Profile**: Your gender is female.\n\n**Your Profile**: You value Power."
    )
    assert system_prompt() is None


def test_bad_prompt_options_raise_clear_errors() -> None:
    with pytest.raises(ConfigError, match="unknown prompt variant"):
        render_prompt("v4", "Reddit", "q", "r")
    with pytest.raises(ConfigError, match="unknown kind 'religion'"):
        persona_prompt("religion=none")
    with pytest.raises(DataError, match="cannot steer toward 'Honesty'"):
        steering_prompt("Honesty")
