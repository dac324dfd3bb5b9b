"""``administration.batch_api`` / ``gpv.batch_api``: the stages send ``openai:`` models' requests as
Batch API jobs (a fake files/batches front over the real llama-cpp-python server of the fixture),
one job per model and checkpoint, and a rerun of a stage pays for nothing twice."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batch_fake_server import FakeBatchServer
from model_fixtures import openai_server  # noqa: F401

from gpla.config import parse_config
from gpla.measure.subjects import build_subjects
from gpla.stages.context import ModelPool, StageContext
from gpla.stages.measure import run_judgments, run_responses


@pytest.fixture
def batch_server(openai_server: str) -> Iterator[FakeBatchServer]:  # noqa: F811
    fake = FakeBatchServer(upstream=openai_server)
    yield fake
    fake.close()


def context(tmp_path: Path, spec: str, stage: str, pool: ModelPool) -> StageContext:
    config = parse_config({
        "lexicon": {"file": str(tmp_path / "lexicon.parquet")},
        "models": {"evaluator": spec},
        "subjects": {"models": [spec], "profiles": [1, 2]},
        "administration": {"batch_api": True, "batch_size": 100, "max_tokens": 8},
        # raw: over HTTP the gpv protocol matches "yes"/"no" exactly as written, which this small
        # base model often leaves out of its top 20 logprobs (NaN rows); raw also counts " Yes" etc.
        "gpv": {"batch_api": True, "batch_size": 100, "perceptions": "whole", "protocol": "raw"},
    })  # fmt: skip
    return StageContext(config, tmp_path, pool, key=stage, log=logging.getLogger("test"), stage=stage)


def test_responses_and_judgments_go_through_batch_jobs(
    batch_server: FakeBatchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPLA_CACHE_DIR", str(tmp_path / "cache"))
    spec = f"openai:gemma@{batch_server.url}"
    pool = ModelPool()
    ctx = context(tmp_path, spec, "responses", pool)
    ctx.write("subjects", build_subjects([spec], [1, 2]))
    ctx.write("questions", pd.DataFrame({"value": ["Honesty", "Care", "Power"],
                                         "question": ["Should I lie?", "Should I help?", "Should I rule?"]}))  # fmt: skip
    ctx.write("lexicon", pd.DataFrame({"value": ["Honesty", "Care"]}))

    run_responses(ctx)
    responses = ctx.read("responses")
    assert len(responses) == 6 and responses["response"].str.len().gt(0).all()
    assert batch_server.submissions == 1  # 2 subjects x 3 questions of one model: one job

    run_judgments(context(tmp_path, spec, "judgments", pool))
    judgments = pd.read_parquet(tmp_path / "judgments.parquet")
    perceptions = pd.read_parquet(tmp_path / "response_perceptions.parquet")
    assert len(judgments) == 2 * len(perceptions) > 0  # every perception x both lexicon values
    assert judgments["p_relevant"].between(0, 1).all()
    jobs = batch_server.submissions - 1
    assert jobs in (1, 2)  # relevance, then valence for the relevant pairs (if any)

    # The same stages again (a rerun): every answer is in the cache, no new job.
    run_responses(context(tmp_path, spec, "responses", ModelPool()))
    run_judgments(context(tmp_path, spec, "judgments", ModelPool()))
    assert batch_server.submissions == 1 + jobs
