"""The paper's tables from a run's analysis outputs, as Markdown (GPLA paper Tables 1 and 12; Table 2
comes ready-made from ``gpla.analysis.compare``)."""

from __future__ import annotations

import pandas as pd


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub-style Markdown table (no tabulate dependency), numbers formatted with ``floatfmt``."""
    if frame.empty:
        return "_(empty)_"

    def cell(v: object) -> str:
        if isinstance(v, float):
            return "" if pd.isna(v) else format(v, floatfmt)
        return str(v).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def table1(loadings: pd.DataFrame, alphas: pd.DataFrame | None) -> pd.DataFrame:
    """Table 1 layout: Factor | Value | Loading | Cronbach's Alpha (CI) [| McDonald's Omega]; values
    sorted by loading within their main factor, factor name, alpha and omega on the factor's first row
    only. The omega column appears when `alphas` has one (runs before omega was computed have not)."""
    main = loadings.abs().idxmax(axis=1)
    by_factor = {} if alphas is None else alphas.set_index("factor").to_dict("index")
    rows = []
    for factor in loadings.columns:
        members = loadings.loc[main == factor, factor]
        members = members.reindex(members.abs().sort_values(ascending=False).index)
        a = by_factor.get(factor)
        alpha = "" if a is None else f"{a['alpha']:.3f} ({a['ci_low']:.3f} – {a['ci_high']:.3f})"
        omega = "" if a is None or pd.isna(a.get("omega")) else f"{a['omega']:.3f}"
        for i, (value, loading) in enumerate(members.items()):
            rows.append({"Factor": factor if i == 0 else "", "Value": value, "Loading": float(loading),
                         "Cronbach's Alpha (CI)": alpha if i == 0 else "",
                         "McDonald's Omega": omega if i == 0 else ""})
    columns = ["Factor", "Value", "Loading", "Cronbach's Alpha (CI)"]
    if alphas is not None and "omega" in alphas.columns:
        columns.append("McDonald's Omega")
    return pd.DataFrame(rows, columns=columns)


def table12(correlations: pd.DataFrame) -> pd.DataFrame:
    """Table 12 layout: Schwartz values as rows, our factors as columns."""
    return correlations.reset_index().rename(columns={correlations.index.name or "index": ""})
