"""`gpla alpha` warns as psych::alpha does when items load negatively on the first principal
component. Reference: the reverse-keyed items of psych's bfi keys (``bfi_alpha.csv``, marked ``-``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gpla.analysis.keying import negatively_keyed
from gpla.analysis.reliability import reverse_items
from gpla.shared import shared_path

PSYCH = shared_path("data", "psych")


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return pd.read_csv(PSYCH / "bfi.csv", index_col=0).iloc[:, :25].dropna()


def _psych_keys() -> dict[str, list[str]]:
    table = pd.read_csv(PSYCH / "bfi_alpha.csv")
    return {r.scale: [i.lstrip("-") for i in r.items.split()] for r in table.itertuples()}


def _psych_reversed() -> dict[str, list[str]]:
    table = pd.read_csv(PSYCH / "bfi_alpha.csv")
    return {r.scale: [i[1:] for i in r.items.split() if i.startswith("-")] for r in table.itertuples()}


def test_first_component_signs_find_psychs_reverse_keyed_items(items: pd.DataFrame) -> None:
    reversed_ = _psych_reversed()
    for scale, members in _psych_keys().items():
        assert negatively_keyed(items[members]) == reversed_[scale], scale
        assert negatively_keyed(reverse_items(items[members], reversed_[scale])) == []


def test_alpha_command_warns_and_names_the_flag(items: pd.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "bfi.csv"
    items.to_csv(data)
    syntax = str(PSYCH / "bfi_five_factor.lavaan")
    base = [sys.executable, "-m", "gpla", "alpha", "--data", str(data), "--syntax", syntax]
    warned = subprocess.run(base, capture_output=True, text=True)
    assert warned.returncode == 0, warned.stderr
    lines = [line for line in warned.stderr.splitlines() if line.startswith("warning:")]
    assert len(lines) == 4 and "items A1 were negatively correlated" in lines[0]
    assert "(--reverse C4,C5)" in warned.stderr
    keyed = subprocess.run([*base, "--reverse", "A1,C4,C5,E1,E2,O2,O5"], capture_output=True, text=True)
    assert keyed.returncode == 0 and "warning:" not in keyed.stderr
