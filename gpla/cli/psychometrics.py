"""`gpla` psychometrics commands: invariance, omega, efa.

Statistics are imported inside the command functions so `gpla --help` stays fast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gpla.errors import ConfigError

if TYPE_CHECKING:
    from gpla.analysis.invariance import MeasurementInvariance


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.command("invariance")(invariance_command)
    app.command("omega")(omega_command)
    app.command("efa")(efa_command)


def invariance_command(
    data: Annotated[Path, typer.Option(help="CSV: rows = subjects, columns = variables and the group.")],
    syntax: Annotated[
        Path, typer.Option("--syntax", "--model", help="CFA model in lavaan syntax (F =~ x1 + x2 + x3).")
    ],
    group: Annotated[str, typer.Option(help="Column naming each row's group (e.g. model family).")],
    json_out: Annotated[
        Path | None,
        typer.Option("--json-out", help="Write {configural: {chisq, df, cfi, ...}, metric, scalar, strict, lrt}."),
    ] = None,
    levels: Annotated[
        str, typer.Option(help="Comma-separated nested levels: configural, metric, scalar, strict.")
    ] = "configural,metric,scalar,strict",
    missing: Annotated[
        str, typer.Option(help="NaNs: 'raise' (refuse) or 'listwise' (drop incomplete rows, as lavaan).")
    ] = "raise",
    heywood: Annotated[
        str, typer.Option(help="A negative variance estimate (Heywood case): 'raise' or 'warn'.")
    ] = "raise",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON on stdout (nothing else).")] = False,
) -> None:
    """Measurement invariance across groups: multi-group CFA (ML) at each level, as lavaan's
    cfa(group=, group.equal=) + fitMeasures + lavTestLRT.

    Groups are taken in order of first appearance (lavaan's); columns the model does not name are ignored.
    """
    from gpla.analysis.invariance import MeasurementInvariance
    from gpla.tables import read_table

    if not syntax.is_file():
        raise ConfigError(f"--syntax {syntax}: file not found")
    if missing not in ("raise", "listwise"):
        raise ConfigError(f"--missing must be 'raise' or 'listwise'; got {missing!r}")
    wanted = [part.strip() for part in levels.split(",") if part.strip()]
    frame = read_table(data)
    result = MeasurementInvariance(
        syntax.read_text(encoding="utf-8"), group, wanted, missing=missing,  # type: ignore[arg-type]
        heywood=_option(heywood, ("raise", "warn"), "--heywood"),
    ).fit(frame)
    _emit({**result.to_dict(), "warnings": result.warnings_}, as_json, json_out)
    if as_json:
        for warning in result.warnings_:
            typer.echo(f"warning: {warning}", err=True)
    else:
        _print_invariance(result)


def _print_invariance(result: MeasurementInvariance) -> None:
    from rich.console import Console
    from rich.table import Table

    sizes = ", ".join(f"{k}: {v}" for k, v in result.n_per_group_.items())
    fits = Table(title=f"Invariance across {result.group} ({sizes}); ML, lavaan's indices")
    for name in ("level", "npar", "chisq", "df", "CFI", "TLI", "RMSEA", "SRMR"):
        fits.add_column(name, justify="left" if name == "level" else "right", no_wrap=True)
    for level, ix in result.fits_.items():
        fits.add_row(
            level, str(ix["npar"]), f"{ix['chisq']:.2f}", str(ix["df"]), f"{ix['cfi']:.3f}",
            f"{ix['tli']:.3f}", f"{ix['rmsea']:.4f}", f"{ix['srmr']:.4f}",
        )  # fmt: skip
    tests = Table(title="Nested models (lavTestLRT: chi-square difference)")
    for name in ("model", "vs", "Δchisq", "Δdf", "p", "ΔCFI", "ΔRMSEA"):
        tests.add_column(name, justify="left" if name in ("model", "vs") else "right", no_wrap=True)
    for before, row in zip(result.lrt_, result.lrt_[1:], strict=False):
        tests.add_row(
            row["model"], before["model"], f"{row['chisq_diff']:.2f}", str(row["df_diff"]),
            f"{row['p']:.3g}", f"{row['delta_cfi']:+.4f}", f"{row['delta_rmsea']:+.4f}",
        )  # fmt: skip
    console = Console()
    console.print(fits)
    if len(result.lrt_) > 1:
        console.print(tests)
    if result.n_dropped_:
        console.print(f"{result.n_dropped_} incomplete row(s) dropped (listwise).")
    for warning in result.warnings_:
        console.print(f"[yellow]warning:[/yellow] {warning}")


# --- omega and efa ---------------------------------------------------------------------------------


def _emit(report: dict[str, Any], as_json: bool, path: Path | None) -> None:
    """Write `report` to `path` and, with --json, print it as the only thing on stdout."""
    import sys

    text = _json_text(report)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if as_json:
        sys.stdout.write(text)


def _json_text(report: Any) -> str:
    """Strict JSON: an undefined index (NaN, e.g. TLI or a p-value at df = 0) is written as null,
    since NaN is not JSON and jq and other readers refuse it."""
    return json.dumps(_finite(report), indent=2, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _split_items(option: str | None) -> list[str]:
    return [part.strip() for part in (option or "").split(",") if part.strip()]


def omega_command(
    data: Annotated[Path, typer.Option(help="CSV: rows = subjects, columns = items.")],
    syntax: Annotated[Path, typer.Option(help="CFA model in lavaan syntax; its factors get an omega each.")],
    json_out: Annotated[
        Path | None, typer.Option(help="Write {factor: {omega, common_variance, total_variance, n_items}}.")
    ] = None,
    hierarchical: Annotated[
        int | None,
        typer.Option(help="Also psych::omega's Schmid–Leiman omega_h / omega_total with this many group "
                     "factors (≥ 3) over all the model's items, under the key 'hierarchical'."),
    ] = None,
    method: Annotated[str, typer.Option(help="Factoring method of --hierarchical: minres or ml.")] = "minres",
    reverse: Annotated[
        str | None, typer.Option(help="Comma-separated reverse-keyed items, recoded (min + max) − x first.")
    ] = None,
    missing: Annotated[
        str, typer.Option(help="NaNs: 'raise' (refuse) or 'listwise' (drop incomplete rows, as lavaan).")
    ] = "raise",
    heywood: Annotated[
        str, typer.Option(help="A Heywood case (negative variance, communality ≥ 1): 'raise' or 'warn'.")
    ] = "raise",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON on stdout (nothing else).")] = False,
) -> None:
    """McDonald's omega per CFA factor (semTools::compRelSEM) and optionally hierarchical omega (psych::omega)."""
    from gpla.analysis.lavaan import measurement_scales, read_lavaan, resolve_columns
    from gpla.analysis.omega import CFAOmega, HierarchicalOmega
    from gpla.tables import read_table

    if hierarchical is not None and hierarchical < 3:  # refused before the CFA runs
        raise ConfigError(f"--hierarchical needs at least 3 group factors for the general factor to be "
                          f"identified, got {hierarchical}")
    text = read_lavaan(syntax)
    scales = measurement_scales(text, what=str(syntax))
    items = list(dict.fromkeys(i for members in scales.values() for i in members if i not in scales))
    frame = read_table(data)
    # Model names are lavaan-safe ("Public_Benefit" reads the column "Public Benefit"), as in alpha and cfa.
    columns = resolve_columns(items, frame.columns, what=str(syntax))
    frame = frame[[columns[i] for i in items]].set_axis(items, axis=1)
    by_column = {str(col): item for item, col in columns.items()}
    reversed_items = [by_column.get(i, i) for i in _split_items(reverse)]
    stray = [i for i in reversed_items if i not in items]
    if stray:
        raise ConfigError(f"--reverse: {', '.join(stray)} not an item of {syntax}")
    policy = _option(missing, ("raise", "listwise"), "--missing")
    if policy == "listwise":
        frame = frame.dropna()
    fit = CFAOmega(text, reverse=reversed_items, missing=policy,
                   heywood=_option(heywood, ("raise", "warn"), "--heywood")).fit(frame)
    report: dict[str, Any] = dict(fit.omega_)
    warnings = list(fit.cfa_.warnings_)
    if hierarchical is not None:
        if "hierarchical" in report:
            raise ConfigError(f"{syntax}: a factor named 'hierarchical' clashes with the --hierarchical key")
        sl = HierarchicalOmega(hierarchical, _option(method, ("minres", "ml"), "--method"),
                               reverse=reversed_items, missing=policy,
                               heywood=_option(heywood, ("raise", "warn"), "--heywood")).fit(frame)
        warnings += sl.warnings_
        report["hierarchical"] = {"omega_h": sl.omega_h_, "omega_total": sl.omega_total_, "alpha": sl.alpha_,
                                  "omega_limit": sl.omega_limit_, "n_factors": hierarchical, "method": method,
                                  "flipped": sl.flipped_, "n_obs": sl.n_obs_}
    _emit(report, as_json, json_out)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    if not as_json:
        _print_omega(report, fit.n_obs_)


def _print_omega(report: dict[str, Any], n_obs: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"McDonald's omega per factor (CFA, semTools::compRelSEM; {n_obs} rows)")
    for column in ("factor", "items", "omega"):
        table.add_column(column, justify="left" if column == "factor" else "right")
    for factor, r in report.items():
        if factor != "hierarchical":
            table.add_row(factor, str(r["n_items"]), f"{r['omega']:.3f}")
    console = Console()
    console.print(table)
    h = report.get("hierarchical")
    if h:
        console.print(f"Schmid–Leiman ({h['n_factors']} group factors, {h['method']}): omega_h "
                      f"{h['omega_h']:.3f}, omega_total {h['omega_total']:.3f}, alpha {h['alpha']:.3f}")


def efa_command(
    data: Annotated[Path, typer.Option(help="CSV: rows = subjects, columns = variables.")],
    out: Annotated[
        Path | None, typer.Option(help="Folder (created) for loadings.csv, phi.csv, communalities.csv, fit.json.")
    ] = None,
    factors: Annotated[
        str, typer.Option(help="Number of factors or 'auto' (parallel analysis on the eigenvalues, 95th percentile).")
    ] = "auto",
    method: Annotated[str, typer.Option(help="minres (psych's default) or ml.")] = "minres",
    rotation: Annotated[str, typer.Option(help="oblimin, promax, varimax or none.")] = "oblimin",
    columns: Annotated[str | None, typer.Option(help="Comma-separated columns to use (default all).")] = None,
    missing: Annotated[
        str, typer.Option(help="NaNs: 'raise', 'listwise' (drop incomplete rows) or 'pairwise'.")
    ] = "raise",
    heywood: Annotated[
        str, typer.Option(help="A Heywood case (communality ≥ 1, uniqueness at 0.005): 'raise' or 'warn'.")
    ] = "raise",
    n_iter: Annotated[int, typer.Option(help="Random data sets for parallel analysis.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of parallel analysis.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON on stdout (nothing else).")] = False,
) -> None:
    """Exploratory factor analysis as psych::fa: pattern loadings, factor correlations, communalities, fit."""
    from gpla.analysis.data import MISSING_POLICIES
    from gpla.analysis.efa import FACTOR_ROTATIONS, FactorAnalysis
    from gpla.errors import DataError
    from gpla.tables import read_table

    if n_iter < 1:
        raise ConfigError(f"--n-iter must be at least 1, got {n_iter}")
    frame = read_table(data)
    wanted = _split_items(columns)
    if wanted:
        absent = [c for c in wanted if c not in frame.columns]
        if absent:
            raise DataError(f"{data}: no column(s) {', '.join(absent)}")
        frame = frame[wanted]
    n_factors: Any = factors
    if factors != "auto":
        try:
            n_factors = int(factors)
        except ValueError:
            raise ConfigError(f"--factors must be a number or 'auto', got {factors!r}") from None
    fit = FactorAnalysis(
        n_factors, _option(method, ("minres", "ml"), "--method"),
        _option(rotation, FACTOR_ROTATIONS, "--rotation"),
        missing=_option(missing, MISSING_POLICIES, "--missing"), heywood=_option(heywood, ("raise", "warn"), "--heywood"),
        n_iter=n_iter, random_state=seed,
    ).fit(frame)  # fmt: skip
    stats = {"n_factors": fit.n_factors_, "method": method, "rotation": rotation,
             "factors": "parallel analysis" if factors == "auto" else "fixed", **fit.fit_stats_,
             "warnings": fit.warnings_}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        fit.loadings_.to_csv(out / "loadings.csv")
        if fit.factor_correlation_ is not None:
            fit.factor_correlation_.to_csv(out / "phi.csv")
        pd_table = fit.communalities_.to_frame().join(fit.uniquenesses_)
        pd_table.to_csv(out / "communalities.csv")
        (out / "fit.json").write_text(_json_text(stats), encoding="utf-8")
    for warning in fit.warnings_:
        typer.echo(f"warning: {warning}", err=True)
    if as_json:
        phi = fit.factor_correlation_
        _emit({**stats, "loadings": fit.loadings_.to_dict(orient="index"),
               "phi": None if phi is None else phi.to_dict(orient="index"),
               "communalities": fit.communalities_.to_dict()}, True, None)
    else:
        _print_efa(fit, stats, out)


def _print_efa(fit: Any, stats: dict[str, Any], out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{fit.n_factors_} factors[/] ({stats['factors']}), {stats['method']} + "
                  f"{stats['rotation']}; {fit.n_obs_} rows")
    table = Table(title="Pattern loadings (|loading| ≥ 0.3 in bold)")
    table.add_column("variable")
    for name in fit.loadings_.columns:
        table.add_column(name, justify="right")
    table.add_column("h2", justify="right")
    for variable, row in fit.loadings_.iterrows():
        cells = (f"[bold]{v:.3f}[/]" if abs(v) >= 0.3 else f"{v:.3f}" for v in row)
        table.add_row(str(variable), *cells, f"{fit.communalities_[variable]:.3f}")
    console.print(table)
    console.print("  ".join(f"{k} {stats[k]:.4f}" for k in ("objective", "RMSEA", "TLI", "rms")
                            if isinstance(stats.get(k), float)))
    if out is not None:
        console.print(f"wrote {out}/loadings.csv, communalities.csv, fit.json"
                      + (", phi.csv" if fit.factor_correlation_ is not None else ""))


def _option(value: str, options: tuple[str, ...], flag: str) -> Any:
    if value not in options:
        raise ConfigError(f"{flag} must be one of {', '.join(options)}; got {value!r}")
    return value
