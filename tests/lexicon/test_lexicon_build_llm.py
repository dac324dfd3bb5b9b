"""`gpla lexicon build` and coverage end to end with the embedded Gemma 3 270M (offline, real)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.llm


def test_build_writes_every_table(tmp_path: Path) -> None:
    from gpla.cli import app

    out = tmp_path / "lex"
    # A 30-answer ValueBench sample, capped by --limit to 1 answer: the embedded model runs on CPU.
    # as=documents: ValueBench answers are perceptions by default (no parser); this test runs the parser.
    result = CliRunner().invoke(
        app, ["lexicon", "build", "--corpus", "valuebench:limit=30:as=documents", "--limit", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    tables = {name: pd.read_parquet(out / f"{name}.parquet") for name in
              ("corpus", "perceptions", "value_mentions", "lexicon")}
    for name in tables:
        assert (out / f"{name}.csv").is_file()
    assert len(tables["corpus"]) == 1
    perceptions = tables["perceptions"]
    assert set(perceptions["doc_id"]) <= set(tables["corpus"]["doc_id"])
    mentions = tables["value_mentions"].dropna(subset=["value"])
    assert set(mentions["perception_id"]) <= set(perceptions["perception_id"])
    lexicon = tables["lexicon"]
    assert lexicon.columns.tolist() == ["value", "frequency", "rank", "merged_from", "sources"]
    assert lexicon["frequency"].sum() == len(mentions)
    assert lexicon["frequency"].is_monotonic_decreasing and lexicon["sources"].str.startswith("valuebench").all()
    meta = json.loads((out / "lexicon.meta.json").read_text())
    assert meta["model"] == "llamacpp:default" and meta["dedup"]["embedding_threshold"] == 0.7
    assert meta["counts"]["lexicon"] == len(lexicon)


def test_coverage_counts_detected_values() -> None:
    from gpla.lexicon.coverage import coverage
    from gpla.models import load_chat_model

    conversations = pd.DataFrame(
        {"doc_id": ["c1"], "text": ["Always tell the truth to your friends, even when it is hard."]}
    )
    result = coverage(conversations, ["Honesty", "Wealth"], load_chat_model("llamacpp:default"),
                      systems={"one": ["Honesty"]})
    per = result.per_conversation
    assert per["doc_id"].tolist() == ["c1"] and 0 <= per.loc[0, "n_values"] <= 2
    assert set(result.detections["value"]) <= {"Honesty", "Wealth"}
    assert result.systems["system"].tolist() == ["lexicon", "one"]
    assert result.systems["share"].between(0, 1).all()
