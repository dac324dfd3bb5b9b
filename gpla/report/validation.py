"""The run report's opening section: the evaluator checked against human judgments (``[gpv] validate``)."""

from __future__ import annotations

import json
from pathlib import Path

from gpla.report.tables import markdown_table


def validation_section(run_dir: Path) -> list[str]:
    """Headline agreement of the evaluator and the embedding baseline, warnings first; nothing when
    the run did not validate its evaluator."""
    path = run_dir / "validation" / "validation.json"
    if not path.exists():
        return []
    from gpla.validation.report import headline_table

    summary = json.loads(path.read_text(encoding="utf-8"))
    out = ["## Evaluator checked against human judgments", ""]
    for warning in summary.get("warnings", []):
        out += [f"> **Warning:** {warning}", ""]
    out += [f"{summary['items']} Value Portrait items × 10 Schwartz values ({summary['human_relevant']} of "
            f"{summary['pairs']} pairs human-relevant: |ρ| > 0.3, p < 0.05); 95% bootstrap intervals "
            "over items. Details: [validation/report.md](validation/report.md).", "",
            markdown_table(headline_table(summary)), ""]
    return out
