"""`gpla evaluate-validate`: how well a value evaluator agrees with human judgments (issue 16).

Each Value Portrait item's response text is judged against the 10 Schwartz basic values as GPV
measurement judges a perception; the human verdict is the item's survey correlation with the value
(|ρ| > 0.3, p < 0.05; direction = sign of ρ). The packaged embedders are measured on the same pairs.
``--compare DIR1 DIR2 ...`` puts result directories side by side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gpla.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from gpla.models.base import EmbeddingModel

BASELINES = ("st:default", "st:all-mpnet-base-v2")


def register(app: typer.Typer) -> None:
    app.command("evaluate-validate")(evaluate_validate)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _embedders(specs: list[str], required: str | None) -> dict[str, EmbeddingModel]:
    """The baseline embedders that load here; an unloadable one is skipped with a note, unless it
    is the prefilter's own embedder."""
    from gpla.models import load_embedding_model

    out: dict[str, EmbeddingModel] = {}
    for spec in dict.fromkeys([*specs, *([required] if required else [])]):
        try:
            out[spec] = load_embedding_model(spec)
        except ModelError as exc:
            if spec == required:
                raise
            _say(f"baseline {spec} skipped: {exc}")
    return out


def evaluate_validate(
    dirs: Annotated[
        list[Path] | None, typer.Argument(help="With --compare: the result directories to compare.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Evaluator model spec (e.g. llamacpp:default); 'none' = baselines only."),
    ] = None,
    prefilter: Annotated[
        str, typer.Option("--prefilter", help="Prefilter in front of the evaluator: off, top:K or sim:T.")
    ] = "off",
    embedder: Annotated[
        str, typer.Option("--embedder", help="Embedding model of the prefilter.")
    ] = "st:default",
    baselines: Annotated[
        str, typer.Option("--baselines", help="Embedding baselines, comma-separated ('' = none).")
    ] = ",".join(BASELINES),
    sample: Annotated[
        int | None, typer.Option("--sample", help="Items drawn (× 10 values each); default all 520.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the item sample and the bootstrap.")] = 0,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples (0 = no intervals).")] = 1000,
    protocol: Annotated[
        str, typer.Option("--protocol", help="How the evaluator reads its labels: gpv or raw.")
    ] = "gpv",
    items: Annotated[
        Path | None, typer.Option("--items", help="Item bank JSON (default: the shared Value Portrait bank).")
    ] = None,
    correlations: Annotated[
        Path | None,
        typer.Option("--correlations", help="Human correlations with p-values (annotate CSV or authors' JSON)."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Result directory.")] = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="Compare the result directories given as arguments.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout (progress on stderr).")] = False,
) -> None:
    """Validate a value evaluator against the Value Portrait's human judgments (or compare results)."""
    if compare:
        _compare(dirs or [], out, as_json)
        return
    if dirs:
        raise ConfigError("result directories are arguments of --compare only")
    if model is None or out is None:
        raise ConfigError("evaluate-validate needs --model SPEC and --out DIR (or --compare DIR1 DIR2)")
    if n_boot < 0:
        raise ConfigError(f"--n-boot must be >= 0, got {n_boot}")

    from gpla.measure.prefilter import Prefilter
    from gpla.portrait.items import load_items
    from gpla.validation.human import human_pairs, sample_items
    from gpla.validation.report import write_result
    from gpla.validation.runner import validate

    pf = Prefilter.parse(prefilter)
    use_model = model.strip().lower() != "none"
    if pf.mode != "off" and not use_model:
        raise ConfigError("--prefilter needs an evaluator (--model)")
    pairs = sample_items(human_pairs(load_items(items, correlations=correlations)), sample, seed)
    specs = [s.strip() for s in baselines.split(",") if s.strip()]
    models = _embedders(specs, embedder if pf.mode != "off" else None)
    evaluator = None
    if use_model:
        from gpla.agents import ValueEvaluator
        from gpla.models.labels import check_protocol

        evaluator = ValueEvaluator(model, protocol=check_protocol(protocol))
    result = validate(
        pairs, evaluator=evaluator, evaluator_name=model if use_model else None,
        embedders=models, prefilter=pf, prefilter_embedder=embedder if pf.mode != "off" else None,
        n_boot=n_boot, seed=seed, progress=_say,
    )  # fmt: skip
    write_result(result, out)
    if as_json:
        typer.echo(out.joinpath("validation.json").read_text(encoding="utf-8"))
        return
    from gpla.report.tables import markdown_table
    from gpla.validation.report import headline_table

    for warning in result.summary["warnings"]:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    typer.echo(markdown_table(headline_table(result.summary)))
    typer.echo(f"report: {out / 'report.md'}")


def _compare(dirs: list[Path], out: Path | None, as_json: bool) -> None:
    from gpla.report.tables import markdown_table
    from gpla.validation.report import compare

    table = compare(dirs)
    text = markdown_table(table)
    records = table.to_dict(orient="records")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.md").write_text(text + "\n", encoding="utf-8")
        (out / "compare.json").write_text(json.dumps(records, indent=2), encoding="utf-8")
    typer.echo(json.dumps(records, indent=2) if as_json else text)
