"""Pipeline bookkeeping with fake models (plumbing only): artifacts and their columns, manifest,
stage keys (re-run = 0 calls; one changed setting re-runs only downstream), errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pipeline_fakes import fake_pool, small_config

from gpla.errors import ConfigError, DataError
from gpla.pipeline import Pipeline
from gpla.stages import STAGE_NAMES

CONTRACTS = {  # DESIGN.md "Data contracts"
    "corpus": ["doc_id", "text", "source"],
    "perceptions": ["perception_id", "doc_id", "text"],
    "value_mentions": ["perception_id", "value"],
    "lexicon": ["value", "frequency", "rank", "merged_from", "sources"],
    "questions": ["value", "question"],
    "subjects": ["subject_id", "model", "profile", "system_prompt"],
    "responses": ["subject_id", "value", "question", "response"],
    "judgments": ["subject_id", "perception_id", "value", "p_relevant", "p_support", "p_oppose", "p_either", "score"],
}


def _run(cfg, run_dir: Path, **kw):  # type: ignore[no-untyped-def]
    pool, _ = fake_pool()
    return Pipeline(cfg, run_dir, pool).run(**kw)


def _statuses(summary) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {s.name: s.status for s in summary.stages}


@pytest.fixture
def finished(tmp_path: Path):  # type: ignore[no-untyped-def]
    cfg = small_config(tmp_path)
    first = _run(cfg, tmp_path / "run")
    return cfg, tmp_path / "run", first


def test_full_run_writes_every_artifact_with_its_columns(finished) -> None:  # type: ignore[no-untyped-def]
    _cfg, run, first = finished
    assert set(_statuses(first).values()) == {"done"}
    for name, cols in CONTRACTS.items():
        assert set(cols) <= set(pd.read_parquet(run / f"{name}.parquet").columns), name
    X, n = pd.read_parquet(run / "X.parquet"), pd.read_parquet(run / "X_n.parquet")
    assert len(X) == 8 and list(X.columns[1:]) == ["Honesty", "Loyalty", "Fairness", "Courage", "Kindness"]
    assert n.iloc[:, 1:].to_numpy().sum() == pd.read_parquet(run / "judgments.parquet")["score"].notna().sum()
    # 8 subjects × 5 questions = 40 responses, each judged on all 5 values ("all responses").
    assert len(pd.read_parquet(run / "responses.parquet")) == 40
    per_perception = pd.read_parquet(run / "judgments.parquet").groupby("perception_id").size()
    assert (per_perception == 5).all()
    for f in ("report.md", "report.html", "analysis/summary.json", "analysis/loadings.csv", "analysis/scree.png"):
        assert (run / f).stat().st_size > 0, f
    html = (run / "report.html").read_text()
    assert "data:image/png;base64," in html and 'src="analysis/' not in html
    assert "Table 1 format" in (run / "report.md").read_text()
    assert list((run / "logs").glob("run-*.log"))
    assert not (run / "partial").exists()


def test_manifest_records_config_versions_inputs_and_usage(finished) -> None:  # type: ignore[no-untyped-def]
    cfg, run, first = finished
    m = json.loads((run / "manifest.json").read_text())
    assert m["config"]["subjects"]["models"] == ["fake:a", "fake:b"]
    assert {"python", "pandas", "gpla"} <= set(m["versions"])
    assert str(cfg.lexicon.file) in m["inputs"] and len(m["inputs"][str(cfg.lexicon.file)]) == 64
    assert [m["stages"][s]["status"] for s in STAGE_NAMES] == ["done"] * len(STAGE_NAMES)
    assert m["model_calls_last_run"] == first.model_calls > 0
    assert m["usage"]["calls"] == first.model_calls
    calls = sum(m["stages"][s]["usage"]["calls"] for s in STAGE_NAMES)
    assert calls == first.model_calls


def test_rerun_makes_zero_calls(finished) -> None:  # type: ignore[no-untyped-def]
    cfg, run, first = finished
    again = _run(cfg, run)
    assert set(_statuses(again).values()) == {"cached"}
    assert again.model_calls == 0
    m = json.loads((run / "manifest.json").read_text())
    assert m["model_calls_last_run"] == 0 and m["usage"]["calls"] == first.model_calls


def test_changed_setting_reruns_only_downstream(finished, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _cfg, run, _ = finished
    changed = small_config(tmp_path, analysis__n_factors=1)
    s = _statuses(_run(changed, run))
    assert [k for k, v in s.items() if v == "done"] == ["analysis", "report"]

    changed = small_config(tmp_path, analysis__n_factors=1, administration__max_tokens=33)
    summary = _run(changed, run)
    s = _statuses(summary)
    assert [k for k, v in s.items() if v == "done"] == ["responses", "judgments", "X", "analysis", "report"]
    assert summary.model_calls > 0


def test_changed_input_file_reruns_from_its_stage(finished) -> None:  # type: ignore[no-untyped-def]
    cfg, run, _ = finished
    with open(cfg.lexicon.file, "a") as f:
        f.write("\nFreedom,1")
    s = _statuses(_run(cfg, run))
    assert s["value_mentions"] == "cached" and s["lexicon"] == "done" and s["questions"] == "done"
    assert "Freedom" in pd.read_parquet(run / "X.parquet").columns


def test_from_stage_forces_a_rerun(finished) -> None:  # type: ignore[no-untyped-def]
    cfg, run, _ = finished
    s = _statuses(_run(cfg, run, from_stage="X"))
    assert [k for k, v in s.items() if v == "done"] == ["X", "analysis", "report"]
    with pytest.raises(ConfigError, match="unknown stage 'Xs'"):
        _run(cfg, run, from_stage="Xs")


def test_per_question_mode_judges_only_the_questions_value(tmp_path: Path) -> None:
    cfg = small_config(tmp_path, gpv__mode="per_question")
    _run(cfg, tmp_path / "run")
    j = pd.read_parquet(tmp_path / "run" / "judgments.parquet")
    p = pd.read_parquet(tmp_path / "run" / "response_perceptions.parquet")
    assert len(j) == len(p)
    merged = j.merge(p, on="perception_id")
    assert (merged["value"] == merged["question_value"]).all()


def test_bad_inputs_fail_with_a_clear_error_and_a_failed_stage(tmp_path: Path) -> None:
    questions = tmp_path / "q.csv"
    questions.write_text("value,question\nHonesty,Should I lie?\n")
    cfg = small_config(tmp_path, questions__file=str(questions))
    with pytest.raises(DataError, match=r"no question for lexicon values \['Loyalty'"):
        _run(cfg, tmp_path / "run")
    m = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert m["stages"]["questions"]["status"] == "failed" and "Loyalty" in m["stages"]["questions"]["error"]

    cfg = small_config(tmp_path, lexicon__file=str(tmp_path / "none.csv"))
    with pytest.raises(DataError, match=r"none\.csv does not exist"):
        _run(cfg, tmp_path / "run2")


def test_enough_subjects_give_table_2_congruence_and_table_12(tmp_path: Path) -> None:
    # Published value names (GPLA Table 10) so that congruence with the five factors is computable.
    lexicon = tmp_path / "published.csv"
    lexicon.write_text("value\nEquity\nEmpathy\nChallenge\nBoldness\nOrder\nRealism\n")
    profiles = list(range(1, 13))  # 2 models × 12 profiles = 24 subjects: half held out for CFA
    cfg = small_config(tmp_path, subjects__profiles=profiles, analysis__compare_systems=["schwartz-h"],
                       analysis__n_factors=2, lexicon__file=str(lexicon))
    run = tmp_path / "run"
    _run(cfg, run, until="X")
    subjects = pd.read_parquet(run / "subjects.parquet")["subject_id"]
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.normal(size=(len(subjects), 2)), columns=["Benevolence", "Power"])
    scores.insert(0, "subject_id", subjects.to_numpy())
    scores.to_csv(tmp_path / "schwartz.csv", index=False)
    cfg = small_config(tmp_path, subjects__profiles=profiles, analysis__compare_systems=["schwartz-h"],
                       analysis__n_factors=2, lexicon__file=str(lexicon),
                       analysis__schwartz_scores=str(tmp_path / "schwartz.csv"))
    _run(cfg, run)

    summary = json.loads((run / "analysis" / "summary.json").read_text())
    assert summary["n_subjects"] == 24 and summary["n_construct"] == 12 and summary["n_holdout"] == 12
    table = pd.read_csv(run / "analysis" / "cfa" / "table.csv")
    assert table["system"].tolist() == ["Ours", "Schwartz (H)"]
    congruence = pd.read_csv(run / "analysis" / "congruence.csv")
    assert len(congruence) == 2 and (congruence["n_common_values"] == 6).all()
    correlations = pd.read_csv(run / "analysis" / "schwartz_correlations.csv", index_col=0)
    assert list(correlations.index) == ["Benevolence", "Power"] and correlations.shape[1] == 2
    assert correlations.abs().le(1).all().all()
    report = (run / "report.md").read_text()
    for section in ("Table 1 format", "Table 2 format", "Congruence with the published", "Table 12 format"):
        assert section in report


def test_corpus_kinds_flow_into_the_lexicon(tmp_path: Path) -> None:
    """Documents are parsed, GPV perceptions pass through, ValueLex entries count without a call."""
    (tmp_path / "answers.csv").write_text("answer\nBe honest with her. Friends deserve the truth.\n"
                                          "Save money first. Security matters.\n")
    (tmp_path / "perceptions.csv").write_text("perception\nLoyalty to friends is important.\n")
    (tmp_path / "lex.csv").write_text("value,n\nBenevolence,40\nPower,3\n")
    cfg = small_config(tmp_path, lexicon__file=None, lexicon__max_values=20, corpus__sources=[
        {"spec": f"csv:{tmp_path / 'answers.csv'}:text=answer"},
        {"spec": f"gpv:{tmp_path / 'perceptions.csv'}:text=perception"},
        {"spec": f"valuelex:{tmp_path / 'lex.csv'}:count=n"},
    ])
    run = tmp_path / "run"
    _run(cfg, run, until="lexicon")
    perceptions = pd.read_parquet(run / "perceptions.parquet")
    assert len(perceptions) == 2 * 2 + 1  # 2 per parsed answer (the fake) + 1 given perception
    mentions = pd.read_parquet(run / "value_mentions.parquet")
    assert mentions.loc[mentions["value"] == "Benevolence", "count"].tolist() == [40]
    assert (mentions["count"] == 1).sum() == 2 * 5  # the fake names 2 values per perception
    lexicon = pd.read_parquet(run / "lexicon.parquet")
    assert lexicon.iloc[0]["value"] == "Benevolence" and lexicon.iloc[0]["frequency"] >= 40
    assert lexicon["rank"].tolist() == list(range(1, len(lexicon) + 1))
