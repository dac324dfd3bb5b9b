"""Assemble the report's Markdown from a run directory and render the HTML twin."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.report.flags import flags_section, run_flags
from gpla.report.invariance import invariance_section
from gpla.report.tables import markdown_table, table1, table12
from gpla.report.validation import validation_section

TOP_VALUES = 20


def _read(run_dir: Path, name: str) -> pd.DataFrame | None:
    path = run_dir / name
    if not path.exists():
        return None
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _top_values_png(lexicon: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = lexicon.head(TOP_VALUES).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.25 * len(top) + 1))
    ax.barh(top["value"].astype(str), top["frequency"].astype(float), color="#4C72B0")
    ax.set_xlabel("frequency in the corpus")
    ax.set_title("Top values")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _overview(manifest: dict[str, Any]) -> list[str]:
    usage = manifest.get("usage", {})
    cfg = manifest.get("config", {})
    lines = [
        f"# GPLA run report: {manifest.get('name', '')}", "",
        f"Updated {manifest.get('updated', manifest.get('created', ''))}. Agents: "
        f"`{cfg.get('models', {}).get('agent', '?')}`; embeddings: `{cfg.get('models', {}).get('embedding', '?')}`; "
        f"subject models: {', '.join(f'`{m}`' for m in cfg.get('subjects', {}).get('models', []))}.", "",
        f"Model usage over all runs of this directory: {usage.get('calls', 0)} calls, "
        f"{usage.get('prompt_tokens', 0)} prompt + {usage.get('completion_tokens', 0)} completion tokens, "
        f"{usage.get('cache_hits', 0)} cache hits.", "",
        "## Stages", "",
    ]
    rows = []
    for name in manifest.get("stage_order", []):
        st = manifest.get("stages", {}).get(name, {})
        status = "this report" if name == "report" else st.get("status", "pending")
        rows.append({"stage": name, "status": status,
                     "seconds": st.get("seconds", ""), "model calls": st.get("usage", {}).get("calls", ""),
                     "notes": "; ".join(st.get("notes", []))})
    return [*lines, markdown_table(pd.DataFrame(rows)), "",
            "_seconds_: wall time of the stage's last run; _model calls_: calls it paid for (cache hits "
            "excluded); _notes_: what the stage skipped, dropped or degraded.", ""]


def _lexicon_section(run_dir: Path, manifest: dict[str, Any], images: list[Path]) -> list[str]:
    stages = manifest.get("stages", {})
    corpus, lexicon = _read(run_dir, "corpus.parquet"), _read(run_dir, "lexicon.parquet")
    out = ["## Corpus and lexicon", ""]
    if corpus is not None and len(corpus):
        by_source = corpus.groupby("source").size().rename("documents").reset_index()
        out += [f"{len(corpus)} documents; {stages.get('perceptions', {}).get('info', {}).get('perceptions', 0)} "
                f"perceptions; {stages.get('value_mentions', {}).get('info', {}).get('mentions', 0)} value "
                f"mentions of {stages.get('value_mentions', {}).get('info', {}).get('unique_values', 0)} distinct values.",
                "", markdown_table(by_source), ""]
    if lexicon is None:
        return [*out, "_No lexicon yet._", ""]
    out += [f"The lexicon has {len(lexicon)} values.", "", "### Top values by frequency", "",
            markdown_table(lexicon.head(TOP_VALUES)[["rank", "value", "frequency"]]), "",
            "_frequency_: value mentions in the corpus, synonyms merged into the value included.", ""]
    if lexicon["frequency"].astype(float).sum() > 0:
        images.append(_top_values_png(lexicon, run_dir / "analysis" / "top_values.png"))
        out += ["![Top values](analysis/top_values.png)", ""]
    merges = lexicon[lexicon["merged_from"].map(lambda m: m is not None and len(m) > 0)]
    out += ["### Deduplication merges", ""]
    # Quote the lexicon stage's own count, so that the section and the stage notes cannot disagree:
    # it counts every merge, this table only those into the values the lexicon kept.
    out += [f"Lexicon stage: {note}.\n" for note in stages.get("lexicon", {}).get("notes", [])]
    kept = f"Of the {len(lexicon)} values kept (min_frequency, max_values)"
    if len(merges):
        table = merges.assign(merged_from=merges["merged_from"].map(lambda m: ", ".join(map(str, m))))
        out += [f"{kept}, {len(merges)} absorbed synonyms (_merged_from_: the names folded into the value):",
                "", markdown_table(table[["value", "frequency", "merged_from"]]), ""]
    else:
        out += [f"{kept}, none absorbed a synonym.", ""]
    return out


def _measurement_section(run_dir: Path, manifest: dict[str, Any]) -> list[str]:
    info = manifest.get("stages", {}).get("X", {}).get("info", {})
    X = _read(run_dir, "X.parquet")
    if X is None:
        return []
    X = X.set_index("subject_id")
    policy = {"nan": "left missing", "zero": "scored 0 (neutral)"}
    means = X.mean().sort_values(ascending=False).rename("mean score").reset_index()
    means.columns = ["value", "mean score"]
    return ["## Measurement (GPV)", "",
            f"X has {X.shape[0]} subjects × {X.shape[1]} values. {info.get('missing_cells', '?')} of "
            f"{info.get('cells', '?')} cells had no relevant perception and were "
            f"{policy.get(info.get('missing_policy', ''), 'handled')}.{_analysis_missing(manifest)}", "",
            markdown_table(means.head(TOP_VALUES)), "",
            "_mean score_: the value's GPV score (support − oppose over relevant perceptions, −1 … 1) "
            "averaged over subjects.", ""]


def _analysis_missing(manifest: dict[str, Any]) -> str:
    """How the analysis treated the missing cells of the values it kept (``analysis.missing``)."""
    missing = manifest.get("stages", {}).get("analysis", {}).get("info", {}).get("missing")
    if not missing:
        return ""
    how = {"pairwise": "PCA and alpha used pairwise-complete correlations (psych's use=\"pairwise\"), "
                       "each CFA dropped its incomplete rows (lavaan's listwise)",
           "listwise": "subjects with a missing cell were dropped (listwise)",
           "mean": "they were imputed with the value's mean over subjects with evidence"}
    return (f" Of the values analysed, {missing['cells']} of {missing['of']} cells were missing; analysis "
            f"policy `{missing['policy']}`: {how.get(missing['policy'], 'see the notes')}.")


def _structure_section(run_dir: Path, manifest: dict[str, Any], images: list[Path]) -> list[str]:
    a = run_dir / "analysis"
    summary = json.loads((a / "summary.json").read_text()) if (a / "summary.json").exists() else {}
    out = ["## Structure", ""]
    notes = summary.get("notes", [])
    if notes:
        out += ["Notes:", "", *[f"- {n}" for n in notes], ""]
    if (a / "scree.png").exists():
        images.append(a / "scree.png")
        out += ["![Scree plot](analysis/scree.png)", ""]
    loadings = _read(run_dir, "analysis/loadings.csv")
    if loadings is not None:
        loadings = loadings.set_index("value")
        out += ["### Loadings and reliability (Table 1 format)", "",
                markdown_table(table1(loadings, _read(run_dir, "analysis/alphas.csv"))), "",
                "_Loading_: the value's loading on its main factor (after analysis.rotation); _Cronbach's Alpha (CI)_: "
                "reliability of the factor's values with its 95% interval; _McDonald's Omega_: reliability "
                "under a one-factor model.", ""]
    out += _efa_section(run_dir)
    cfa = a / "cfa" / "table.md"
    if cfa.exists():
        out += ["### CFA on held-out subjects (Table 2 format)", "",
                f"Our system was constructed on {summary.get('n_construct', '?')} subjects; every system's "
                f"CFA is fitted on the {summary.get('n_holdout', '?')} held-out subjects (bootstrapped to "
                f"{summary.get('n_cfa', '?')} rows); Schwartz's systems via embedding mapping of our values.",
                "", cfa.read_text(encoding="utf-8"), ""]
    out += invariance_section(run_dir)
    cong = _read(run_dir, "analysis/congruence.csv")
    if cong is not None:
        out += ["### Congruence with the published five-factor system", "",
                *_congruence_basis(loadings, cong), markdown_table(cong), "",
                "_ours_: our factor; _reference_: the published factor paired with it (pairing maximises "
                "total |congruence|); _congruence_: |Tucker's φ| over the shared values (≥ 0.85 fair, "
                "≥ 0.95 equal, Lorenzo-Seva & ten Berge 2006); _sign_: −1 where our factor is reversed; "
                "_n_common_values_: how many values φ was computed on.", ""]
    corr = _read(run_dir, "analysis/schwartz_correlations.csv")
    if corr is not None:
        out += ["### Correlations with Schwartz values (Table 12 format)", "",
                markdown_table(table12(corr.set_index(corr.columns[0]))), ""]
    return out


def _congruence_basis(loadings: pd.DataFrame | None, cong: pd.DataFrame) -> list[str]:
    """Name the values the congruence was computed on: ours ∩ the published system's, matched
    case-insensitively as the analysis stage matches them."""
    if loadings is None:
        return []
    from gpla.systems import gpla_five_factor

    published = {str(v).lower() for v in gpla_five_factor().to_frame()["value"]}
    shared = [str(v) for v in loadings.index if str(v).lower() in published]
    if "n_common_values" in cong.columns and len(cong) and int(cong["n_common_values"].iloc[0]) != len(shared):
        return []  # the published table changed since the run: do not guess
    return [f"Computed only on the {len(shared)} of our {len(loadings)} values that the published system "
            f"also has: {', '.join(shared)}.", ""]


def _efa_section(run_dir: Path) -> list[str]:
    """The exploratory factor analysis run beside the PCA (``analysis.method = "efa"``), if any."""
    fit_path = run_dir / "analysis" / "efa" / "fit.json"
    loadings = _read(run_dir, "analysis/efa/loadings.csv")
    if not fit_path.exists() or loadings is None:
        return []
    fit = json.loads(fit_path.read_text())
    stats = ", ".join(f"{k} {fit[k]:.3f}" for k in ("RMSEA", "TLI", "rms") if isinstance(fit.get(k), float))
    return [f"### Exploratory factor analysis (psych::fa: {fit['method']} + {fit['rotation']})", "",
            f"{fit['n_factors']} factors on the values the PCA kept; {stats}. Pattern loadings:", "",
            markdown_table(loadings), ""]


def write_report(run_dir: str | Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into the run directory; returns their paths."""
    run_dir = Path(run_dir)
    (run_dir / "analysis").mkdir(exist_ok=True)
    manifest = json.loads((run_dir / "manifest.json").read_text()) if (run_dir / "manifest.json").exists() else {}
    images: list[Path] = []
    head = _overview(manifest)
    first = flags_section(run_flags(run_dir, manifest)) + validation_section(run_dir)
    lines = (head[:2] + first + head[2:] + _lexicon_section(run_dir, manifest, images)
             + _measurement_section(run_dir, manifest) + _structure_section(run_dir, manifest, images))
    text = "\n".join(lines)
    md = run_dir / "report.md"
    md.write_text(text, encoding="utf-8")
    html = run_dir / "report.html"
    html.write_text(render_html(text, run_dir, manifest.get("name", "GPLA run")), encoding="utf-8")
    return md, html


def render_html(markdown_text: str, run_dir: Path, title: str) -> str:
    """Markdown → one HTML file with every referenced PNG inlined as a data URI."""
    import markdown

    body = markdown.markdown(markdown_text, extensions=["tables"])

    def inline(match: re.Match[str]) -> str:
        path = run_dir / match.group(1)
        if not path.exists():
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode()
        return f'src="data:image/png;base64,{data}"'

    body = re.sub(r'src="([^"]+\.png)"', inline, body)
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
             "img{max-width:100%}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{style}</style></head><body>{body}</body></html>")
