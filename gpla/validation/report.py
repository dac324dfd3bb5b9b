"""Write a validation's result directory (report.md, validation.json, pairs.parquet, plots) and put
several result directories side by side."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gpla.errors import DataError
from gpla.report.tables import markdown_table
from gpla.validation.runner import EVALUATOR, ValidationResult, similarity_column

HEADLINE = (
    ("auc", "relevance AUC"),
    ("relevance_spearman", "Spearman(relevance, abs ρ)"),
    ("precision", "precision @0.5"),
    ("recall", "recall @0.5"),
    ("sign_agreement", "sign agreement"),
    ("spearman", "Spearman(score, ρ)"),
)


def fmt(estimate: dict[str, Any] | float | None) -> str:
    """``0.712 [0.650, 0.771]`` from an estimate's dict; a bare number as it is; blank when absent."""
    if estimate is None:
        return ""
    if isinstance(estimate, dict):
        value, low, high = estimate.get("value"), estimate.get("low"), estimate.get("high")
        if value is None:
            return "n/a"
        return f"{value:.3f}" if low is None else f"{value:.3f} [{low:.3f}, {high:.3f}]"
    return "" if math.isnan(estimate) else f"{estimate:.3f}"


def headline_table(summary: dict[str, Any]) -> pd.DataFrame:
    """One row per scorer (the evaluator, each embedder, chance), one column per metric."""
    rows = []
    for key, scorer in summary["scorers"].items():
        rows.append({"scorer": scorer["name"] if key == EVALUATOR else key,
                     **{label: fmt(scorer.get(name)) for name, label in HEADLINE}})
    chance = summary["chance"]
    rows.append({"scorer": "chance", **{label: fmt(chance.get(name)) for name, label in HEADLINE
                                        if name != "recall"}, "recall @0.5": ""})
    return pd.DataFrame(rows)


def _curve_table(points: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{
        "prefilter": p["prefilter"],
        "recall": fmt({"value": p["recall"], "low": p["recall_low"], "high": p["recall_high"]}),
        "calls kept": f"{p['share_kept']:.1%}",
        "fewer calls": "" if p["fewer_calls"] is None else f"{p['fewer_calls']:.1f}×",
    } for p in points])  # fmt: skip


def report_markdown(summary: dict[str, Any]) -> str:
    s = summary
    lines = [f"# Evaluator validation against human judgments: {s.get('evaluator') or 'baselines only'}", ""]
    for w in s.get("warnings", []):
        lines += [f"> **Warning:** {w}", ""]
    lines += [
        f"{s['items']} Value Portrait items × 10 Schwartz basic values = {s['pairs']} pairs; "
        f"{s['human_relevant']} human-relevant (|ρ| > 0.3, p < 0.05). Prefilter in front of the "
        f"evaluator: {s['prefilter']}. {int(s['level'] * 100)}% intervals: percentile bootstrap over "
        f"items, {s['n_boot']} resamples, seed {s['seed']}.", "",
    ]  # fmt: skip
    if "timing" in s:
        t = s["timing"]
        lines += [f"The evaluator judged {t['pairs_judged']} pairs ({t['relevance_calls']} relevance + "
                  f"{t['valence_calls']} valence calls) in {t['seconds']} s "
                  f"({t['pairs_per_second']} pairs/s); labels cut: {t['labels_cut']}.", ""]
    lines += ["## Agreement with the human annotation", "", markdown_table(headline_table(s)), "",
              "Relevance is p_relevant for the evaluator (relevant when > 0.5, as GPV) and cosine "
              "similarity for the embedders; sign agreement is on the human-relevant pairs the "
              "evaluator scores; Spearman(score, ρ) on the pairs it scores.", ""]
    for scorer in s["scorers"].values():
        per = pd.DataFrame([{
            "value": r["dimension"], "pairs": r["pairs"], "human-relevant": r["human_relevant"],
            "AUC": fmt(r["auc"]), **({"Spearman(score, ρ)": fmt(r["spearman"])} if "spearman" in r else {}),
        } for r in scorer["per_dimension"]])  # fmt: skip
        lines += [f"### Per value: {scorer['name']}", "", markdown_table(per), ""]
    for spec, curve in s["recall_curves"].items():
        lines += [f"## Prefilter recall of human-relevant pairs: {spec}", "",
                  markdown_table(_curve_table(curve["points"])), ""]
        goal = (f"goal (recall ≥ {curve['recall_goal']} with ≥ {curve['fewer_calls_goal']:g}× fewer calls) "
                f"{'met' if curve['goal_met'] else 'not met'}")
        at = curve["smallest_top_k_at_goal"]
        saving = f" ({curve['fewer_calls_at_goal']:.1f}× fewer calls)" if at else ""
        lines += [f"Smallest top:k with recall ≥ {curve['recall_goal']}: {at or 'none'}{saving}; "
                  f"{goal}.", ""]
    lines += ["![ROC per value](roc.png)", "", "![Recall vs calls](recall_vs_calls.png)", ""]
    return "\n".join(lines)


def _plots(result: ValidationResult, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    pairs = result.pairs
    scorers: dict[str, np.ndarray] = {}
    if "p_relevant" in pairs:
        scorers[str(result.summary.get("evaluator") or EVALUATOR)] = pairs["p_relevant"].fillna(-1.0).to_numpy()
    for spec in result.curves:
        scorers[spec] = pairs[similarity_column(spec)].to_numpy()
    dims = list(pd.unique(pairs["dimension"]))
    fig, axes = plt.subplots(2, 5, figsize=(15, 6.5), sharex=True, sharey=True)
    for ax, dim in zip(axes.flat, dims, strict=False):
        at = (pairs["dimension"] == dim).to_numpy()
        y = pairs.loc[at, "human_relevant"].to_numpy(dtype=bool)
        ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls=":")
        ax.set_title(dim.replace("_", "-"), fontsize=9)
        if y.all() or not y.any():
            ax.text(0.5, 0.5, "one class only", ha="center", fontsize=8)
            continue
        for name, score in scorers.items():
            fpr, tpr, _ = roc_curve(y, score[at])
            ax.plot(fpr, tpr, lw=1.2, label=name)
    handles, labels = next(
        (ax.get_legend_handles_labels() for ax in axes.flat if ax.get_legend_handles_labels()[0]),
        ([], []),
    )
    if handles:
        fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=len(handles))
    fig.supxlabel("false positive rate")
    fig.supylabel("true positive rate (human-relevant pairs)")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(out / "roc.png", dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls=":", label="chance (pairs kept at random)")
    for spec, curve in result.curves.items():
        for kind, style in (("top:", "-o"), ("sim:", "--s")):
            part = curve[curve["prefilter"].str.startswith(kind)].sort_values("share_kept")
            ax.plot(part["share_kept"], part["recall"], style, ms=3, label=f"{spec} {kind[:-1]}")
    ax.axhline(0.95, color="0.6", lw=0.8, ls=":")
    ax.axvline(0.2, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel("share of evaluator calls kept")
    ax.set_ylabel("recall of human-relevant pairs")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "recall_vs_calls.png", dpi=90)
    plt.close(fig)


def write_result(result: ValidationResult, out: str | Path) -> Path:
    """``out/pairs.parquet``, ``validation.json``, ``report.md``, ``roc.png``, ``recall_vs_calls.png``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result.pairs.to_parquet(out / "pairs.parquet", index=False)
    (out / "validation.json").write_text(json.dumps(_jsonable(result.summary), indent=2), encoding="utf-8")
    _plots(result, out)
    (out / "report.md").write_text(report_markdown(result.summary), encoding="utf-8")
    return out


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def read_summary(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / "validation.json"
    if not path.is_file():
        raise DataError(f"{directory} is not a validation result (no validation.json)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or "scorers" not in data:
        raise DataError(f"{path}: not a validation summary (no 'scorers')")
    return data


def compare(directories: Sequence[str | Path]) -> pd.DataFrame:
    """Side-by-side table: one column per result directory's evaluator (plus each distinct embedding
    baseline once), one row per metric, and the sample each was measured on."""
    if len(directories) < 2:
        raise DataError("--compare needs at least two result directories")
    evaluators: dict[str, dict[str, str]] = {}
    baselines: dict[str, dict[str, str]] = {}  # each embedder once, from the first directory with it
    for d in directories:
        s = read_summary(d)
        sample = f"{s['items']} items, {s['pairs']} pairs, seed {s['seed']}"
        for key, scorer in s["scorers"].items():
            column = {"sample": sample, "prefilter": s["prefilter"] if key == EVALUATOR else "",
                      **{label: fmt(scorer.get(m)) for m, label in HEADLINE}}
            if key == EVALUATOR:
                evaluators[f"{scorer['name']} ({Path(d).name})"] = column
            else:
                baselines.setdefault(key, column)
    table = pd.DataFrame({**evaluators, **baselines})
    table.index.name = "metric"
    return table.reset_index()
