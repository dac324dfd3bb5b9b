"""The ``gpla`` command. Each sub-command group lives in its own module and registers itself here.

Group modules import heavy libraries (torch, semopy, llama.cpp) inside their command functions so that
``gpla --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="gpla",
    help="Generative Psycho-Lexical Approach: build, measure and validate value systems for LLMs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# Order = order in `gpla --help`.
_GROUPS = (
    "gpla.cli.run",
    "gpla.cli.analysis",
    "gpla.cli.models",
    "gpla.cli.agents",
    "gpla.cli.lexicon",
    "gpla.cli.portrait",
    "gpla.cli.bench",
)

for _name in _GROUPS:
    importlib.import_module(_name).register(app)


def main() -> None:
    from gpla.errors import GplaError

    try:
        app(standalone_mode=False)
    except GplaError as err:
        typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None
    except click_exceptions() as err:
        err.show()
        raise SystemExit(err.exit_code) from None
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        raise SystemExit(1) from None


def click_exceptions() -> type[Exception]:
    import click

    return click.exceptions.ClickException
