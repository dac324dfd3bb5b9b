"""Stages 5-9: questions (Prompt 1) → subjects → responses → judgments (GPV) → X."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gpla.errors import DataError
from gpla.measure.administration import RESPONSE_COLUMNS, administer, pairings
from gpla.measure.gpv import (
    JUDGMENT_COLUMNS,
    PERCEPTION_COLUMNS,
    aggregate,
    judge,
    judgment_pairs,
    perceive,
)
from gpla.measure.prefilter import Prefilter
from gpla.measure.subjects import build_subjects
from gpla.models.base import EmbeddingModel
from gpla.stages.context import BATCH_API_MAX_REQUESTS, StageContext
from gpla.stages.validation import validate_evaluator
from gpla.tables import read_raw_table


def run_questions(ctx: StageContext) -> None:
    values = ctx.read("lexicon")["value"].astype(str).tolist()
    if ctx.config.questions.file is not None:
        questions = _read_questions(Path(ctx.config.questions.file), values)
        ctx.note(f"questions read from {ctx.config.questions.file}")
    else:
        from gpla.agents import QuestionDesigner

        designer = QuestionDesigner(ctx.models.chat(ctx.config.models.spec("designer")),
                                    **ctx.config.agents.options("designer"))

        def work(batch: list[str]) -> dict[str, pd.DataFrame]:
            return {"questions": designer.design(batch).reindex(columns=["value", "question"])}

        questions = ctx.batched(values, ctx.config.questions.batch_size, work,
                                "questions", {"questions": ["value", "question"]})["questions"]
        empty = questions["question"].isna() | (questions["question"].astype(str).str.strip() == "")
        if empty.all():
            raise DataError("questions: the designer wrote no usable question; supply them in questions.file")
        if empty.any():
            # In "all responses" mode these values are still measured from the other answers.
            ctx.note(f"no question for {empty.sum()} value(s) (unreadable designer reply): "
                     f"{', '.join(questions.loc[empty, 'value'].astype(str))}")
            questions = questions[~empty].reset_index(drop=True)
    ctx.info["questions"] = len(questions)
    ctx.write("questions", questions)


def _read_questions(path: Path, values: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"questions.file {path} does not exist")
    table = read_raw_table(path, what=f"questions.file {path}")
    if not {"value", "question"} <= set(table.columns):
        raise DataError(f"questions.file {path}: needs columns value, question (has {list(table.columns)})")
    table = table.drop_duplicates("value").set_index("value")
    missing = [v for v in values if v not in table.index]
    if missing:
        raise DataError(f"questions.file {path}: no question for lexicon values {missing}")
    return table.loc[values, ["question"]].reset_index()


def run_subjects(ctx: StageContext) -> None:
    cfg = ctx.config.subjects
    subjects = build_subjects(cfg.models, cfg.profiles,
                              [(p.name, p.system_prompt) for p in cfg.custom_profiles])
    ctx.info["subjects"] = len(subjects)
    ctx.write("subjects", subjects)


def run_responses(ctx: StageContext) -> None:
    cfg = ctx.config.administration
    subjects, questions = ctx.read("subjects"), ctx.read("questions")

    models = ctx.models.batch_chat if cfg.batch_api else ctx.models.chat

    def work(batch: list[tuple[int, int]]) -> dict[str, pd.DataFrame]:
        # Batch API jobs of different models wait side by side, not one after another.
        return {"responses": administer(models, subjects, questions, batch, parallel=cfg.batch_api,
                                        temperature=cfg.temperature, max_tokens=cfg.max_tokens)}

    out = ctx.batched(pairings(subjects, questions), cfg.batch_size, work,
                      "responses", {"responses": RESPONSE_COLUMNS})["responses"]
    truncated = int((out["finish_reason"] == "length").sum())
    if truncated:
        ctx.note(f"{truncated} of {len(out)} responses hit max_tokens={cfg.max_tokens}")
    ctx.info["responses"] = len(out)
    ctx.write("responses", out)


def run_judgments(ctx: StageContext) -> None:
    from gpla.agents import ValueEvaluator
    from gpla.agents.value_evaluator import cut_labels

    cfg = ctx.config
    responses = ctx.read("responses")
    values = ctx.read("lexicon")["value"].astype(str).tolist()
    parser = ctx.perception_parser(cfg.gpv.perceptions)
    spec = cfg.models.spec("evaluator")
    protocol = cfg.gpv.protocol
    if cfg.gpv.batch_api:  # one Batch API job per question and checkpoint, not per 64 pairs
        evaluator = ValueEvaluator(ctx.models.batch_chat(spec), batch_size=BATCH_API_MAX_REQUESTS,
                                   protocol=protocol)
    else:
        evaluator = ValueEvaluator(ctx.models.chat(spec), protocol=protocol)
    validate_evaluator(ctx, evaluator)  # [gpv] validate: against human judgments first (issue 16)
    prefilter = Prefilter.parse(cfg.gpv.prefilter)
    embedder = None
    if prefilter.mode != "off":
        embedder = _ValuesOnce(ctx.models.embedder(cfg.models.embedding), values)
    rows = list(range(len(responses)))

    def work(batch: list[int]) -> dict[str, pd.DataFrame]:
        perceptions = perceive(parser, responses.iloc[batch])
        pairs = judgment_pairs(perceptions, values, cfg.gpv.mode, prefilter, embedder)
        return {"perceptions": perceptions, "judgments": judge(evaluator, pairs)}

    out = ctx.batched(rows, cfg.gpv.batch_size, work, "judgments (GPV)",
                      {"perceptions": PERCEPTION_COLUMNS, "judgments": JUDGMENT_COLUMNS})
    judgments = out["judgments"]
    relevant = int(judgments["score"].notna().sum())
    ctx.note(f"{len(out['perceptions'])} perceptions from {len(responses)} responses; "
             f"{len(judgments)} perception×value pairs judged, {relevant} relevant with a valence")
    if prefilter.mode != "off":
        # judge() returns one row per pair, so this count survives a resumed stage.
        removed = len(out["perceptions"]) * len(values) - len(judgments)
        ctx.note(f"prefilter {prefilter} ({cfg.models.embedding}) removed {removed} of "
                 f"{len(out['perceptions']) * len(values)} pairs")
        ctx.info["prefilter_removed"] = removed
    cut = cut_labels(judgments)  # from the table, so the count survives a resumed stage
    if any(cut.values()):
        ctx.note(f"protocol {protocol}: every label of {cut['relevance']} pair(s) at relevance "
                 f"(counted as not relevant) and of {cut['valence']} at valence (no score) had no "
                 "probability (cut by the evaluator's generation config, or outside an API's top "
                 "logprobs)")
    ctx.info.update(perceptions=len(out["perceptions"]), judgments=len(judgments), relevant=relevant,
                    protocol=protocol, labels_cut=cut)
    ctx.write("response_perceptions", out["perceptions"])
    ctx.write("judgments", judgments)


class _ValuesOnce:
    """The prefilter embeds the value list for every batch: embed it once per stage instead."""

    def __init__(self, embedder: EmbeddingModel, values: list[str]) -> None:
        self.name = embedder.name
        self._embedder, self._values, self._rows = embedder, values, np.empty(0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if list(texts) != self._values:
            return self._embedder.embed(texts)
        if not len(self._rows):
            self._rows = np.asarray(self._embedder.embed(texts))
        return self._rows


def run_x(ctx: StageContext) -> None:
    subjects = ctx.read("subjects")["subject_id"].tolist()
    values = ctx.read("lexicon")["value"].astype(str).tolist()
    matrix = aggregate(ctx.read("judgments"), subjects, values, ctx.config.gpv.missing)
    cells = len(subjects) * len(values)
    ctx.note(f"{matrix.n_missing} of {cells} cells had no relevant perception "
             f"(missing-cell policy: {matrix.policy})")
    if matrix.empty_values:
        ctx.note(f"{len(matrix.empty_values)} values had no evidence for any subject: "
                 f"{', '.join(matrix.empty_values[:20])}")
    ctx.info.update(missing_cells=matrix.n_missing, cells=cells, missing_policy=matrix.policy,
                    empty_values=matrix.empty_values)
    ctx.write("X", matrix.X.reset_index())
    ctx.write("X_n", matrix.n.reset_index())
