"""`gpla` sub-commands: analysis (pca, alpha; cfa and compare-systems are added below by their owner).

Each command is its own function; statistics are imported inside them so `gpla --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from gpla.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from gpla.analysis.data import MissingPolicy
    from gpla.analysis.pca import NFactors, PrincipalComponents
    from gpla.analysis.rotation import Rotation

_MISSING_HELP = (
    "Missing values: 'raise' (refuse, say how many rows each policy keeps), 'listwise' (drop incomplete "
    "rows) or 'pairwise' (each correlation from the rows where both columns are present)."
)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.command("pca")(pca_command)
    app.command("alpha")(alpha_command)
    _register_cfa(app)


def _split(option: str | None) -> list[str]:
    return [part.strip() for part in (option or "").split(",") if part.strip()]


def _choice(value: str, options: tuple[str, ...], flag: str) -> Any:
    if value not in options:
        raise ConfigError(f"{flag} must be one of {', '.join(options)}; got {value!r}")
    return value


def _load(data: Path, columns: str | None) -> pd.DataFrame:
    from gpla.tables import read_table

    frame = read_table(data)
    wanted = _split(columns)
    if wanted:
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            raise DataError(
                f"{data}: no column(s) {', '.join(absent)} (has {', '.join(map(str, frame.columns))})"
            )
        frame = frame[wanted]
    return frame


def _write_json(report: dict[str, Any], path: Path | None) -> None:
    """``--json-out PATH`` writes the report; PATH ``-`` prints it as the only thing on stdout."""
    if path is None:
        return
    from gpla.cli.psychometrics import _json_text

    text = _json_text(report)
    if str(path) == "-":
        typer.echo(text, nl=False)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _parse_factors(value: str) -> NFactors:
    if value in ("auto", "kaiser"):
        return cast("NFactors", value)
    try:
        return int(value)
    except ValueError:
        raise ConfigError(
            f"--factors must be a number, 'auto' or 'kaiser', got {value!r}"
        ) from None


def pca_command(
    data: Annotated[Path, typer.Option(help="CSV: rows = subjects, columns = variables.")],
    out: Annotated[Path, typer.Option(help="Output folder (created).")],
    factors: Annotated[
        str,
        typer.Option(
            help="Number of factors, 'auto' (parallel analysis, 95th percentile) or 'kaiser'."
        ),
    ] = "auto",
    rotation: Annotated[str, typer.Option(help="varimax, promax or none.")] = "varimax",
    columns: Annotated[
        str | None, typer.Option(help="Comma-separated columns to use (default all).")
    ] = None,
    missing: Annotated[str, typer.Option(help=_MISSING_HELP)] = "raise",
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Drop weak/cross-loading items one at a time; writes pruned.csv."
        ),
    ] = False,
    min_loading: Annotated[
        float, typer.Option(help="Pruning: smallest acceptable top |loading|.")
    ] = 0.4,
    cross_margin: Annotated[
        float, typer.Option(help="Pruning: top two |loadings| closer than this cross-load.")
    ] = 0.1,
    n_iter: Annotated[int, typer.Option(help="Random data sets for parallel analysis.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of parallel analysis.")] = 0,
) -> None:
    """Principal components + rotation as psych::principal: loadings.csv, eigenvalues.csv, scree.png.

    With --prune, loadings.csv is the final (pruned) solution; eigenvalues and scree plot are those of all items, on which the number of factors was decided.
    """
    from gpla.analysis.data import MISSING_POLICIES, validate_numeric
    from gpla.analysis.pca import PrincipalComponents
    from gpla.analysis.pruning import prune_items
    from gpla.analysis.rotation import ROTATIONS

    if n_iter < 1:
        raise ConfigError(f"--n-iter must be at least 1, got {n_iter}")
    policy: MissingPolicy = _choice(missing, MISSING_POLICIES, "--missing")
    rotate: Rotation = _choice(rotation, ROTATIONS, "--rotation")
    n_factors = _parse_factors(factors)
    # The missing-value policy is applied here once, so the full fit and every pruning refit see the same rows.
    frame = validate_numeric(_load(data, columns), what=str(data), missing=policy, min_cols=2)
    full = PrincipalComponents(
        n_factors, rotate, n_iter=n_iter, random_state=seed, missing="pairwise"
    ).fit(frame)
    final, removed = full, None
    if prune:
        result = prune_items(
            frame, full.n_factors_, min_loading, cross_margin, rotation=rotate, missing="pairwise"
        )
        final, removed = result.model, result.removed

    out.mkdir(parents=True, exist_ok=True)
    final.loadings_.to_csv(out / "loadings.csv")
    eigen = full.eigenvalues_.to_frame()
    if full.parallel_ is not None:
        eigen["random_threshold"] = full.parallel_
    eigen.to_csv(out / "eigenvalues.csv")
    full.scree_plot(out / "scree.png")
    if removed is not None:
        removed.to_csv(out / "pruned.csv", index=False)
    _print_pca(full, final, removed, factors, missing, len(frame), out)


def _print_pca(
    full: PrincipalComponents,
    final: PrincipalComponents,
    removed: pd.DataFrame | None,
    factors: str,
    missing: str,
    n_rows: int,
    out: Path,
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    rule = {"auto": "parallel analysis", "kaiser": "Kaiser (eigenvalue > 1)"}.get(factors, "fixed")
    console.print(
        f"[bold]{full.n_factors_} factors[/] ({rule}); {n_rows} rows, missing values: {missing}; "
        f"{len(final.loadings_)} of {len(full.loadings_)} variables kept"
    )
    table = Table(title="Rotated loadings (|loading| ≥ 0.4 in bold)")
    table.add_column("variable")
    for name in final.loadings_.columns:
        table.add_column(name, justify="right")
    for variable, row in final.loadings_.iterrows():
        table.add_row(
            str(variable), *(f"[bold]{v:.3f}[/]" if abs(v) >= 0.4 else f"{v:.3f}" for v in row)
        )
    table.add_row(
        "proportion var", *(f"{v:.3f}" for v in final.explained_variance_), end_section=True
    )
    console.print(table)
    if removed is not None and len(removed):
        console.print(f"pruned {len(removed)} item(s):")
        for _, r in removed.iterrows():
            console.print(f"  {r.step}. {r.variable}: {r.reason}")
    console.print(
        f"wrote {out}/loadings.csv, eigenvalues.csv, scree.png"
        + (", pruned.csv" if removed is not None else "")
    )


def alpha_command(
    data: Annotated[Path, typer.Option(help="CSV: rows = subjects, columns = items.")],
    model: Annotated[
        Path,
        typer.Option(
            "--syntax", "--model", help="lavaan model; each 'scale =~ item + item' line is one scale."
        ),
    ],
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json-out", "--json",
            help="Write {scale: {alpha, ci_low, ci_high, n_items, ...}} here ('-' = stdout, nothing else); "
            "--json PATH is the older spelling.",
        ),
    ] = None,
    reverse: Annotated[
        str | None, typer.Option(help="Comma-separated reverse-keyed items (recoded min+max−x).")
    ] = None,
    ci: Annotated[
        str,
        typer.Option(
            help="95% CI reported: 'feldt' (analytic, psych's Feldt) or 'bootstrap' (percentile)."
        ),
    ] = "feldt",
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples (with --ci bootstrap).")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    missing: Annotated[
        str, typer.Option(help=_MISSING_HELP + " Applied once over all the model's items.")
    ] = "raise",
) -> None:
    """Cronbach's alpha (raw and standardised) with a 95% CI for each scale of a lavaan model.

    The CI is Feldt's analytic interval by default (psych::alpha's "Feldt" row); --ci bootstrap gives a seeded percentile bootstrap instead. The JSON and the table say which.
    """
    from gpla.analysis.data import MISSING_POLICIES, validate_numeric
    from gpla.analysis.lavaan import measurement_scales, read_lavaan, resolve_columns
    from gpla.analysis.reliability import cronbach_alpha

    policy: MissingPolicy = _choice(missing, MISSING_POLICIES, "--missing")
    method = _choice(ci, ("feldt", "bootstrap"), "--ci")
    scales = measurement_scales(read_lavaan(model), what=str(model))
    frame = _load(data, None)
    latent = set(scales)
    items = list(
        dict.fromkeys(i for members in scales.values() for i in members if i not in latent)
    )
    # Model names are lavaan-safe ("Public_Benefit" reads the column "Public Benefit"), as in cfa.
    columns = resolve_columns(items, frame.columns, what=str(model))
    frame = frame[[columns[i] for i in items]].set_axis(items, axis=1)
    by_column = {str(col): item for item, col in columns.items()}
    reversed_items = [by_column.get(i, i) for i in _split(reverse)]
    stray = [i for i in reversed_items if i not in items]
    if stray:
        raise ConfigError(f"--reverse: {', '.join(stray)} not an item of any scale in {model}")
    frame = validate_numeric(frame, what=str(data), missing=policy, min_cols=1)

    results = {}  # scale -> AlphaResult
    for scale, members in scales.items():
        observed = [i for i in members if i not in latent]
        if len(observed) < len(members):
            typer.echo(f"note: {scale} is measured by other factors; no alpha for it", err=True)
            continue
        _warn_reverse_keyed(scale, frame[observed], [i for i in reversed_items if i in observed])
        results[scale] = cronbach_alpha(
            frame[observed],
            reverse=[i for i in reversed_items if i in observed],
            ci=method,
            n_boot=n_boot,
            random_state=seed,
            missing="pairwise",
            what=f"scale {scale}",
        )
    report: dict[str, dict[str, Any]] = {
        scale: {
            "alpha": r.alpha,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "n_items": r.n_items,
            "std_alpha": r.std_alpha,
            "ci_method": r.ci_method,
            "n_obs": r.n_obs,
        }
        for scale, r in results.items()
    }
    _write_json(report, json_out)
    if str(json_out) != "-":
        _print_alpha(report, ci)


def _warn_reverse_keyed(scale: str, items: pd.DataFrame, reverse: list[str]) -> None:
    """psych::alpha's warning, on stderr, for items that still look reverse-keyed after --reverse."""
    from gpla.analysis.keying import negatively_keyed
    from gpla.analysis.reliability import reverse_items

    suspects = negatively_keyed(reverse_items(items, reverse))
    if suspects:
        named = ", ".join(suspects)
        flag = ",".join([*reverse, *suspects])
        typer.secho(f"warning: scale {scale}: items {named} were negatively correlated with the first principal "
                    f"component and probably should be reversed (--reverse {flag})", fg=typer.colors.YELLOW, err=True)


def _print_alpha(report: dict[str, dict[str, Any]], ci: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Cronbach's alpha, 95% CI: {'Feldt (analytic)' if ci == 'feldt' else 'percentile bootstrap'}"
    )
    for column in ("scale", "items", "n", "alpha", "std alpha", "CI"):
        table.add_column(column, justify="left" if column == "scale" else "right")
    for scale, r in report.items():
        table.add_row(
            scale,
            str(r["n_items"]),
            str(r["n_obs"]),
            f"{r['alpha']:.3f}",
            f"{r['std_alpha']:.3f}",
            f"{r['ci_low']:.3f} – {r['ci_high']:.3f}",
        )
    Console().print(table)


# --- cfa and compare-systems (CFA / value-systems owner) -------------------------------------------


def _register_cfa(app: typer.Typer) -> None:
    app.command("cfa")(cfa_command)
    app.command("compare-systems")(compare_systems_command)


def cfa_command(
    data: Annotated[Path, typer.Option(help="CSV: rows = subjects, columns = variables.")],
    model: Annotated[
        Path, typer.Option("--syntax", "--model", help="CFA model in lavaan syntax (F =~ x1 + x2 + x3).")
    ],
    json_out: Annotated[
        Path | None,
        typer.Option("--json-out", "--json", help="Write lavaan-named fit indices here ('-' = stdout, nothing "
                     "else); --json PATH is the older spelling."),
    ] = None,
    loadings: Annotated[
        Path | None, typer.Option(help="Write standardised loadings (factor, variable, estimate, loading) here.")
    ] = None,
    missing: Annotated[
        str, typer.Option(help="NaNs: 'raise' (refuse) or 'listwise' (drop incomplete rows, as lavaan).")
    ] = "raise",
    modindices: Annotated[
        int,
        typer.Option(help="Add the K largest modification indices (lavaan's modindices) to the output."),
    ] = 0,
    heywood: Annotated[
        str, typer.Option(help="A Heywood case or improper solution: 'raise' (refuse) or 'warn' (report it).")
    ] = "raise",
) -> None:
    """Confirmatory factor analysis (ML) with lavaan's fit indices."""
    from gpla.analysis.cfa import CFA

    if not model.is_file():
        raise ConfigError(f"--syntax {model}: file not found")
    if modindices < 0:
        raise ConfigError(f"--modindices must be 0 or more, got {modindices}")
    frame = _load(data, None)
    policy = _choice(missing, ("raise", "listwise"), "--missing")
    fit = CFA(model.read_text(encoding="utf-8"), missing=policy,
              heywood=_choice(heywood, ("raise", "warn"), "--heywood"))
    fit.fit(frame)
    report: dict[str, Any] = dict(fit.fit_indices_)
    top = None
    if modindices:
        from gpla.analysis.modindices import ModificationIndices

        top = ModificationIndices(model.read_text(encoding="utf-8"), missing=policy).fit(frame).top(modindices)
        report["modindices"] = top.to_dict(orient="records")
    _write_json(report, json_out)
    if loadings is not None:
        loadings.parent.mkdir(parents=True, exist_ok=True)
        fit.std_loadings_.to_csv(loadings, index=False)
    if str(json_out) == "-":
        for warning in fit.warnings_:
            typer.echo(f"warning: {warning}", err=True)
        return
    _print_cfa(fit.fit_indices_, fit.n_dropped_, fit.warnings_)
    if top is not None:
        _print_modindices(top)


def _print_modindices(top: pd.DataFrame) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Largest modification indices (lavaan's modindices: mi, epc, sepc.all)")
    for name in top.columns:
        table.add_column(name, justify="right" if name in ("mi", "epc", "sepc_all") else "left")
    for row in top.itertuples(index=False):
        table.add_row(row.lhs, row.op, row.rhs, f"{row.mi:.3f}", f"{row.epc:.3f}", f"{row.sepc_all:.3f}")
    Console().print(table)


def _print_cfa(indices: dict[str, float], n_dropped: int, warnings: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="CFA fit (ML; lavaan's indices)")
    table.add_column("index")
    table.add_column("value", justify="right")
    for name, value in indices.items():
        table.add_row(name, f"{value:.6g}" if isinstance(value, float) else str(value))
    console = Console()
    console.print(table)
    if n_dropped:
        console.print(f"{n_dropped} incomplete row(s) dropped (listwise).")
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def compare_systems_command(
    data: Annotated[Path, typer.Option(help="CSV: rows = subjects, columns = values (the matrix X).")],
    out: Annotated[Path, typer.Option(help="Output folder (created).")],
    systems: Annotated[
        str,
        typer.Option(
            help="Comma-separated: ours, schwartz-h, schwartz-l, five-factor, a CSV/TOML system file, "
            "a lavaan model file (.lavaan/.lav, as alpha and cfa take), "
            "or map:FILE (map the variables onto that file's factors by embedding)."
        ),
    ] = "ours,schwartz-h,schwartz-l",
    embedder: Annotated[
        str, typer.Option(help="Embedding model spec used to map values onto Schwartz's values.")
    ] = "st:default",
    factors: Annotated[
        str, typer.Option(help="Factors of 'ours': a number, 'auto' (parallel analysis) or 'kaiser'.")
    ] = "auto",
    seed: Annotated[int, typer.Option(help="Seed of the split, bootstrap and parallel analysis.")] = 0,
    missing: Annotated[str, typer.Option(help="NaNs: 'raise', 'listwise', or 'pairwise' (PCA on pairwise "
                                          "correlations, each CFA listwise as lavaan).")] = "raise",
    theory_data: Annotated[
        str,
        typer.Option(help="Rows for systems not built from the data (Schwartz, files): 'holdout' "
                     "(the same rows as ours) or 'all' (as the paper fitted Schwartz's)."),
    ] = "holdout",
    bootstrap: Annotated[
        str,
        typer.Option(help="Top up to 5 rows per variable: 'construction' (the paper's §5.1), "
                     "'holdout', 'both' or 'none'."),
    ] = "construction",
    columns: Annotated[
        str | None, typer.Option(help="Comma-separated columns to use (default all).")
    ] = None,
    weak_similarity: Annotated[
        float, typer.Option(help="A value whose best cosine similarity to a mapped system is below this maps weakly.")
    ] = 0.35,  # = gpla.analysis.mapping.WEAK_SIMILARITY, a literal so that `--help` loads no pandas
    weak_mapping: Annotated[
        str, typer.Option(help="When most values map weakly onto a mapped system: 'warn' (fit it, flagged) or 'raise'.")
    ] = "warn",
) -> None:
    """Compare value systems by CFA fit on held-out data (GPLA Table 2)."""
    from gpla.analysis.compare import compare_systems

    specs = _split(systems)
    needs_embedder = any(s in ("schwartz-h", "schwartz-l") or s.startswith("map:") for s in specs)
    model = None
    if needs_embedder:
        from gpla.models import load_embedding_model

        model = load_embedding_model(embedder)
    result = compare_systems(
        _load(data, columns), specs, model, n_factors=_parse_factors(factors), random_state=seed,
        missing=_choice(missing, ("raise", "listwise", "pairwise"), "--missing"),
        theory_data=_choice(theory_data, ("holdout", "all"), "--theory-data"),
        bootstrap=_choice(bootstrap, ("construction", "holdout", "both", "none"), "--bootstrap"),
        weak_similarity=weak_similarity, on_weak_mapping=_choice(weak_mapping, ("warn", "raise"), "--weak-mapping"),
    )  # fmt: skip
    for fit in result.fits.values():
        if fit.mapping_warning:
            typer.secho(f"warning: {fit.mapping_warning} (--weak-mapping raise refuses it)",
                        fg=typer.colors.YELLOW, err=True)
    result.save(out)
    _print_comparison(result.to_markdown() + result.modindices_markdown(), out)


def _print_comparison(markdown: str, out: Path) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console()
    console.print(Markdown(markdown))
    console.print(f"Written to {out}/ (table.csv, table.md, fit_indices.json, modindices.csv, models/).")
