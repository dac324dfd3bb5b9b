"""`gpla run`: the whole GPLA pipeline over a run directory (resumable; `--dry-run` to budget)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

    from gpla.config import RunConfig


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.command("run")(run)


def run(
    config: Annotated[Path | None, typer.Argument(help="Run configuration (TOML). Omit to use --preset.")] = None,
    preset: Annotated[str | None, typer.Option(help="Packaged configuration: quickstart | paper.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory (created; re-use it to resume).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print per-stage call/token (and cost) estimates; call nothing.")] = False,
    from_stage: Annotated[str | None, typer.Option("--from", help="Re-run from this stage even if up to date.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars or summary table.")] = False,
    engine: Annotated[str | None, typer.Option(
        "--engine", help="Where the model stages run: local (this process) | ray (a Ray Data actor pool, "
        "see [engine] in the config). Overrides engine.kind.")] = None,
) -> None:
    """Run corpus → perceptions → value_mentions → lexicon → questions → subjects → responses →
    judgments → X → analysis → report. Finished stages are skipped (0 model calls on a re-run);
    a killed run resumes where it stopped. Logs go to OUT/logs/."""
    from rich.console import Console
    from rich.table import Table

    from gpla.config import load_config, load_preset
    from gpla.config_check import check_run_config
    from gpla.errors import ConfigError

    if quiet:
        os.environ["GPLA_QUIET"] = "1"
    if (config is None) == (preset is None):
        raise ConfigError("give either a CONFIG.toml file or --preset quickstart|paper (not both)")
    cfg = load_config(config) if config is not None else load_preset(str(preset))
    if engine is not None:
        if engine not in ("local", "ray"):
            raise ConfigError(f"--engine {engine!r}: expected local or ray")
        cfg = cfg.model_copy(update={"engine": cfg.engine.model_copy(update={"kind": engine})})
    check_run_config(cfg, str(config) if config is not None else f"preset {preset}")
    console = Console()

    if dry_run:
        from gpla.stages.estimate import estimate

        table = _condense(estimate(cfg))
        show = Table(title=f"Dry run of {cfg.name}: estimated model calls and tokens (nothing was called)")
        for col in ("stage", "model", "calls", "prompt tokens", "completion tokens", "cost (USD)"):
            show.add_column(col, justify="left" if col in ("stage", "model") else "right")
        for r in table.itertuples():
            cost = "n/a" if r.cost_usd != r.cost_usd else f"{r.cost_usd:,.2f}"
            show.add_row(r.stage, r.model, f"{r.calls:,}", f"{r.prompt_tokens:,}", f"{r.completion_tokens:,}", cost)
        priced = table["cost_usd"].notna()
        show.add_row("total", "", f"{table['calls'].sum():,}", f"{table['prompt_tokens'].sum():,}",
                     f"{table['completion_tokens'].sum():,}",
                     f"{table.loc[priced, 'cost_usd'].sum():,.2f}" + ("" if priced.all() else " (priced models)"))
        console.print(show)
        if cfg.engine.kind == "ray":
            _print_cluster(console, cfg, estimate(cfg))
        return

    from gpla.pipeline import Pipeline

    if out is None:
        raise ConfigError("--out DIR is required: the run directory to create or resume")
    summary = Pipeline(cfg, out).run(from_stage=from_stage)
    if not quiet:
        show = Table(title=f"gpla run {cfg.name} → {summary.run_dir}")
        for col in ("stage", "status", "seconds", "model calls"):
            show.add_column(col)
        for s in summary.stages:
            show.add_row(s.name, s.status, f"{s.seconds:.1f}" if s.status == "done" else "",
                         str(s.usage.get("calls", 0)) if s.usage else "0")
        console.print(show)
    typer.echo(f"model calls this run: {summary.model_calls}; report: {summary.run_dir / 'report.html'}")


def _condense(table: pd.DataFrame, max_models: int = 3) -> pd.DataFrame:
    """One row per stage when a stage spans many models (the paper's 33 subjects' LLMs)."""
    import pandas as pd

    rows = []
    for stage, group in table.groupby("stage", sort=False):
        if len(group) <= max_models:
            rows.append(group)
            continue
        priced = group["cost_usd"].notna()
        rows.append(pd.DataFrame([{
            "stage": stage, "model": f"{len(group)} models",
            "calls": group["calls"].sum(), "prompt_tokens": group["prompt_tokens"].sum(),
            "completion_tokens": group["completion_tokens"].sum(),
            "cost_usd": group.loc[priced, "cost_usd"].sum() if priced.any() else float("nan"),
        }]))
    return pd.concat(rows, ignore_index=True)


def _print_cluster(console: Any, cfg: RunConfig, table: pd.DataFrame) -> None:
    """What the estimated work needs on a Ray cluster (``gpla.stages.cluster_estimate``)."""
    from rich.table import Table

    from gpla.stages.cluster_estimate import cluster_estimate

    hours, plan = cluster_estimate(cfg, table)
    show = Table(title="On a Ray cluster (--engine ray): hours of work per stage")
    for col in ("stage", "model", "worker", "hours"):
        show.add_column(col, justify="right" if col == "hours" else "left")
    for r in hours.itertuples():
        show.add_row(r.stage, r.model, r.worker, "" if r.worker == "hosted" else f"{r.hours:,.1f}")
    console.print(show)
    console.print(plan)

