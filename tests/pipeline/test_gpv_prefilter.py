"""The embedding prefilter in the judgment stage: fake chat models (plumbing), the real packaged
MiniLM embedder (which values a perception is close to is a real embedding question)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pipeline_fakes import FakeSlowModel, small_config

from gpla.errors import ConfigError
from gpla.measure.prefilter import similarities
from gpla.models import load_embedding_model
from gpla.pipeline import Pipeline
from gpla.stages.context import ModelPool

EVALUATOR_TASK = "[Task] Given a sentence and a value"


def _run(cfg, run_dir: Path):  # type: ignore[no-untyped-def]
    """Run up to the judgments; returns the summary and the evaluator prompts sent."""
    made: dict[str, FakeSlowModel] = {}

    def chat(spec: str) -> FakeSlowModel:
        made[spec] = FakeSlowModel(0.0, spec)
        return made[spec]

    summary = Pipeline(cfg, run_dir, ModelPool(chat=chat)).run(until="judgments")
    judged = [
        r for m in made.values() for r in m.requests if r.prompt_text.startswith(EVALUATOR_TASK)
    ]
    return summary, judged


@pytest.fixture(scope="module")
def exact(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, list[Any]]:
    """A run with the default ``off`` (its folder holds the config's lexicon file and ``off/``)."""
    tmp = tmp_path_factory.mktemp("prefilter")
    summary, calls = _run(small_config(tmp), tmp / "off")
    return tmp, summary, calls


def test_top1_judges_each_perception_against_its_closest_value(exact, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, full, full_calls = exact
    tmp_path = base  # the same lexicon file, so the same stage keys up to the judgments
    top1, top1_calls = _run(small_config(tmp_path, gpv__prefilter="top:1"), tmp_path / "top1")

    perceptions = pd.read_parquet(tmp_path / "top1" / "response_perceptions.parquet")
    judgments = pd.read_parquet(tmp_path / "top1" / "judgments.parquet")
    values = pd.read_parquet(tmp_path / "top1" / "lexicon.parquet")["value"].tolist()
    assert len(values) == 5
    assert (judgments.groupby("perception_id").size() == 1).all()
    assert set(judgments["perception_id"]) == set(perceptions["perception_id"])
    # The kept value is the perception's most similar one under the real embedder ...
    sim = similarities(perceptions["text"].tolist(), values, load_embedding_model("st:default"))
    closest = dict(zip(perceptions["perception_id"], np.asarray(values)[sim.argmax(axis=1)], strict=True))
    assert (judgments["value"] == judgments["perception_id"].map(closest)).all()
    # ... which for the fakes' "Statement N values honesty." is Honesty.
    honest = perceptions.loc[perceptions["text"].str.contains("honesty"), "perception_id"]
    assert len(honest) > 0 and {closest[p] for p in honest} == {"Honesty"}

    # Same responses in both runs, so the same perceptions; off judges all 5 values of each.
    off_judgments = pd.read_parquet(tmp_path / "off" / "judgments.parquet")
    assert len(off_judgments) == 5 * len(perceptions) == 5 * len(judgments)
    relevance = [r for r in full_calls if "relevant" in r.prompt_text.split("\n")[0]]
    relevance_top1 = [r for r in top1_calls if "relevant" in r.prompt_text.split("\n")[0]]
    assert len(relevance) == 5 * len(perceptions) and len(relevance_top1) == len(perceptions)
    assert len(top1_calls) < len(full_calls) / 2
    assert top1.model_calls == full.model_calls - (len(full_calls) - len(top1_calls))

    stage = json.loads((tmp_path / "top1" / "manifest.json").read_text())["stages"]["judgments"]
    removed = 4 * len(perceptions)
    assert stage["info"]["prefilter_removed"] == removed
    assert any(f"prefilter top:1 (st:default) removed {removed} of" in n for n in stage["notes"])
    off_stage = json.loads((tmp_path / "off" / "manifest.json").read_text())["stages"]["judgments"]
    assert "prefilter_removed" not in off_stage["info"]


def test_changing_the_prefilter_reruns_the_judgments(exact, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = exact[0]
    shutil.copytree(base / "off", tmp_path / "run")
    summary, calls = _run(small_config(base, gpv__prefilter="sim:0.2"), tmp_path / "run")
    statuses = {s.name: s.status for s in summary.stages}
    assert statuses["responses"] == "cached" and statuses["judgments"] == "done"
    assert calls  # the evaluator ran again
    judgments = pd.read_parquet(tmp_path / "run" / "judgments.parquet")
    perceptions = pd.read_parquet(tmp_path / "run" / "response_perceptions.parquet")
    assert len(judgments) < 5 * len(perceptions)


def test_prefilter_spec_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"gpv\.prefilter"):
        small_config(tmp_path, gpv__prefilter="top:0")
    with pytest.raises(ConfigError, match="mode 'all' only"):
        small_config(tmp_path, gpv__prefilter="top:2", gpv__mode="per_question")
