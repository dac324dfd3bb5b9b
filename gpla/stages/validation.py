"""``[gpv] validate = N``: before the judgments, check the run's evaluator against human judgments
on N Value Portrait items (issue 16), with the run's embedder as the baseline and the run's
prefilter in front, as in the judgments that follow. Writes ``validation/`` in the run directory."""

from __future__ import annotations

from typing import Any

from gpla.stages.context import StageContext

SEED = 0


def validate_evaluator(ctx: StageContext, evaluator: Any) -> None:
    """Run the validation when ``gpv.validate`` > 0; notes its headline and any warning."""
    cfg = ctx.config
    if not cfg.gpv.validate_items:
        return
    from gpla.measure.prefilter import Prefilter
    from gpla.portrait.items import load_items
    from gpla.validation.human import human_pairs, sample_items
    from gpla.validation.report import fmt, write_result
    from gpla.validation.runner import EVALUATOR, validate

    pairs = sample_items(human_pairs(load_items()), cfg.gpv.validate_items, SEED)
    spec, embedding = cfg.models.spec("evaluator"), cfg.models.embedding
    prefilter = Prefilter.parse(cfg.gpv.prefilter)
    result = validate(
        pairs, evaluator=evaluator, evaluator_name=spec,
        embedders={embedding: ctx.models.embedder(embedding)}, prefilter=prefilter,
        prefilter_embedder=embedding if prefilter.mode != "off" else None, seed=SEED,
        progress=ctx.log.info,
    )  # fmt: skip
    write_result(result, ctx.run_dir / "validation")
    scorers = result.summary["scorers"]
    ctx.note(f"evaluator validated on {result.summary['items']} Value Portrait items "
             f"({result.summary['pairs']} pairs): relevance AUC {fmt(scorers[EVALUATOR]['auc'])} vs "
             f"{embedding} {fmt(scorers[embedding]['auc'])} (validation/report.md)")
    for warning in result.summary["warnings"]:
        ctx.log.warning(warning)
        ctx.note(f"warning: {warning}")
    ctx.info["validation"] = {"items": result.summary["items"], "warnings": result.summary["warnings"]}
