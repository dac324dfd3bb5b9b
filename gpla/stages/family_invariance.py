"""Stage 10, part: is the constructed value system measured alike across model families?

A subject's family is the ``family`` column of the subjects table when it has one, else its model spec
looked up in ``subjects.families`` (e.g. ``{"openai:gpt-4o" = "GPT", "openai:gpt-4o-mini" = "GPT"}``).
Subjects whose model has no family are left out. Without families the test is not run and
``analysis/invariance.json`` says why, so the report can say so too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gpla.stages.context import StageContext

INVARIANCE_FILE = "invariance.json"
_GROUP = "__model_family__"  # not a value name: values are data columns here


def family_invariance(ctx: StageContext, X: pd.DataFrame, loadings: pd.DataFrame, out: Path) -> None:
    from gpla.analysis.invariance import MeasurementInvariance
    from gpla.systems import ValueSystem, to_lavaan

    families = _families(ctx, X.index)
    if families is None:
        reason = "subjects carry no model family (set subjects.families in the config)"
        ctx.note(f"measurement invariance not run: {reason}")
        (out / INVARIANCE_FILE).write_text(json.dumps({"not_run": reason}, indent=2))
        return
    model = to_lavaan(ValueSystem.from_loadings("Ours", loadings), X.columns)
    data = X.assign(**{_GROUP: families}).dropna(subset=[_GROUP])
    fit = MeasurementInvariance(model, _GROUP, missing="listwise", heywood="warn").fit(data)
    report = {**fit.to_dict(), "warnings": fit.warnings_, "model": model}
    (out / INVARIANCE_FILE).write_text(json.dumps(report, indent=2, default=float))
    for warning in fit.warnings_:
        ctx.note(f"measurement invariance: {warning}")


def _families(ctx: StageContext, subject_ids: pd.Index) -> pd.Series | None:
    subjects = ctx.read("subjects").set_index("subject_id")
    if "family" in subjects.columns:
        family = subjects["family"]
    elif ctx.config.subjects.families:
        family = subjects["model"].map(ctx.config.subjects.families)
    else:
        return None
    family = family.reindex(subject_ids)
    return None if family.notna().sum() == 0 else family
