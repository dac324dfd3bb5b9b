"""Value systems: the built-in Schwartz and GPLA systems against their published sources, user files,
and their lavaan models."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gpla.errors import ConfigError, DataError
from gpla.shared import shared_path
from gpla.systems import (
    ValueSystem,
    get_system,
    gpla_five_factor,
    gpla_five_factor_alphas,
    identifier,
    load_system,
    schwartz_basic,
    schwartz_higher,
    to_lavaan,
)


def test_schwartz_basic_has_the_value_portrait_definitions() -> None:
    system = schwartz_basic()
    assert system.n_factors == 10 and all(system.factors[f] == [f] for f in system.factors)
    # Value Portrait paper, Appendix I.2 ("The value definitions of 10 value dimensions").
    assert system.definitions["Hedonism"] == "values pleasure or sensuous gratification for oneself"
    assert system.definitions["Stimulation"] == "values excitement, novelty, and challenge in life"
    assert system.definitions["Tradition"].endswith("that one's culture or religion provides")


@pytest.mark.parametrize(
    ("placement", "openness", "enhancement"),
    [
        ("openness", ["Self-Direction", "Stimulation", "Hedonism"], ["Achievement", "Power"]),
        ("self-enhancement", ["Self-Direction", "Stimulation"], ["Hedonism", "Achievement", "Power"]),
        ("both", ["Self-Direction", "Stimulation", "Hedonism"], ["Hedonism", "Achievement", "Power"]),
    ],
)
def test_schwartz_higher_hedonism_placement(
    placement: str, openness: list[str], enhancement: list[str]
) -> None:
    system = schwartz_higher(placement)  # type: ignore[arg-type]
    assert list(system.factors) == [
        "Openness to Change", "Self-Enhancement", "Conservation", "Self-Transcendence",
    ]  # fmt: skip
    assert system.factors["Openness to Change"] == openness
    assert system.factors["Self-Enhancement"] == enhancement
    assert system.factors["Conservation"] == ["Security", "Conformity", "Tradition"]
    assert system.factors["Self-Transcendence"] == ["Benevolence", "Universalism"]


def test_schwartz_higher_rejects_unknown_placement() -> None:
    with pytest.raises(ConfigError, match="hedonism placement"):
        schwartz_higher("power")  # type: ignore[arg-type]


def test_five_factor_equals_published_tables() -> None:
    system = gpla_five_factor()
    # Our re-typed copy equals the reference figures (paper Table 10 loadings, Table 1 alphas).
    reference = pd.read_csv(shared_path("reference", "gpla_five_factor_loadings.csv"))
    pd.testing.assert_frame_equal(system.to_frame(), reference, check_dtype=False)
    alphas = pd.read_csv(shared_path("reference", "gpla_five_factor_alphas.csv"))
    pd.testing.assert_frame_equal(gpla_five_factor_alphas(), alphas)
    counts = {f: len(m) for f, m in system.factors.items()}
    assert counts == {
        "Social Responsibility": 43, "Risk-taking": 24, "Rule-Following": 15,
        "Self-Competence": 6, "Rationality": 4,
    }  # fmt: skip
    assert system.loading("Risk-taking", "Stability") == -0.701


def test_csv_and_toml_systems(tmp_path: Path) -> None:
    csv = tmp_path / "mine.csv"
    csv.write_text("factor,value,loading\nCare,Empathy,0.8\nCare,Kindness,0.7\nOrder,Rules,0.6\n")
    system = load_system(csv)
    assert system.name == "mine" and system.factors == {"Care": ["Empathy", "Kindness"], "Order": ["Rules"]}
    assert system.loading("Care", "Kindness") == 0.7
    toml = tmp_path / "mine.toml"
    toml.write_text(
        'name = "Mine"\n[factors]\nCare = ["Empathy", "Kindness"]\n"Public Order" = ["Rules", "Laws"]\n'
        '[loadings.Care]\nEmpathy = 0.8\n[definitions]\nEmpathy = "sharing feelings"\n'
    )
    system = get_system(str(toml))
    assert system.name == "Mine" and system.factors["Public Order"] == ["Rules", "Laws"]
    assert system.loading("Care", "Empathy") == 0.8 and system.definitions["Empathy"] == "sharing feelings"


def test_bad_system_files(tmp_path: Path) -> None:
    bad_columns = tmp_path / "a.csv"
    bad_columns.write_text("dimension,item\nCare,Empathy\n")
    with pytest.raises(DataError, match=r"needs columns factor,value"):
        load_system(bad_columns)
    bad_loading = tmp_path / "b.csv"
    bad_loading.write_text("factor,value,loading\nCare,Empathy,high\n")
    with pytest.raises(DataError, match=r"loading of 'Empathy' on 'Care' is not a number"):
        load_system(bad_loading)
    bad_toml = tmp_path / "c.toml"
    bad_toml.write_text("[factors]\nCare = 'Empathy'\n")
    with pytest.raises(ConfigError, match=r"factor 'Care' must be a list"):
        load_system(bad_toml)
    with pytest.raises(ConfigError, match="unknown value system 'schwartz'"):
        get_system("schwartz")
    with pytest.raises(DataError, match="lists Empathy twice"):
        ValueSystem("x", {"Care": ["Empathy", "Empathy"]})


def test_identifier() -> None:
    assert identifier("Work-life Balance") == "Work_life_Balance"
    assert identifier(" Law-Abiding Behavior ") == "Law_Abiding_Behavior"
    assert identifier("2nd order") == "v2nd_order"
    with pytest.raises(DataError):
        identifier("--")


def test_to_lavaan_restricts_orders_and_avoids_name_clashes() -> None:
    system = gpla_five_factor()
    columns = ["Realism", "Order", "Rule-Following", "Objectivity", "Logic", "Equity", "Stability", "Challenge"]
    model = to_lavaan(system, columns)
    # Social Responsibility keeps only Equity (< 2 indicators) and is dropped; Risk-taking lists its
    # strongest positive loading first, so it becomes the marker; the factor named like its own value
    # gets a distinct identifier.
    assert model.splitlines() == [
        "Risk_taking =~ Challenge + Stability",
        "Rule_Following_factor =~ Realism + Order + Rule_Following",
        "Rationality =~ Objectivity + Logic",
    ]
    with pytest.raises(DataError, match="no factor has 2 or more"):
        to_lavaan(system, ["Equity", "Logic"])


def test_system_from_primary_loadings() -> None:
    loadings = pd.DataFrame(
        {"RC1": [0.8, -0.7, 0.1, 0.2], "RC2": [0.1, 0.2, 0.9, -0.6]}, index=["a", "b", "c", "d"]
    )
    system = ValueSystem.from_loadings("Ours", loadings)
    assert system.factors == {"RC1": ["a", "b"], "RC2": ["c", "d"]}
    assert system.loading("RC2", "d") == -0.6
