"""The stages of a GPLA run, in order. Each declares the settings that change its result (part of
its key, so changing one re-runs only that stage and the ones downstream; batch sizes are not among
them) and the artifacts it writes into the run directory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gpla import __version__
from gpla.config import RunConfig
from gpla.stages.analysis import run_analysis
from gpla.stages.build import run_corpus, run_lexicon, run_perceptions, run_value_mentions
from gpla.stages.context import StageContext
from gpla.stages.measure import run_judgments, run_questions, run_responses, run_subjects, run_x


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[StageContext], None]
    settings: Callable[[RunConfig], Any]
    outputs: tuple[str, ...]
    """Files written into the run directory (relative paths)."""
    code: str = "1"
    """Version of the code that computes the stage, part of its key: bump it when a change alters the
    stage's result, so runs made before the upgrade re-run it (and what follows) instead of reusing it."""


def _report(ctx: StageContext) -> None:
    from gpla.report import write_report

    write_report(ctx.run_dir)


def _corpus_settings(c: RunConfig) -> Any:
    if c.lexicon.file is not None:
        return None
    gen = c.corpus.generate
    writers = None if gen is None else (gen.models or c.subjects.models)
    return [c.corpus.sources, gen, writers]


def _parser(c: RunConfig, unit: str) -> Any:
    if unit != "parser":
        return unit
    return [c.models.spec("parser"), c.agents.parser_max_tokens, c.agents.parser_prompt_style]


def _perception_settings(c: RunConfig) -> Any:
    return None if c.lexicon.file else _parser(c, c.corpus.perceptions)


def _mention_settings(c: RunConfig) -> Any:
    if c.lexicon.file:
        return None
    return [c.models.spec("generator"), c.agents.generator_max_tokens, c.agents.generator, c.agents.kaleido]


def _question_settings(c: RunConfig) -> Any:
    designer = None if c.questions.file else [c.models.spec("designer"), c.agents.designer_max_tokens]
    return [c.questions.file, designer]


def _judgment_settings(c: RunConfig) -> Any:
    judged = [_parser(c, c.gpv.perceptions), c.models.spec("evaluator"), c.gpv.mode, c.gpv.protocol]
    # The prefilter (and its embedder) joins the key only when on: "off" keeps existing runs' keys.
    return judged if c.gpv.prefilter == "off" else [*judged, c.gpv.prefilter, c.models.embedding]


STAGES: tuple[Stage, ...] = (
    Stage("corpus", run_corpus, _corpus_settings, ("corpus.parquet",)),
    Stage("perceptions", run_perceptions, _perception_settings, ("perceptions.parquet",)),
    Stage("value_mentions", run_value_mentions, _mention_settings, ("value_mentions.parquet",)),
    Stage("lexicon", run_lexicon, lambda c: [c.lexicon, c.models.embedding], ("lexicon.parquet",)),
    Stage("questions", run_questions, _question_settings, ("questions.parquet",)),
    Stage("subjects", run_subjects, lambda c: c.subjects, ("subjects.parquet",)),
    Stage("responses", run_responses, lambda c: [c.administration.temperature, c.administration.max_tokens],
          ("responses.parquet",)),
    Stage("judgments", run_judgments, _judgment_settings,
          ("response_perceptions.parquet", "judgments.parquet")),
    Stage("X", run_x, lambda c: c.gpv.missing, ("X.parquet", "X_n.parquet")),
    # Statistics and report are cheap to redo and change with every release: keyed on gpla's version too.
    Stage("analysis", run_analysis, lambda c: [c.analysis, c.models.embedding], ("analysis/summary.json",),
          code=f"{__version__}/2"),
    Stage("report", _report, lambda c: None, ("report.md", "report.html"), code=f"{__version__}/1"),
)
STAGE_NAMES = tuple(s.name for s in STAGES)
