"""The quickstart end to end on the real embedded model (Gemma 3 270M, llama.cpp) and the packaged
MiniLM, at a reduced size, through the real CLI: every artifact and both reports are written, the
tiny analysis degrades with a note instead of crashing, and a re-run makes zero model calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gpla.config import load_config, load_preset

# The quickstart preset, smaller: 2 seed questions, 2 values, 2 subjects.
CONFIG = """
name = "quickstart-small"
[models]
agent = "llamacpp:default"
embedding = "st:default"
[agents]
generator_max_tokens = 32
designer_max_tokens = 64
[corpus]
perceptions = "sentences"
batch_size = 4
[corpus.generate]
profiles = ["Default"]
max_tokens = 32
seed_questions = [
  "Should I take a boring job that pays well or a job I love that pays little?",
  "I found a wallet with cash and no ID on the bus. What should I do with it?",
]
[lexicon]
max_values = 2
[subjects]
models = ["llamacpp:default"]
profiles = ["Default", "Power: Dominance"]
[administration]
max_tokens = 32
batch_size = 3
[gpv]
perceptions = "sentences"
batch_size = 3
"""
ARTIFACTS = ["corpus", "perceptions", "value_mentions", "lexicon", "questions", "subjects", "responses",
             "response_perceptions", "judgments", "X", "X_n"]


def _gpla(config: Path, out: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GPLA_CACHE_DIR": str(cache), "GPLA_QUIET": "1"}
    return subprocess.run([sys.executable, "-m", "gpla", "run", str(config), "--out", str(out), "--quiet"],
                          capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, str]:
    tmp = tmp_path_factory.mktemp("quickstart")
    config = tmp / "quickstart-small.toml"
    config.write_text(CONFIG)
    out, cache = tmp / "run", tmp / "cache"
    done = _gpla(config, out, cache)
    assert done.returncode == 0, done.stderr[-3000:]
    return config, out, cache, done.stdout


def load_config_text(text: str):  # type: ignore[no-untyped-def]
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.toml"
        path.write_text(text)
        return load_config(path)


def test_reduced_config_is_the_quickstart_with_smaller_sizes() -> None:
    small, full = load_config_text(CONFIG), load_preset("quickstart")
    assert small.models == full.models and small.subjects.models == full.subjects.models
    assert small.corpus.perceptions == full.corpus.perceptions == "sentences"


@pytest.mark.slow
@pytest.mark.llm
def test_quickstart_writes_every_artifact_and_both_reports(quickstart: tuple[Path, Path, Path, str]) -> None:
    _, out, _, stdout = quickstart
    for name in ARTIFACTS:
        assert (out / f"{name}.parquet").exists(), name
    corpus = pd.read_parquet(out / "corpus.parquet")
    assert 1 <= len(corpus) <= 2 and corpus["source"].eq("generated").all()  # the subjects wrote it
    lexicon = pd.read_parquet(out / "lexicon.parquet")
    assert len(lexicon) == 2 and (lexicon["frequency"] > 0).all()
    questions = pd.read_parquet(out / "questions.parquet")
    # A value whose designer reply was unreadable has no question (noted); the others keep lexicon order.
    assert len(questions) >= 1 and set(questions["value"]) <= set(lexicon["value"])
    assert len(pd.read_parquet(out / "responses.parquet")) == 2 * len(questions)
    judgments = pd.read_parquet(out / "judgments.parquet")
    assert judgments["p_relevant"].between(0, 1).all()
    X = pd.read_parquet(out / "X.parquet")
    assert len(X) == 2 and set(lexicon["value"]) == set(X.columns) - {"subject_id"}

    manifest = json.loads((out / "manifest.json").read_text())
    assert all(s["status"] == "done" for s in manifest["stages"].values())
    assert manifest["model_calls_last_run"] > 0
    assert manifest["usage"]["prompt_tokens"] > 0 and manifest["usage"]["completion_tokens"] > 0
    report = (out / "report.md").read_text()
    assert "PCA skipped" in report  # 2 subjects: degraded with a note, not a crash
    assert "data:image/png;base64," in (out / "report.html").read_text()
    assert f"model calls this run: {manifest['model_calls_last_run']}" in stdout


@pytest.mark.slow
@pytest.mark.llm
def test_quickstart_rerun_makes_zero_model_calls(quickstart: tuple[Path, Path, Path, str]) -> None:
    config, out, cache, _ = quickstart
    again = _gpla(config, out, cache)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "model calls this run: 0" in again.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model_calls_last_run"] == 0
    assert manifest["usage_last_run"]["cache_hits"] == 0  # nothing was even asked of the cache
