"""`gpla` sub-commands: the GPLA agents for quick use on a few inputs.

``gpla parse``, ``gpla generate-values``, ``gpla evaluate`` and ``gpla design-questions`` each load a
model (``--model SPEC``, default the embedded ``llamacpp:default``) and print a table, or JSON records
with ``--json``. The agents and pandas are imported inside the commands so ``gpla --help`` stays fast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gpla.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

ModelOpt = Annotated[
    str,
    typer.Option("--model", help="Model spec, e.g. llamacpp:default, openai:NAME@URL, hf:NAME."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON records instead of a table.")]


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.command("parse")(parse_command)
    app.command("generate-values")(generate_values_command)
    app.command("evaluate")(evaluate_command)
    app.command("design-questions")(design_questions_command)


def parse_command(
    text: Annotated[str | None, typer.Option("--text", help="The text to parse.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A UTF-8 text file to parse (one document).")
    ] = None,
    subject: Annotated[
        str | None, typer.Option(help="Parse perceptions of this named subject, not the author.")
    ] = None,
    prompt_style: Annotated[
        str,
        typer.Option(help="gpv (GPV's prompt), fewshot, or auto: gpv for chat models, fewshot for base models."),
    ] = "auto",
    model: ModelOpt = "llamacpp:default",
    as_json: JsonOpt = False,
) -> None:
    """Split a text into atomic, value-laden perceptions (GPV's Perception Parser)."""
    import pandas as pd

    from gpla.agents import PerceptionParser

    if (text is None) == (file is None):
        raise DataError("gpla parse: give exactly one of --text or --file")
    doc_id = "text" if file is None else file.name
    body = text if file is None else _read_text(file)
    out = PerceptionParser(model, subject=subject, prompt_style=prompt_style).parse(  # type: ignore[arg-type]
        pd.DataFrame({"doc_id": [doc_id], "text": [body]})
    )
    _show(out, "Perceptions", as_json)


def generate_values_command(
    perception: Annotated[
        list[str] | None,
        typer.Option("--perception", help="A perception (repeat the option for several)."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A text file with one perception per line.")
    ] = None,
    style: Annotated[
        str, typer.Option(help="auto, fewshot or kaleido (Kaleido-style seq2seq via hf:).")
    ] = "auto",
    model: ModelOpt = "llamacpp:default",
    as_json: JsonOpt = False,
) -> None:
    """Name the values behind each perception (GPLA's Value Generator)."""
    import pandas as pd

    from gpla.agents import ValueGenerator

    texts = _perceptions(perception, file, "gpla generate-values")
    frame = pd.DataFrame({"perception_id": range(len(texts)), "text": texts})
    out = ValueGenerator(model, style=style).generate(frame)  # type: ignore[arg-type]
    out.insert(1, "perception", out["perception_id"].map(dict(enumerate(texts))))
    _show(out, "Values", as_json)


def evaluate_command(
    perception: Annotated[
        list[str] | None,
        typer.Option("--perception", help="A perception (repeat the option for several)."),
    ] = None,
    values: Annotated[
        str, typer.Option("--values", help="Comma-separated values to judge against.")
    ] = "",
    file: Annotated[
        Path | None, typer.Option("--file", help="A text file with one perception per line.")
    ] = None,
    model: ModelOpt = "llamacpp:default",
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="gpv: GPV's own label reading (one token per label, the model's generation-config "
            "processors, no BOS); raw: raw logits, case/space variants summed.",
        ),
    ] = "gpv",
    as_json: JsonOpt = False,
) -> None:
    """Judge how each perception bears on each value: relevance, support/oppose/either, score
    (GPV's ValueLlama protocol)."""
    import pandas as pd

    from gpla.agents import ValueEvaluator
    from gpla.models.labels import check_protocol

    texts = _perceptions(perception, file, "gpla evaluate")
    names = [v.strip() for v in values.split(",") if v.strip()]
    if not names:
        raise DataError(
            "gpla evaluate: give the values to judge with --values, e.g. --values 'Honesty,Care'"
        )
    frame = pd.DataFrame(
        [{"perception_id": i, "text": t, "value": v} for i, t in enumerate(texts) for v in names]
    )
    # Pairs whose labels the generation config cut are counted in a warning on stderr (logging):
    # stdout holds only the table or the JSON.
    out = ValueEvaluator(model, protocol=check_protocol(protocol)).evaluate(frame)
    out.insert(1, "perception", out["perception_id"].map(dict(enumerate(texts))))
    _show(out, "Judgments", as_json)


def design_questions_command(
    value: Annotated[
        list[str], typer.Option("--value", help="A value (repeat the option for several).")
    ],
    model: ModelOpt = "llamacpp:default",
    as_json: JsonOpt = False,
) -> None:
    """Write one value-eliciting dilemma question per value (GPLA's Prompt 1)."""
    from gpla.agents import QuestionDesigner

    _show(QuestionDesigner(model).design(value), "Questions", as_json)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None


def _perceptions(options: list[str] | None, file: Path | None, command: str) -> list[str]:
    texts = [t for t in (options or []) if t.strip()]
    if file is not None:
        texts += [line.strip() for line in _read_text(file).splitlines() if line.strip()]
    if not texts:
        raise DataError(f"{command}: give perceptions with --perception TEXT or --file PATH")
    return texts


def _show(frame: pd.DataFrame, title: str, as_json: bool) -> None:
    if "error" in frame.columns and frame["error"].isna().all():
        frame = frame.drop(columns="error")
    if as_json:
        records = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title} ({len(frame)} rows)")
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    Console().print(table)


def _plain(v: Any) -> Any:
    """JSON-safe scalar: numpy numbers to Python, NaN/None to null."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _cell(v: Any) -> str:
    from rich.markup import escape  # model text may contain "[...]", which rich reads as markup

    v = _plain(v)
    if v is None:
        return ""
    return f"{v:.3f}" if isinstance(v, float) else escape(str(v))
