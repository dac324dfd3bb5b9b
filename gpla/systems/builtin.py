"""The value systems gpla ships: Schwartz's 10 basic and 4 higher-order values, and the published GPLA
five-factor system. The figures are package data in ``gpla/systems/data/`` (each file cites its source)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import pandas as pd

from gpla.errors import ConfigError
from gpla.systems.value_system import ValueSystem

HedonismPlacement = Literal["openness", "self-enhancement", "both"]

_HEDONISM_FACTOR = {"openness": "Openness to Change", "self-enhancement": "Self-Enhancement"}


@cache
def _table(filename: str) -> pd.DataFrame:
    with resources.files("gpla.systems").joinpath("data", filename).open("r", encoding="utf-8") as f:
        return pd.read_csv(f, comment="#")


def schwartz_definitions() -> dict[str, str]:
    """Short definitions of the 10 basic values (Value Portrait paper, Appendix I.2)."""
    table = _table("schwartz_basic.csv")
    return dict(zip(table["value"], table["definition"], strict=True))


def schwartz_basic() -> ValueSystem:
    """Schwartz's 10 basic values, each its own factor (the paper's "Schwartz (L)")."""
    definitions = schwartz_definitions()
    return ValueSystem("Schwartz (L)", {v: [v] for v in definitions}, definitions=definitions)


def schwartz_higher(hedonism: HedonismPlacement = "openness") -> ValueSystem:
    """Schwartz's 4 higher-order values over the basic values (the paper's "Schwartz (H)").

    Hedonism shares elements of openness to change and self-enhancement (Schwartz 2012). By default it
    joins openness to change, as in the common PVQ scoring that sums self-direction, stimulation and
    hedonism; ``"self-enhancement"`` moves it, ``"both"`` lets it load on both (a cross-loading in CFA).
    """
    if hedonism not in ("openness", "self-enhancement", "both"):
        raise ConfigError(
            f"hedonism placement must be 'openness', 'self-enhancement' or 'both', got {hedonism!r}"
        )
    table = _table("schwartz_higher.csv")
    keep = (table["value"] != "Hedonism") | (
        (hedonism == "both") | (table["higher_order"] == _HEDONISM_FACTOR.get(hedonism))
    )
    factors: dict[str, list[str]] = {}
    for higher, value in table.loc[keep, ["higher_order", "value"]].itertuples(index=False):
        factors.setdefault(higher, []).append(value)
    return ValueSystem("Schwartz (H)", factors, definitions=schwartz_definitions())


def gpla_five_factor() -> ValueSystem:
    """The published GPLA five-factor LLM value system (Ye et al., Table 10): 92 values with their
    primary loadings on Social Responsibility, Risk-taking, Rule-Following, Self-Competence, Rationality."""
    return ValueSystem.from_frame("GPLA five-factor", _table("gpla_five_factor_loadings.csv"))


def gpla_five_factor_alphas() -> pd.DataFrame:
    """Published Cronbach's alphas of the five factors with 95% CIs (Ye et al., Table 1):
    columns factor, alpha, ci_low, ci_high."""
    return _table("gpla_five_factor_alphas.csv").copy()
