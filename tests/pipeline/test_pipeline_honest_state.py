"""A run's state tells the truth: stage keys include the code that computes them, and the usage paid
before a SIGKILL is in the manifest (fake models: this tests the plumbing)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pipeline_fakes import fake_pool, small_config

import gpla.pipeline
from gpla.pipeline import Pipeline
from gpla.stages import STAGES

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


def test_a_new_stage_code_version_changes_its_key_and_downstream_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = small_config(tmp_path)
    before = Pipeline(cfg, tmp_path / "run").stage_keys()
    bumped = tuple(dataclasses.replace(s, code=s.code + "+1") if s.name == "X" else s for s in STAGES)
    monkeypatch.setattr(gpla.pipeline, "STAGES", bumped)
    after = Pipeline(cfg, tmp_path / "run").stage_keys()
    names = [s.name for s in STAGES]
    changed = [n for n in names if before[n][0] != after[n][0]]
    assert changed == names[names.index("X"):]


def test_the_analysis_key_includes_the_gpla_version() -> None:
    from gpla import __version__

    assert {s.name: s.code.split("/")[0] for s in STAGES}["analysis"] == __version__


@pytest.mark.slow
def test_usage_paid_before_a_sigkill_is_in_the_manifest(tmp_path: Path) -> None:
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
    manifest = json.loads((run / "manifest.json").read_text())
    judged = manifest["stages"]["judgments"]
    assert judged["status"] == "running"
    # At least the parser calls of the committed batches (one per response) were recorded.
    batch = small_config(tmp_path).gpv.batch_size
    assert judged["usage"]["calls"] >= committed * batch
    earlier = sum(s.get("usage", {}).get("calls", 0) for n, s in manifest["stages"].items() if n != "judgments")
    assert manifest["usage"]["calls"] == earlier + judged["usage"]["calls"]

    # The resumed run adds its calls to those, it does not start from the last finished stage's count.
    pool, _ = fake_pool()
    Pipeline(small_config(tmp_path), run, pool).run()
    resumed = json.loads((run / "manifest.json").read_text())
    assert resumed["usage"]["calls"] == manifest["usage"]["calls"] + resumed["usage_last_run"]["calls"]
