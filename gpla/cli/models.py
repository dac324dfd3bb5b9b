"""`gpla` sub-commands: models (``gpla models check SPEC``)."""

from __future__ import annotations

from typing import Annotated

import typer

from gpla.errors import ConfigError

models_app = typer.Typer(help="Check model backends.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.add_typer(models_app, name="models")


def _parse_options(pairs: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs; values that look like numbers or booleans become them."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option {pair!r}: expected KEY=VALUE")
        value: object = raw
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            for cast in (int, float):
                try:
                    value = cast(raw)
                    break
                except ValueError:
                    pass
        options[key.replace("-", "_")] = value
    return options


@models_app.command("check")
def check_command(
    spec: Annotated[
        str, typer.Argument(help="Model spec: llamacpp:default, openai:NAME[@URL], hf:NAME.")
    ],
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", "-o", help="Backend option KEY=VALUE (repeatable), e.g. timeout=30."
        ),
    ] = None,
    cache: Annotated[bool, typer.Option(help="Answer from the call cache when possible.")] = False,
) -> None:
    """Load a model, ask it a question, a JSON question and a yes/no label question; print the
    latency of each and by which route JSON and label probabilities were obtained. Exits 1 when a
    step fails (each call is tried once unless ``-o max_attempts=N``)."""
    from rich.console import Console
    from rich.table import Table

    from gpla.models.check import check_model

    steps = check_model(spec, cache=cache, **_parse_options(option or []))
    table = Table(title=f"gpla models check {spec}")
    for col in ("step", "ok", "seconds", "route", "detail"):
        table.add_column(col)
    for s in steps:
        mark = "[green]yes[/green]" if s.ok else "[red]no[/red]"
        table.add_row(s.step, mark, f"{s.seconds:.2f}", s.route, s.detail)
    Console().print(table)
    failed = [s.step for s in steps if not s.ok]
    if failed:
        typer.secho(f"error: check failed: {', '.join(failed)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
