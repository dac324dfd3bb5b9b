"""compare-systems warns loudly (stderr, the table's note) about, or refuses, a mapping where most
variables map only weakly onto Schwartz's values; the published GPLA values do not trigger it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from embedder_fixture import minilm  # noqa: F401
from five_factor_sim import simulate

from gpla.analysis.compare import compare_systems
from gpla.analysis.mapping import map_values, weak_mapping
from gpla.errors import DataError
from gpla.models.base import EmbeddingModel
from gpla.systems import gpla_five_factor, schwartz_basic


def _data(n: int = 200) -> pd.DataFrame:
    columns = [v for members in gpla_five_factor().factors.values() for v in members[:4]]
    return simulate(n, 0)[columns]


def _meaningless(X: pd.DataFrame) -> pd.DataFrame:
    """The same data under column names that are no values at all."""
    return X.set_axis([f"Item {i + 1}" for i in range(X.shape[1])], axis=1)


def test_value_names_map_well_and_item_numbers_weakly(minilm: EmbeddingModel) -> None:  # noqa: F811
    X = _data()
    good = map_values(list(X.columns), schwartz_basic(), minilm, min_indicators=2)
    assert weak_mapping(good, "Schwartz") == ""
    bad = map_values(list(_meaningless(X).columns), schwartz_basic(), minilm, min_indicators=2)
    message = weak_mapping(bad, "Schwartz")
    assert message.startswith("weak mapping onto Schwartz:") and f"of {X.shape[1]} values" in message


def test_compare_systems_flags_or_refuses_a_weak_mapping(minilm: EmbeddingModel) -> None:  # noqa: F811
    X = _meaningless(_data())
    result = compare_systems(X, ["schwartz-l"], minilm, random_state=0)
    [fit] = result.fits.values()
    assert fit.mapping_warning and str(result.table["note"].iloc[0]).startswith("WARNING: weak mapping")
    with pytest.raises(DataError, match="weak mapping"):
        compare_systems(X, ["schwartz-l"], minilm, random_state=0, on_weak_mapping="raise")
    assert not next(iter(compare_systems(_data(), ["schwartz-l"], minilm, random_state=0).fits.values())).mapping_warning


def test_cli_warns_on_stderr_and_refuses_with_the_flag(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    _meaningless(_data()).to_csv(data, index=False)
    base = [sys.executable, "-m", "gpla", "compare-systems", "--data", str(data), "--systems", "schwartz-h"]
    warned = subprocess.run([*base, "--out", str(tmp_path / "a")], capture_output=True, text=True)
    assert warned.returncode == 0, warned.stderr
    assert "warning: weak mapping onto" in warned.stderr
    assert "WARNING: weak mapping" in (tmp_path / "a" / "table.md").read_text()
    refused = subprocess.run([*base, "--out", str(tmp_path / "b"), "--weak-mapping", "raise"],
                             capture_output=True, text=True)  # fmt: skip
    # (the last line: transformers may print a weight-loading bar before it)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith("error: compare-systems: weak mapping")
