"""``[gpv] validate = N`` in a run: fake chat models (plumbing), the real Value Portrait bank and
the packaged MiniLM baseline; the result heads the run report."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline_fakes import FakeSlowModel, small_config

from gpla.pipeline import Pipeline
from gpla.report import write_report
from gpla.stages.context import ModelPool


def test_run_validates_its_evaluator_first_and_reports_it_on_top(tmp_path: Path) -> None:
    cfg = small_config(tmp_path, gpv__validate=10)
    Pipeline(cfg, tmp_path / "run", ModelPool(chat=lambda spec: FakeSlowModel(0.0, spec))).run(
        until="judgments"
    )
    summary = json.loads((tmp_path / "run" / "validation" / "validation.json").read_text())
    assert summary["items"] == 10 and summary["pairs"] == 100
    assert set(summary["scorers"]) == {"evaluator", "st:default"}
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    notes = manifest["stages"]["judgments"]["notes"]
    assert any(n.startswith("evaluator validated on 10 Value Portrait items") for n in notes)
    md, _ = write_report(tmp_path / "run")
    text = md.read_text()
    assert text.index("## Evaluator checked against human judgments") < text.index("## Stages")
    # the fake judges at random (seeded by the prompt): no better than MiniLM on 10 items
    assert summary["warnings"]
    for warning in summary["warnings"]:  # at the top of the report, above the stages
        assert text.index(f"> **Warning:** {warning}") < text.index("## Stages")
