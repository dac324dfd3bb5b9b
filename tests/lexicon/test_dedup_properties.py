"""Dedup properties (issue 4), checked with the real packaged MiniLM embedder and rouge-score."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpla.lexicon import DedupConfig, deduplicate, value_key
from gpla.lexicon.calibration import published_values
from tests.lexicon.embedder_helper import MemoEmbedder

PUBLISHED = published_values()
SETTINGS = settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def embedder() -> MemoEmbedder:
    return MemoEmbedder()


def variant(name: str, how: int) -> str:
    """One formatting variant: case, hyphen → space, hyphen removed, plural of the last word."""
    if how == 0:
        return name.lower()
    if how == 1:
        return name.upper()
    if how == 2:
        return name.replace("-", " ")
    if how == 3:
        return name.replace("-", "")
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy")):
        return name[:-1] + "ies"
    return name if name.endswith("s") else name + "s"


names = st.sampled_from([*PUBLISHED, "Power", "Benevolence", "Innovation", "Freedom", "Liberty", "Privacy", "Right to privacy"])
mention_tables = st.lists(
    st.tuples(st.one_of(names, st.builds(variant, st.sampled_from(PUBLISHED), st.integers(0, 4))),
              st.integers(1, 500)),
    min_size=1,
    max_size=40,
).map(lambda rows: pd.DataFrame(rows, columns=["value", "frequency"]))


def group_totals(counts: pd.DataFrame) -> dict[str, int]:
    return counts.groupby(counts["value"].map(value_key))["frequency"].sum().to_dict()


@SETTINGS
@given(counts=mention_tables)
def test_conserved_ranked_and_kept_by_frequency(embedder: MemoEmbedder, counts: pd.DataFrame) -> None:
    result = deduplicate(counts, embedder)
    lex = result.lexicon
    assert lex["frequency"].sum() == counts["frequency"].sum()
    assert lex["frequency"].is_monotonic_decreasing
    assert lex["rank"].tolist() == list(range(1, len(lex) + 1))
    assert lex["value"].map(value_key).is_unique
    # Every merged group keeps its most frequent member (frequency of its normalised form).
    totals = group_totals(counts)
    for value, folded in zip(lex["value"], lex["merged_from"], strict=True):
        for other in folded:
            assert totals[value_key(value)] >= totals[value_key(other)], (value, other)
    # Every input name ends in exactly one lexicon value.
    assert set(result.mapping[v] for v in counts["value"].map(str.strip) if v in result.mapping) <= set(lex["value"])


@SETTINGS
@given(base=st.sampled_from(PUBLISHED), how=st.integers(0, 4), f1=st.integers(1, 100), f2=st.integers(1, 100),
       others=st.lists(st.sampled_from(PUBLISHED), max_size=10))
def test_formatting_variants_always_merge(
    embedder: MemoEmbedder, base: str, how: int, f1: int, f2: int, others: list[str]
) -> None:
    counts = pd.DataFrame({"value": [base, variant(base, how), *others], "frequency": [f1, f2] + [7] * len(others)})
    result = deduplicate(counts, embedder)
    assert result.mapping[base] == result.mapping[variant(base, how)]


@SETTINGS
@given(f=st.lists(st.integers(1, 1000), min_size=4, max_size=4), others=st.lists(st.sampled_from(PUBLISHED), max_size=20))
def test_distinct_values_never_merge(embedder: MemoEmbedder, f: list[int], others: list[str]) -> None:
    counts = pd.DataFrame(
        {"value": ["Power", "Benevolence", "Tradition", "Innovation", *others], "frequency": f + [3] * len(others)}
    )
    result = deduplicate(counts, embedder)
    assert result.mapping["Power"] != result.mapping["Benevolence"]
    assert result.mapping["Tradition"] != result.mapping["Innovation"]


@settings(max_examples=5, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(freq=st.permutations(list(range(1, 93))))
def test_all_published_values_survive_the_defaults(embedder: MemoEmbedder, freq: list[int]) -> None:
    # GPLA's own dedup kept these 92 apart (paper Table 10), whatever their frequency order.
    result = deduplicate(pd.DataFrame({"value": PUBLISHED, "frequency": freq}), embedder)
    assert sorted(result.lexicon["value"]) == sorted(PUBLISHED)


def test_thresholds_recorded_and_switchable(embedder: MemoEmbedder) -> None:
    counts = pd.DataFrame({"value": ["Respect", "Respect for Elders", "Right to privacy", "Privacy"],
                           "frequency": [10, 2, 1, 5]})
    default = deduplicate(counts, embedder)
    assert default.mapping["Right to privacy"] == "Privacy"
    assert default.mapping["Respect for Elders"] == "Respect for Elders"
    # Recall over the kept value's tokens: "Respect" is all inside "Respect for Elders".
    strict = deduplicate(counts, embedder, DedupConfig(rouge_recall=0.9, embedding_threshold=None))
    assert strict.mapping["Respect for Elders"] == "Respect"
    row = strict.merges.set_index("value").loc["Respect for Elders"]
    assert row["reason"] == "rouge" and row["rouge_recall"] == 1.0
    meta = strict.sidecar()
    assert meta["dedup"]["rouge_recall"] == 0.9 and meta["dedup"]["embedding_threshold"] is None
    assert meta["embedder"] == "st:default" and meta["stats"]["rouge_comparisons"] >= 1


def test_only_neighbour_pairs_are_compared(embedder: MemoEmbedder) -> None:
    counts = pd.DataFrame({"value": PUBLISHED, "frequency": range(92, 0, -1)})
    result = deduplicate(counts, embedder, DedupConfig(n_neighbors=5))
    assert result.stats["candidate_pairs"] <= 92 * 5 < result.stats["all_pairs"]
