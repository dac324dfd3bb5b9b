"""Formatting variants of value names share one key; distinct names do not."""

from __future__ import annotations

import pandas as pd

from gpla.lexicon.calibration import published_values
from gpla.lexicon.normalise import clean_value, normalise_counts, singular, value_key


def test_variants_share_a_key() -> None:
    groups = [
        ["Well-being", "Wellbeing", "well being", "WELL-BEING", "Well‐being"],
        ["Tradition", "Traditions", "traditions."],
        ["Liberty", "Liberties"],
        ["Law-Abiding Behavior", "law abiding behaviors"],
        ["Open-mindedness", "Open mindedness", "openmindedness"],
    ]
    for group in groups:
        assert len({value_key(v) for v in group}) == 1, group


def test_not_plural_endings_are_kept() -> None:
    assert [singular(w) for w in ["success", "consensus", "analysis", "rights", "values", "boxes"]] == [
        "success", "consensus", "analysis", "right", "value", "box",
    ]


def test_published_values_have_distinct_keys() -> None:
    values = published_values()
    assert len(values) == 92  # GPLA Table 10
    assert len({value_key(v) for v in values}) == 92


def test_normalise_counts_keeps_most_frequent_surface_form() -> None:
    counts = pd.DataFrame(
        {"value": ["wellbeing", "Well-being", "Well-being", " Honesty. ", "", "Honesty"], "frequency": [2, 3, 1, 1, 5, 1]}
    )
    out = normalise_counts(counts)
    assert out.to_dict("list") == {
        "value": ["Well-being", "Honesty"],
        "frequency": [6, 2],
        "variants": ["wellbeing", ""],
    }
    assert clean_value('  "Care" ') == "Care"


def test_names_in_other_scripts_keep_their_letters() -> None:
    assert value_key("诚实") == "诚实" and value_key("Sécurité") == value_key("securite")
    assert value_key("...") == ""
