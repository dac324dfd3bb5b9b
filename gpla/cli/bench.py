"""`gpla bench …`: GPLA's validity benchmarks on the user's own measurements (paper §5.2–5.3, App. B).

Input formats (CSV, TSV or Parquet):

* value matrix (``--data``, ``A.csv``/``B.csv``, ``--factor-scores``, ``--schwartz``): first column names the
  LLM/subject (any header), every other column is one value's or factor's score; empty = missing.
* safety scores (``--safety``): first column the LLM name, then a numeric column (named ``safety`` if
  there are several). ``--safety salad-bench`` uses the SALAD-Bench scores of the paper's Table 11.
* judgments (``--judgments``): ``pair_id, response, value, score`` (long; response = winner/loser or
  chosen/rejected; rows of one response and value are averaged) or ``pair_id, response, <value>…`` (wide).
* loadings (``--loadings``): ``factor, value, loading`` (long) or values × factors with the value in the
  first column; mapping (``--mapping``): ``value, factor[, similarity]``.

Every command writes its table as CSV plus a Markdown twin (same name, ``.md``) and prints the Markdown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gpla.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

bench_app = typer.Typer(
    help="Validity benchmarks: safety prediction, target distillation, consistency, Schwartz correlations.",
    no_args_is_help=True,
)
SALAD_BENCH = "salad-bench"


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.add_typer(bench_app, name="bench")


def _choice(value: str, options: tuple[str, ...], flag: str) -> Any:
    """`value` checked against `options` (typed Any: it becomes the Literal the library expects)."""
    if value not in options:
        raise ConfigError(f"{flag} must be one of {', '.join(options)}; got {value!r}")
    return value


def _safety(spec: str) -> pd.Series:
    from gpla.validity import salad_bench_safety
    from gpla.validity.tables import read_matrix

    if spec == SALAD_BENCH:
        return salad_bench_safety()
    table = read_matrix(spec, what="safety scores")
    if table.shape[1] > 1 and "safety" not in table.columns:
        raise DataError(f"safety scores {spec}: several score columns and none named 'safety'")
    return table["safety"] if "safety" in table.columns else table.iloc[:, 0]


def _report(frame: pd.DataFrame, path: Path, title: str, floatfmt: str = ".3f") -> None:
    from gpla.validity.tables import to_markdown, write_table

    csv_path, md_path = write_table(frame, path, floatfmt=floatfmt)
    typer.echo(
        f"{title}\n\n{to_markdown(frame, floatfmt=floatfmt)}\nwrote {csv_path} and {md_path}\n"
    )


@bench_app.command("scores")
def scores_command(
    values: Annotated[
        Path, typer.Option("--data", "--values", help="Value matrix: subjects × values (--values: older name).")
    ],
    out: Annotated[Path, typer.Option(help="Output CSV of subjects × factors (plus .md).")],
    loadings: Annotated[Path | None, typer.Option(help="Loadings of the system's factors.")] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="value → factor mapping (e.g. to Schwartz H/L).")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="regression or bartlett (--loadings only), mean or sum; default regression/mean."
        ),
    ] = None,
) -> None:
    """Factor scores of every subject: regression/Bartlett from loadings, or unit-weighted."""
    from gpla.validity import (
        factor_scores,
        keys_from_loadings,
        mapped_scores,
        unit_weighted_scores,
        wide_loadings,
    )
    from gpla.validity.factor_scores import LONG_LOADINGS
    from gpla.validity.tables import read_matrix, read_table

    if (loadings is None) == (mapping is None):
        raise ConfigError("give exactly one of --loadings and --mapping")
    chosen = _choice(
        method or ("mean" if mapping else "regression"),
        ("regression", "bartlett", "mean", "sum"),
        "--method",
    )
    data = read_matrix(values, what="values")
    if mapping is not None:
        if chosen not in ("mean", "sum"):
            raise ConfigError("--mapping scores are unit-weighted: use --method mean or sum")
        scores = mapped_scores(data, read_table(mapping, what="mapping"), how=chosen)
    else:
        assert loadings is not None
        table = read_table(loadings, what="loadings")
        if not LONG_LOADINGS.issubset(table.columns):
            table = read_matrix(loadings, what="loadings")  # values × factors, value names first
        wide = wide_loadings(table)
        if chosen in ("mean", "sum"):
            scores = unit_weighted_scores(data, keys_from_loadings(wide), how=chosen)
        else:
            scores = factor_scores(data, wide, method=chosen)
    scores.index.name = data.index.name
    _report(scores, out, f"Factor scores ({chosen}) of {len(scores)} subjects")


@bench_app.command("safety")
def safety_command(
    values: Annotated[
        list[str],
        typer.Option(
            "--data", "--values",
            help="Value matrix of the LLMs (repeat to compare systems; NAME=PATH names a system; "
            "--values: older name).",
        ),
    ],
    out: Annotated[
        Path, typer.Option(help="Output folder: accuracy.csv/.md, coefficients.csv/.md.")
    ],
    safety: Annotated[
        str, typer.Option(help="Safety scores CSV, or 'salad-bench' (paper Table 11).")
    ] = SALAD_BENCH,
    splits: Annotated[int, typer.Option(help="Random train/test splits of the LLMs.")] = 100,
    test_size: Annotated[
        float, typer.Option(help="Share (<1) or number (≥1) of LLMs held out per split.")
    ] = 0.25,
    l2: Annotated[float, typer.Option(help="L2 penalty of the probe.")] = 1e-2,
    seed: Annotated[int, typer.Option(help="Seed of the splits.")] = 0,
) -> None:
    """LLM safety prediction (§5.2): Bradley–Terry linear probe, accuracy mean ± sd, averaged weights."""
    import pandas as pd

    from gpla.validity import compare_value_systems
    from gpla.validity.tables import read_matrix

    systems = {}
    for spec in values:
        name, _, path = spec.partition("=") if "=" in spec else (Path(spec).stem, "", spec)
        if name in systems:
            raise ConfigError(f"--data: two systems named {name!r}; name them with NAME=PATH")
        systems[name] = read_matrix(path, what=f"values {name!r}")
    size = int(test_size) if test_size >= 1 else test_size
    summary, results = compare_value_systems(
        systems, _safety(safety), n_splits=splits, test_size=size, l2=l2, random_state=seed
    )
    _report(summary, out / "accuracy.csv", "Safety-prediction accuracy (held-out LLM pairs)")
    coefficients = pd.concat(
        {name: result.coefficient_table() for name, result in results.items()}, names=["system"]
    )
    _report(coefficients, out / "coefficients.csv", "Contribution of each value to safety", ".4f")


@bench_app.command("distill")
def distill_command(
    judgments: Annotated[Path, typer.Option(help="Measurements of winning and losing responses.")],
    out: Annotated[Path, typer.Option(help="Target CSV (plus .md, and <name>_progress.csv/.md).")],
    every: Annotated[int, typer.Option(help="Record the target every this many pairs.")] = 1000,
    missing: Annotated[
        str, typer.Option(help="Unmeasured value: 'zero' (neutral) or 'drop' the pair.")
    ] = "zero",
) -> None:
    """Alignment-target distillation (§5.3, Eq. 3–4) and its convergence as pairs accumulate."""
    from gpla.validity import distill_progress, pairs_from_judgments
    from gpla.validity.tables import read_table

    policy = _choice(missing, ("zero", "drop"), "--missing")
    winners, losers = pairs_from_judgments(read_table(judgments, what="judgments"))
    progress = distill_progress(winners, losers, every=every, missing=policy)
    target = progress.targets.iloc[-1].rename("target").to_frame()
    target.index.name = "value"
    _report(target, out, f"Distilled alignment target from {len(winners)} preference pairs")
    _report(
        progress.table(),
        out.with_name(f"{out.stem}_progress.csv"),
        f"Target as pairs accumulate (unchanged since {progress.converged_at()} pairs)",
    )


@bench_app.command("consistency")
def consistency_command(
    a: Annotated[Path, typer.Argument(help="LLMs × values measured on dataset A.")],
    b: Annotated[Path, typer.Argument(help="The same LLMs × values measured on dataset B.")],
    safety: Annotated[
        str | None, typer.Option(help="Safety CSV or 'salad-bench': also correlate with safety.")
    ] = None,
    method: Annotated[str, typer.Option(help="pearson or spearman.")] = "pearson",
    out: Annotated[Path, typer.Option(help="Output CSV (plus .md).")] = Path("consistency.csv"),
) -> None:
    """Cross-dataset consistency (App. B.3): per-LLM correlation of the two value vectors."""
    from gpla.validity import consistency_safety_correlation, cross_dataset_consistency
    from gpla.validity.tables import read_matrix

    kind = _choice(method, ("pearson", "spearman"), "--method")
    table = cross_dataset_consistency(
        read_matrix(a, what="dataset A"),
        read_matrix(b, what="dataset B"),
        method=kind,
        a_name=str(a),
        b_name=str(b),
    )
    title = f"Intra-LLM value correlation; mean {table['correlation'].mean():.3f}"
    undefined = table.index[table["correlation"].isna()]
    if len(undefined):
        title += (
            f" over {len(table) - len(undefined)} LLMs ({len(undefined)} without one: fewer than 3 "
            f"values measured in both or constant: {', '.join(map(str, undefined[:5]))})"
        )
    if safety is not None:
        scores = _safety(safety)
        link = consistency_safety_correlation(table["correlation"], scores, method=kind)
        table["safety"] = scores.loc[table.index]
        title += (
            f"; correlation with safety r = {link.r:.3f} (p = {link.p_value:.3g}, n = {link.n})"
        )
    _report(table, out, title)


@bench_app.command("schwartz")
def schwartz_command(
    factors: Annotated[
        Path,
        typer.Option("--factor-scores", "--factors", help="Subjects × factor scores of your system "
                     "(--factors: older name)."),
    ],
    schwartz: Annotated[Path, typer.Option(help="The same subjects × Schwartz values.")],
    method: Annotated[str, typer.Option(help="pearson or spearman.")] = "pearson",
    out: Annotated[Path, typer.Option(help="Output CSV of r (plus .md and <name>_p.csv).")] = Path(
        "schwartz_correlations.csv"
    ),
) -> None:
    """Correlations of factor scores with Schwartz values (App. B.4, Table 12)."""
    from gpla.validity import correlate_with_schwartz
    from gpla.validity.tables import read_matrix

    kind = _choice(method, ("pearson", "spearman"), "--method")
    result = correlate_with_schwartz(
        read_matrix(factors, what="factor scores"),
        read_matrix(schwartz, what="Schwartz values"),
        method=kind,
        factors_name=str(factors),
        schwartz_name=str(schwartz),
    )
    _report(
        result.r,
        out,
        f"Correlation between factor scores and Schwartz values (n = {int(result.n.to_numpy().max())})",
    )
    result.p_value.to_csv(out.with_name(f"{out.stem}_p.csv"))
