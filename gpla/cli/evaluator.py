"""`gpla evaluate-calibrate`: choose the evaluator's embedding prefilter with evidence (issue 8).

A sample of perceptions is judged against every value (exact GPV), then each candidate prefilter
(``top:K``) is scored by the share of the evaluator's relevant pairs it would have kept (recall) and
the evaluator calls it would have saved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gpla.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd


def register(app: typer.Typer) -> None:
    app.command("evaluate-calibrate")(evaluate_calibrate)


def _read_table(path: Path, what: str) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{what} file {path} does not exist")
    try:
        if path.suffix.lower() in (".txt", ".lst"):
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
            return pd.DataFrame({"value": [ln for ln in lines if ln]})
        from gpla.tables import read_raw_table

        return read_raw_table(path, what=f"{what} file {path}")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {what} file {path}: {exc}") from exc


def _ks(spec: str) -> list[int]:
    try:
        ks = sorted({int(k) for k in spec.split(",") if k.strip()})
    except ValueError:
        raise ConfigError(
            f"--k {spec!r}: expected comma-separated integers, e.g. 5,10,20"
        ) from None
    if not ks or ks[0] < 1:
        raise ConfigError(f"--k {spec!r}: every k must be >= 1")
    return ks


def evaluate_calibrate(
    perceptions: Annotated[
        Path, typer.Option("--perceptions", help="CSV with columns perception_id,text.")
    ],
    values: Annotated[
        Path,
        typer.Option(
            "--values-file", "--values",
            help="CSV with column value (optional definition), or a .txt, one per line (--values: older name).",
        ),
    ],
    model: Annotated[
        str, typer.Option("--model", help="Evaluator model spec.")
    ] = "llamacpp:default",
    embedder: Annotated[
        str, typer.Option("--embedder", help="Embedding model spec.")
    ] = "st:default",
    k: Annotated[
        str, typer.Option("--k", help="Top-k values to try, comma-separated.")
    ] = "5,10,20",
    sample: Annotated[int, typer.Option("--sample", help="Perceptions judged in full.")] = 50,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Write the table as CSV.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON records.")] = False,
) -> None:
    """Recall of the evaluator's relevant pairs and call reduction of top-k prefilters, on a sample."""
    from gpla.agents import ValueEvaluator
    from gpla.measure.prefilter import Prefilter, calibrate, similarities
    from gpla.models import load_embedding_model

    ks = _ks(k)
    if sample < 1:
        raise ConfigError(f"--sample must be >= 1, got {sample}")
    percs = _read_table(perceptions, "perceptions")
    missing = {"perception_id", "text"} - set(percs.columns)
    if missing:
        raise DataError(f"{perceptions}: missing column(s) {sorted(missing)}")
    vals = _read_table(values, "values")
    if "value" not in vals.columns:
        raise DataError(f"{values}: missing column 'value'")
    names = vals["value"].dropna().astype(str).str.strip().tolist()
    if not names:
        raise DataError(f"{values}: no values")
    defs = (
        dict(zip(names, vals["definition"].fillna("").astype(str), strict=False))
        if "definition" in vals.columns
        else None
    )
    percs = percs.dropna(subset=["text"])
    percs = percs.sample(n=min(sample, len(percs)), random_state=seed).reset_index(drop=True)
    if percs.empty:
        raise DataError(f"{perceptions}: no perceptions with text")

    import pandas as pd

    pairs = percs[["perception_id", "text"]].merge(pd.DataFrame({"value": names}), how="cross")
    judged = ValueEvaluator(model).evaluate(pairs)
    relevant = (judged["p_relevant"].to_numpy() > 0.5).reshape(len(percs), len(names))
    sim = similarities(
        percs["text"].astype(str).tolist(), names, load_embedding_model(embedder), defs
    )
    table = calibrate(sim, relevant, [Prefilter("top", k=x) for x in ks])

    if out is not None:
        table.to_csv(out, index=False)
    if as_json:
        typer.echo(json.dumps(table.to_dict(orient="records"), indent=2))
        return
    typer.echo(
        f"{len(percs)} perceptions × {len(names)} values judged in full; "
        f"{int(relevant.sum())} relevant pairs ({relevant.mean():.1%})"
    )
    typer.echo(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
