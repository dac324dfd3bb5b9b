"""The report's measurement-invariance section (``analysis/invariance.json``, written by
`gpla.stages.family_invariance`) and the compare-systems modification indices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.report.tables import markdown_table


def invariance_section(run_dir: Path) -> list[str]:
    a = run_dir / "analysis"
    out: list[str] = []
    modindices = a / "cfa" / "modindices.md"
    if modindices.exists():
        out += [modindices.read_text(encoding="utf-8"), ""]
    path = a / "invariance.json"
    if not path.exists():
        if (a / "summary.json").exists():
            out += ["### Measurement invariance across model families", "", "Not run (see the notes).", ""]
        return out
    report: dict[str, Any] = json.loads(path.read_text())
    out += ["### Measurement invariance across model families", ""]
    if "not_run" in report:
        return [*out, f"Not run: {report['not_run']}.", ""]
    groups = ", ".join(f"{k} ({v})" for k, v in report["groups"].items())
    rows = []
    for lrt in report["lrt"]:
        ix = report[lrt["model"]]
        rows.append({"level": lrt["model"], "npar": ix["npar"], "chisq": ix["chisq"], "df": ix["df"],
                     "CFI": ix["cfi"], "RMSEA": ix["rmsea"], "SRMR": ix["srmr"],
                     "Δchisq": lrt.get("chisq_diff"), "Δdf": lrt.get("df_diff"), "p": lrt.get("p"),
                     "ΔCFI": lrt.get("delta_cfi")})  # fmt: skip
    return [
        *out,
        f"Multi-group CFA (ML) of our system across families {groups}: configural, metric (equal loadings), "
        "scalar (+ intercepts), strict (+ residual variances); chi-square difference tests against the "
        "previous level (lavaan's cfa(group.equal=) + lavTestLRT). A drop in CFI beyond 0.01 is the usual "
        "sign that a level does not hold.", "",
        markdown_table(pd.DataFrame(rows)), "",
        *[f"- warning: {w}" for w in report.get("warnings", [])], "",
    ]
