"""The report's "Read this first": conditions of a run that make its statistics uninterpretable, found
in the run's own tables — too few subjects, an evaluator that calls (nearly) every pair relevant,
lexicon values or questions that are copies of the agents' few-shot examples, values with no question."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.agents.prompts import questions as question_prompt
from gpla.agents.prompts import values as value_prompt
from gpla.analysis.minimums import MIN_SUBJECTS_HELDOUT_CFA

RELEVANT_P = 0.5  # GPV calls a pair relevant when p(relevant) exceeds this
ALL_RELEVANT_SHARE = 0.95
PROMPT_EXAMPLE_VALUES = (*value_prompt.EXAMPLE_VALUES, *question_prompt.EXAMPLE_VALUES)
PROMPT_EXAMPLE_QUESTIONS = question_prompt.EXAMPLE_QUESTIONS


@dataclass(frozen=True)
class Flag:
    name: str
    message: str


def _key(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def _listed(names: list[str], limit: int = 8) -> str:
    more = f", … (+{len(names) - limit})" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _are(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"


def sample_size_flag(n_subjects: int, n_values: int) -> Flag | None:
    """PCA needs more subjects than values (else the correlation matrix is singular); the CFA on
    held-out subjects needs twice the analysis stage's minimum (half builds, half tests)."""
    needs = []
    if n_subjects <= n_values:
        needs.append(f"more subjects than values ({n_values}) for a full-rank correlation matrix (PCA)")
    if n_subjects < MIN_SUBJECTS_HELDOUT_CFA:
        needs.append(f"≥ {MIN_SUBJECTS_HELDOUT_CFA} for a CFA on held-out subjects")
    if not needs:
        return None
    return Flag("sample_size", f"**Too few subjects:** {n_subjects} subjects × {n_values} values; the analysis "
                f"needs {' and '.join(needs)}. Loadings, alphas and congruence at this size are not findings.")


def relevance_flag(judgments: pd.DataFrame) -> Flag | None:
    """An evaluator that calls ≥ 95% of the judged pairs relevant does not discriminate: every value
    is then scored from nearly every perception."""
    p = judgments["p_relevant"].dropna()
    if p.empty:
        return None
    relevant = int((p > RELEVANT_P).sum())
    if relevant / len(p) < ALL_RELEVANT_SHARE:
        return None
    return Flag("all_relevant", f"**Evaluator calls nearly everything relevant:** {relevant} of {len(p)} judged "
                f"perception × value pairs ({relevant / len(p):.1%}) have p(relevant) > {RELEVANT_P}; relevance "
                "does not discriminate, so each value's score mixes perceptions about other values.")


def copy_flags(lexicon_values: list[str] | None, questions: pd.DataFrame | None) -> list[Flag]:
    """Lexicon values and questions equal (case-insensitive) to an example the agents' prompts show.
    ``lexicon_values`` is None when the user brought the lexicon (its values are not generated)."""
    flags = []
    examples = {_key(v) for v in PROMPT_EXAMPLE_VALUES}
    if lexicon_values:
        copied = [" ".join(v.split()) for v in lexicon_values if _key(v) in examples]
        if copied:
            flags.append(Flag("copied_values", f"**Values copied from the prompts' examples:** {len(copied)} of "
                              f"{len(lexicon_values)} lexicon values ({_listed(copied)}) {_are(copied)} examples shown in the "
                              "value generator's or question designer's prompt; they may be copies, not values "
                              "found in the corpus."))
    if questions is not None and len(questions):
        asked = {_key(q) for q in PROMPT_EXAMPLE_QUESTIONS}
        copied = [str(v) for v, q in zip(questions["value"], questions["question"], strict=True) if _key(q) in asked]
        if copied:
            what = "is a verbatim example" if len(copied) == 1 else "are verbatim examples"
            flags.append(Flag("copied_questions", f"**Questions copied from the prompt's examples:** {len(copied)} of "
                              f"{len(questions)} questions (for {_listed(copied)}) {what} of the question "
                              "designer's prompt, not designed for the value."))
    return flags


def unasked_flag(lexicon_values: list[str], question_values: list[str]) -> Flag | None:
    asked = {_key(v) for v in question_values}
    missing = [v for v in lexicon_values if _key(v) not in asked]
    if not missing:
        return None
    return Flag("values_without_question", f"**Values with no question:** {len(missing)} of {len(lexicon_values)} "
                f"lexicon values ({_listed(missing)}) {'has' if len(missing) == 1 else 'have'} no question, so no "
                f"response measured {'it' if len(missing) == 1 else 'them'}.")


def run_flags(run_dir: Path, manifest: dict[str, Any]) -> list[Flag]:
    """Every flag that applies to the run directory's tables (a missing table checks nothing)."""
    def read(name: str) -> pd.DataFrame | None:
        path = run_dir / f"{name}.parquet"
        return pd.read_parquet(path) if path.exists() else None

    flags: list[Flag | None] = []
    summary = run_dir / "analysis" / "summary.json"
    X = read("X")
    if summary.exists():
        s = json.loads(summary.read_text())
        flags.append(sample_size_flag(int(s["n_subjects"]), int(s["n_values"])))
    elif X is not None:
        flags.append(sample_size_flag(len(X), X.shape[1] - ("subject_id" in X.columns)))
    judgments = read("judgments")
    if judgments is not None and "p_relevant" in judgments.columns:
        flags.append(relevance_flag(judgments))
    lexicon, questions = read("lexicon"), read("questions")
    values = None if lexicon is None else [str(v) for v in lexicon["value"]]
    given = manifest.get("config", {}).get("lexicon", {}).get("file") is not None
    flags += copy_flags(None if given else values, questions)
    if values is not None and questions is not None:
        flags.append(unasked_flag(values, [str(v) for v in questions["value"]]))
    return [f for f in flags if f is not None]


def flags_section(flags: list[Flag]) -> list[str]:
    out = ["## Read this first", ""]
    if not flags:
        return [*out, "No condition that makes the statistics uninterpretable was found (checked: subjects "
                "against what PCA and CFA need, the evaluator's share of relevant pairs, values and questions "
                "copied from the prompts' examples, values without a question).", ""]
    return [*out, *[f"- {f.message}" for f in flags], ""]
