"""Minimum frequency, top-N, pin and ban."""

from __future__ import annotations

import pandas as pd
import pytest

from gpla.errors import ConfigError
from gpla.lexicon import filter_lexicon


@pytest.fixture
def lexicon() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "value": ["Honesty", "Care", "Fairness", "Loyalty", "Tradition"],
            "frequency": [50, 20, 9, 3, 1],
            "rank": [1, 2, 3, 4, 5],
            "merged_from": [["Truthfulness"], [], [], [], ["Traditions"]],
        }
    )


def test_min_frequency_and_top_n(lexicon: pd.DataFrame) -> None:
    assert filter_lexicon(lexicon, min_frequency=5)["value"].tolist() == ["Honesty", "Care", "Fairness"]
    top = filter_lexicon(lexicon, top_n=2)
    assert top["value"].tolist() == ["Honesty", "Care"] and top["rank"].tolist() == [1, 2]


def test_pin_and_ban(lexicon: pd.DataFrame) -> None:
    out = filter_lexicon(lexicon, top_n=3, pin=["traditions"], ban=["CARE"])
    assert out["value"].tolist() == ["Honesty", "Fairness", "Tradition"]
    added = filter_lexicon(lexicon, min_frequency=10, pin=["Humility"])
    assert added["value"].tolist() == ["Honesty", "Care", "Humility"]
    assert added["frequency"].tolist() == [50, 20, 0]


def test_bad_options(lexicon: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="both pinned and banned"):
        filter_lexicon(lexicon, pin=["Care"], ban=["care"])
    with pytest.raises(ConfigError, match="top_n"):
        filter_lexicon(lexicon, top_n=0)
