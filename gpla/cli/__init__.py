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
    "gpla.cli.psychometrics",
    "gpla.cli.models",
    "gpla.cli.agents",
    "gpla.cli.lexicon",
    "gpla.cli.portrait",
    "gpla.cli.bench",
    "gpla.cli.evaluator",
    "gpla.cli.validate",
)

for _name in _GROUPS:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Entry point: user errors (``GplaError``) and file-system errors print one line and exit 2,
    never a traceback (``GPLA_DEBUG=1`` re-raises them, for developers).

    Typer's standalone mode already turns usage errors into a message and an exit code.
    """
    import os

    from gpla.errors import GplaError

    try:
        app()
    except (GplaError, OSError) as err:
        if os.environ.get("GPLA_DEBUG"):
            raise
        typer.secho(f"error: {_one_line(err)}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None
    except Exception as err:  # a bug, not a user error: still one line, the traceback on request
        if os.environ.get("GPLA_DEBUG"):
            raise
        message = f"error: unexpected {type(err).__name__}: {_one_line(err)} (GPLA_DEBUG=1 shows the traceback)"
        typer.secho(message, fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None


def _one_line(err: BaseException) -> str:
    if isinstance(err, OSError) and err.filename is not None:
        return f"{err.strerror or type(err).__name__}: {err.filename}"
    return " ".join(str(err).split())
