"""The report's "Read this first" flags, computed on small hand-made run tables: each fires when its
condition holds and stays silent otherwise, and the report opens with them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gpla.agents.prompts import questions as question_prompt
from gpla.agents.prompts import values as value_prompt
from gpla.report import write_report
from gpla.report.flags import (
    copy_flags,
    relevance_flag,
    run_flags,
    sample_size_flag,
    unasked_flag,
)
from gpla.systems import gpla_five_factor

COPIED_QUESTION = question_prompt.EXAMPLES[0][1]["question"]


def test_prompt_examples_are_exposed_from_the_prompts() -> None:
    shown = {v for _, a in value_prompt.EXAMPLES for v in a["values"]}
    assert shown < set(value_prompt.EXAMPLE_VALUES)
    assert all(v in value_prompt.INSTRUCTION for v in set(value_prompt.EXAMPLE_VALUES) - shown)
    assert all(q in question_prompt.INSTRUCTION for q in question_prompt.PROMPT1_EXAMPLE_QUESTIONS)
    assert COPIED_QUESTION in question_prompt.EXAMPLE_QUESTIONS
    # a value copied by the generator must not also find its question ready-made in the designer's prompt
    assert not {v.lower() for v in value_prompt.EXAMPLE_VALUES} & {
        v.lower() for v in question_prompt.EXAMPLE_VALUES}
    # the quickstart's lexicon used to be these instruction examples
    assert not {"Honesty", "Family Security", "Freedom of Speech"} & set(value_prompt.EXAMPLE_VALUES)


def test_sample_size_flag() -> None:
    small = sample_size_flag(8, 5)
    assert small is not None and "≥ 20 for a CFA" in small.message and "PCA" not in small.message
    wide = sample_size_flag(30, 40)
    assert wide is not None and "more subjects than values (40)" in wide.message and "CFA" not in wide.message
    assert sample_size_flag(8, 8) is not None
    assert sample_size_flag(20, 10) is None


def test_relevance_flag_fires_at_95_percent() -> None:
    def judged(n_relevant: int, n: int = 20) -> pd.DataFrame:
        return pd.DataFrame({"p_relevant": [0.9] * n_relevant + [0.2] * (n - n_relevant) + [float("nan")]})

    flag = relevance_flag(judged(19))
    assert flag is not None and "19 of 20" in flag.message and "95.0%" in flag.message
    assert relevance_flag(judged(20)) is not None
    assert relevance_flag(judged(18)) is None
    assert relevance_flag(pd.DataFrame({"p_relevant": [0.5] * 10})) is None  # 0.5 is not relevant


def test_copy_flags() -> None:
    example = value_prompt.EXAMPLE_VALUES[2]
    questions = pd.DataFrame({"value": ["Thrift", "Courage"],
                              "question": [f"  {COPIED_QUESTION.upper()} ", "Should I speak up at the meeting?"]})
    flags = copy_flags(["Thrift", f" {example.lower()}", "Honesty", "Courage"], questions)
    assert [f.name for f in flags] == ["copied_values", "copied_questions"]
    assert f"2 of 4 lexicon values ({example.lower()}, Honesty) are" in flags[0].message
    assert "1 of 2 questions (for Thrift) is a verbatim example" in flags[1].message
    assert copy_flags(None, None) == []  # a lexicon the user brought is not generated
    designed = pd.DataFrame({"value": ["Thrift"], "question": ["Should I buy the cheaper car?"]})
    assert copy_flags(["Thrift", "Courage"], designed) == []


def test_unasked_flag() -> None:
    flag = unasked_flag(["Thrift", "Courage", "Patience"], ["thrift", "Patience"])
    assert flag is not None and "1 of 3 lexicon values (Courage) has no question, so no response measured it." in flag.message
    assert unasked_flag(["Thrift"], ["Thrift"]) is None


def _run_dir(path: Path, *, degenerate: bool) -> Path:
    """A hand-made run: lexicon, questions, judgments, X and the analysis summary."""
    path.mkdir()
    values = ["Thrift", "Courage", value_prompt.EXAMPLE_VALUES[0] if degenerate else "Patience"]
    n = 8 if degenerate else 30
    pd.DataFrame({"value": values, "frequency": [5, 4, 3], "rank": [1, 2, 3],
                  "merged_from": [["Frugality"], [], []], "sources": ["generated: 5"] * 3}).to_parquet(
        path / "lexicon.parquet")
    asked = values[:2] if degenerate else values
    pd.DataFrame({"value": asked, "question": [f"What should I do about {v}?" for v in asked]}).to_parquet(
        path / "questions.parquet")
    p = [0.9] * 40 if degenerate else [0.9, 0.1] * 20
    pd.DataFrame({"subject_id": ["s"] * 40, "perception_id": ["p"] * 40, "value": "Thrift",
                  "p_relevant": p}).to_parquet(path / "judgments.parquet")
    X = pd.DataFrame({v: [0.1 * (i % 7) for i in range(n)] for v in values})
    X.insert(0, "subject_id", [f"s{i}" for i in range(n)])
    X.to_parquet(path / "X.parquet")
    (path / "analysis").mkdir()
    (path / "analysis" / "summary.json").write_text(json.dumps({"n_subjects": n, "n_values": 3, "notes": []}))
    note = "4 distinct generated values → 3 after dedup (1 merged as synonyms)"
    (path / "manifest.json").write_text(json.dumps({
        "name": "hand-made", "stage_order": ["lexicon"],
        "stages": {"lexicon": {"status": "done", "notes": [note]}}}))
    return path


def test_report_opens_with_the_flags(tmp_path: Path) -> None:
    run = _run_dir(tmp_path / "bad", degenerate=True)
    flags = run_flags(run, {})
    assert [f.name for f in flags] == ["sample_size", "all_relevant", "copied_values", "values_without_question"]
    text = write_report(run)[0].read_text()
    first = text.split("\n## ")[1]
    assert first.startswith("Read this first")
    for flag in flags:
        assert f"- {flag.message}" in first
    # the merges section quotes the lexicon stage's count and shows the merge into a kept value
    assert "Lexicon stage: 4 distinct generated values → 3 after dedup (1 merged as synonyms)." in text
    assert "| Thrift | 5 | Frugality |" in text

    clean = _run_dir(tmp_path / "good", degenerate=False)
    assert run_flags(clean, {}) == []
    first = write_report(clean)[0].read_text().split("\n## ")[1]
    assert first.startswith("Read this first") and "No condition that makes the statistics uninterpretable" in first
    # a lexicon the user brought is not checked for copies
    bad_given = run_flags(run, {"config": {"lexicon": {"file": "lexicon.csv"}}})
    assert "copied_values" not in [f.name for f in bad_given]


def test_congruence_section_names_the_shared_values(tmp_path: Path) -> None:
    run = _run_dir(tmp_path / "run", degenerate=False)
    published = list(gpla_five_factor().to_frame()["value"][:3])
    ours = [*published, "Thrift"]
    pd.DataFrame({"value": ours, "RC1": [0.8, 0.7, 0.6, 0.5]}).to_csv(run / "analysis" / "loadings.csv",
                                                                      index=False)
    pd.DataFrame({"ours": ["RC1"], "reference": ["Social Responsibility"], "congruence": [0.9], "sign": [1],
                  "n_common_values": [3]}).to_csv(run / "analysis" / "congruence.csv", index=False)
    text = write_report(run)[0].read_text()
    assert f"Computed only on the 3 of our 4 values that the published system also has: {', '.join(published)}." \
        in text
    assert "_n_common_values_: how many values" in text
