"""A CFA fit is the same in every process (whatever PYTHONHASHSEED) and an improper solution is never
reported as a fit unless the user accepts it (``heywood='warn'`` / ``--heywood warn``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gpla.analysis.cfa import CFA, ModelFitError
from gpla.shared import shared_path

# A three-factor model that mixes the Big Five's items: it fits badly, so SLSQP takes a long path on
# which a different order of semopy's parameters showed in the estimates' last digits.
MIXED = """F1 =~ A1 + C4 + E2 + N1 + O5 + A3
F2 =~ C1 + E1 + N2 + O2 + A2 + C5
F3 =~ E3 + N3 + O1 + A4 + C2 + E5
"""
FIT = """
import json, sys
import pandas as pd
from gpla.analysis.cfa import CFA
data = pd.read_csv(sys.argv[1], index_col=0).dropna().iloc[:300]
fit = CFA(sys.argv[2], converge="warn", heywood="warn").fit(data)
print(json.dumps({"indices": fit.fit_indices_, "loadings": fit.std_loadings_["estimate"].tolist()}))
"""
# Loadings fixed at 10 on standardised-size data: semopy converges, but the implied covariances are
# ~100 times the observed ones (SRMR ≈ 89).
IMPROPER = "F =~ 10*a + 10*b + 10*c + d\nF ~~ 1*F\na ~~ 0.5*a\nb ~~ 0.5*b\nc ~~ 0.5*c\n"


def _fit_in_subprocess(data: str, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    command = [sys.executable, "-c", FIT, data, MIXED]
    return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout


def test_estimates_are_identical_whatever_the_hash_seed() -> None:
    data = str(shared_path("data", "psych", "bfi.csv"))
    runs = [_fit_in_subprocess(data, seed) for seed in ("1", "2", "3")]
    assert runs[0] == runs[1] == runs[2]
    assert len(json.loads(runs[0])["loadings"]) == 18


@pytest.fixture()
def drifting() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    factor = rng.standard_normal(300)
    return pd.DataFrame({k: 0.7 * factor + 0.7 * rng.standard_normal(300) for k in "abcd"})


def test_an_improper_solution_is_refused_or_flagged(drifting: pd.DataFrame) -> None:
    with pytest.raises(ModelFitError, match=r"improper solution: SRMR = \d+.* > 1.*--heywood warn"):
        CFA(IMPROPER).fit(drifting)
    kept = CFA(IMPROPER, heywood="warn").fit(drifting)
    assert kept.fit_indices_["srmr"] > 1
    assert any(w.startswith("improper solution: SRMR") for w in kept.warnings_)


def test_cfa_command_exits_2_on_an_improper_solution(drifting: pd.DataFrame, tmp_path: Path) -> None:
    data, syntax = tmp_path / "d.csv", tmp_path / "m.lavaan"
    drifting.to_csv(data, index=False)
    syntax.write_text(IMPROPER)
    base = [sys.executable, "-m", "gpla", "cfa", "--data", str(data), "--syntax", str(syntax)]
    refused = subprocess.run(base, capture_output=True, text=True)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "improper solution" in refused.stderr
    accepted = subprocess.run([*base, "--heywood", "warn"], capture_output=True, text=True)
    assert accepted.returncode == 0 and "improper solution" in accepted.stdout + accepted.stderr
