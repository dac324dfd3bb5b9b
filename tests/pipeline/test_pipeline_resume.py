"""A run killed with SIGKILL mid-stage resumes, redoing at most the batch in flight, and ends with
exactly the rows of an uninterrupted run (fake models: this tests the checkpoint plumbing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from pipeline_fakes import fake_pool, small_config

from gpla.pipeline import Pipeline

HERE = Path(__file__).resolve().parent
SCRIPT = """
import sys
sys.path.insert(0, {here!r})
from pathlib import Path
from pipeline_fakes import fake_pool, small_config
from gpla.pipeline import Pipeline
pool, _ = fake_pool(delay=0.01)
Pipeline(small_config(Path({tmp!r})), {run!r}, pool).run()
"""


def _sorted(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return table.sort_values(keys).reset_index(drop=True)


@pytest.mark.slow
def test_sigkill_mid_stage_resumes_without_lost_or_duplicated_rows(tmp_path: Path) -> None:
    run = tmp_path / "killed"
    partial = run / "partial" / "judgments"
    code = SCRIPT.format(here=str(HERE), tmp=str(tmp_path), run=str(run))
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "GPLA_QUIET": "1"})
    deadline = time.monotonic() + 300
    while len(list(partial.glob("*.done"))) < 2:
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the judgments stage never checkpointed"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = len(list(partial.glob("*.done")))
    assert not (run / "judgments.parquet").exists()

    cfg = small_config(tmp_path)
    pool, made = fake_pool()
    summary = Pipeline(cfg, run, pool).run()
    status = {s.name: s.status for s in summary.stages}
    assert status["responses"] == "cached" and status["judgments"] == "done"
    # Only the responses of uncommitted batches are parsed again: 40 responses, batches of 4.
    parsed = sum(
        1 for r in made[cfg.models.agent].requests if "perceptions" in (r.json_schema or {}).get("properties", {})
    )
    assert parsed == 40 - committed * cfg.gpv.batch_size

    reference = tmp_path / "reference"
    _run_ref, _ = fake_pool()
    Pipeline(cfg, reference, _run_ref).run()
    keys = ["perception_id", "value"]
    resumed, ref = (pd.read_parquet(d / "judgments.parquet") for d in (run, reference))
    assert not resumed.duplicated(keys).any()
    pd.testing.assert_frame_equal(_sorted(resumed, keys), _sorted(ref, keys))
    pd.testing.assert_frame_equal(pd.read_parquet(run / "X.parquet"), pd.read_parquet(reference / "X.parquet"))
