"""`gpla portrait …`: the Value Portrait instrument — administer, average, score, reliability,
annotate, coverage and radar plots. Libraries are imported inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gpla.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from gpla.portrait.scoring import Exclusion

portrait_app = typer.Typer(
    help="Value Portrait: measure an LLM's Schwartz values and Big Five traits with 520 human-validated items.",
    no_args_is_help=True,
)

_ITEMS_HELP = "Item bank JSON (default: the shared Value Portrait bank)."
_FAMILIES_HELP = "Comma-separated families: pvq, higher_pvq, bfi."
_PARSING_HELP = (
    "authors: a phrase anywhere in the answer counts, the longest wins (as the Value Portrait "
    "authors parsed); strict: the answer must be exactly one phrase."
)
_EXCLUSIONS_HELP = (
    "Item–dimension pairs to leave out on top of the r/p rule, as PORTRAIT:OPTION:DIMENSION[,…]."
)
_CORRELATIONS_HELP = (
    "Item correlations with p-values to use instead of the bank's: a CSV from `annotate` or the "
    "authors' <family>_correlation_results.json (file or directory). Default for the shared bank: "
    "the authors' files."
)
_MAX_P_HELP = "An item counts only when its correlation's p-value is below this; 'none' ignores p."


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.add_typer(portrait_app, name="portrait")


def _families(value: str) -> list[str]:
    from gpla.portrait.items import FAMILIES

    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in FAMILIES]
    if unknown or not names:
        raise ConfigError(f"--families: expected some of {', '.join(FAMILIES)}; got {value!r}")
    return names


def _family(value: str) -> str:
    names = _families(value)
    if len(names) != 1:
        raise ConfigError(f"--family: expected one family, got {value!r}")
    return names[0]


def _exclusions(value: str | None) -> tuple[Exclusion, ...]:
    from gpla.portrait.scoring import Exclusion

    if value is None or value.strip().lower() == "none":
        return ()
    out = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        pieces = part.split(":")
        if len(pieces) != 3 or not pieces[0].isdigit() or not pieces[1].isdigit():
            raise ConfigError(
                f"--exclusions: {part!r} is not PORTRAIT:OPTION:DIMENSION (e.g. 3902:4:Achievement)"
            )
        out.append(Exclusion(int(pieces[0]), int(pieces[1]), pieces[2]))
    return tuple(out)


def _max_p(value: str) -> float | None:
    if value.strip().lower() == "none":
        return None
    try:
        max_p = float(value)
    except ValueError:
        raise ConfigError(
            f"--max-p: expected a number in (0, 1] or 'none', got {value!r}"
        ) from None
    if not 0 < max_p <= 1:
        raise ConfigError(f"--max-p: expected a number in (0, 1] or 'none', got {value!r}")
    return max_p


def _write_csv(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    typer.echo(f"wrote {out} ({len(frame)} rows)")


@portrait_app.command("score")
def score_command(
    responses: Annotated[
        Path,
        typer.Option(
            help="Averaged answers: a directory of *_averaged_results.json, one file, or a CSV."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(help="Scores CSV: model, family, dimension, centered_mean, mean, std, n."),
    ],
    items: Annotated[Path | None, typer.Option(help=_ITEMS_HELP)] = None,
    families: Annotated[str, typer.Option(help=_FAMILIES_HELP)] = "pvq,higher_pvq,bfi",
    threshold: Annotated[
        float, typer.Option(help="An item counts for a dimension when r > this.")
    ] = 0.3,
    max_p: Annotated[str, typer.Option(help=_MAX_P_HELP)] = "0.05",
    correlations: Annotated[Path | None, typer.Option(help=_CORRELATIONS_HELP)] = None,
    reverse_negative: Annotated[
        bool, typer.Option(help="Also count items with r < −threshold, scored 7 − x.")
    ] = False,
    exclusions: Annotated[str | None, typer.Option(help=_EXCLUSIONS_HELP)] = None,
) -> None:
    """Value and trait scores per model (paper §3.4.1, Table 5): items with r > 0.3 and p < 0.05."""
    from gpla.portrait.items import load_items
    from gpla.portrait.responses import load_responses
    from gpla.portrait.scoring import score

    chosen, excluded = _families(families), _exclusions(exclusions)  # options first: fail fast
    p_limit = _max_p(max_p)
    table = score(
        load_responses(responses), load_items(items, correlations=correlations), families=chosen,
        threshold=threshold, max_p=p_limit, reverse_negative=reverse_negative, exclusions=excluded,
    )  # fmt: skip
    _write_csv(table, out)


@portrait_app.command("average")
def average_command(
    raw: Annotated[
        Path, typer.Option(help="Directory of <model>_<variant>_results.json (v1 … v3_reversed).")
    ],
    out: Annotated[
        Path, typer.Option(help="Directory for <model>_averaged_results.json (created).")
    ],
    reparse: Annotated[
        bool,
        typer.Option(
            help="Read every raw_response again with --parsing instead of trusting numeric_response."
        ),
    ] = False,
    parsing: Annotated[str, typer.Option(help=_PARSING_HELP)] = "authors",
) -> None:
    """Mean numeric answer per item over each model's valid prompt variants."""
    from gpla.portrait.averaging import average_raw_dir
    from gpla.portrait.parsing import check_parsing

    chosen = check_parsing(parsing)
    for model, path in average_raw_dir(raw, out, reparse=chosen if reparse else None).items():
        typer.echo(f"{model}: {path}")


@portrait_app.command("reliability")
def reliability_command(
    responses: Annotated[
        Path, typer.Option(help="Averaged answers of several models (directory, file or CSV).")
    ],
    out: Annotated[Path, typer.Option(help="Alphas CSV.")],
    items: Annotated[Path | None, typer.Option(help=_ITEMS_HELP)] = None,
    families: Annotated[str, typer.Option(help=_FAMILIES_HELP)] = "pvq",
    reverse_negative: Annotated[
        bool, typer.Option(help="Also use items with r < −0.3, reversed.")
    ] = False,
    max_p: Annotated[str, typer.Option(help=_MAX_P_HELP)] = "0.05",
    correlations: Annotated[Path | None, typer.Option(help=_CORRELATIONS_HELP)] = None,
    exclusions: Annotated[str | None, typer.Option(help=_EXCLUSIONS_HELP)] = None,
) -> None:
    """Cronbach's alpha per dimension, models as rows and the dimension's items as columns (Table 4)."""
    from gpla.portrait.items import load_items
    from gpla.portrait.reliability import dimension_reliability
    from gpla.portrait.responses import load_responses

    chosen, excluded, p_limit = _families(families), _exclusions(exclusions), _max_p(max_p)
    table = dimension_reliability(
        load_responses(responses), load_items(items, correlations=correlations), families=chosen,
        max_p=p_limit, reverse_negative=reverse_negative, exclusions=excluded,
    )  # fmt: skip
    _write_csv(table, out)


@portrait_app.command("annotate")
def annotate_command(
    ratings: Annotated[
        Path,
        typer.Option(help="item_ratings.json: survey batches of [rating, participant] per item."),
    ],
    participants: Annotated[
        Path,
        typer.Option(
            help="participant_scores.json: PVQ / higher-order / BFI scores per participant."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Correlations CSV: portrait_id, option_id, family, dimension, rho, p_value, n."
        ),
    ],
    families: Annotated[str, typer.Option(help=_FAMILIES_HELP)] = "pvq,higher_pvq,bfi",
) -> None:
    """Spearman correlations of each item's ratings with the raters' values and traits (§3.2.3)."""
    from gpla.portrait.annotate import (
        annotate,
        load_participants,
        load_ratings,
        shared_raters,
        significant_counts,
    )

    chosen = _families(families)
    rated = load_ratings(ratings)
    table = annotate(rated, load_participants(participants), families=chosen)
    _write_csv(table, out)
    for row in significant_counts(table).itertuples(index=False):
        typer.echo(
            f"{row.family}: {row.significant} of {row.pairs} item–dimension pairs significant (|rho| > 0.3, p < 0.05)"
        )
    for row in shared_raters(rated).itertuples(index=False):
        typer.echo(
            f"warning: participant {row.participant} rates in survey batches {row.batches}; one id may be two people"
        )


@portrait_app.command("administer")
def administer_command(
    model: Annotated[
        str,
        typer.Option(
            help="Model spec, e.g. llamacpp:default or openai:gpt-4o@http://127.0.0.1:8000/v1."
        ),
    ],
    out: Annotated[
        Path, typer.Option(help="Output directory; a re-run resumes where the last one stopped.")
    ],
    persona: Annotated[
        str | None,
        typer.Option(
            help="Persona system prompt: gender=…, age=…, politics=…, education=…, or a sentence."
        ),
    ] = None,
    steer: Annotated[
        str | None, typer.Option(help="Steer toward a Schwartz value (e.g. Power, Self-Direction).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="Only the first N items (× 6 prompt variants).")
    ] = None,
    label: Annotated[
        str | None, typer.Option(help="Name of the output files (default: from the model spec).")
    ] = None,
    max_tokens: Annotated[int, typer.Option(help="Answer length limit in tokens.")] = 16,
    batch_size: Annotated[
        int, typer.Option(help="Requests per model call batch (answers are saved after each).")
    ] = 32,
    parsing: Annotated[str, typer.Option(help=_PARSING_HELP)] = "authors",
) -> None:
    """Ask a model all items under the six prompts at temperature 0; count refusals and invalid answers."""
    from gpla.portrait.administer import administer
    from gpla.portrait.parsing import check_parsing

    summary = administer(
        model, out, persona=persona, steer=steer, limit=limit, label=label,
        max_tokens=max_tokens, batch_size=batch_size, parsing=check_parsing(parsing),
    )  # fmt: skip
    total = summary.total
    typer.echo(
        f"{summary.label}: asked {summary.asked}, {summary.already_done} already answered; "
        f"valid {total.get('valid', 0)}, refusals {total.get('refusal', 0)}, invalid {total.get('invalid', 0)} "
        f"({summary.parsing} parsing; results in {out})"
    )


@portrait_app.command("coverage")
def coverage_command(
    correlations: Annotated[
        Path | None,
        typer.Option(
            help="Correlations CSV from `annotate` (default: the item bank's correlations, |r| only, as Table 2)."
        ),
    ] = None,
    family: Annotated[str, typer.Option(help="pvq, higher_pvq or bfi.")] = "pvq",
    items: Annotated[Path | None, typer.Option(help=_ITEMS_HELP)] = None,
) -> None:
    """Share of significant correlations per dimension, their SD and imbalance ratio (Table 2)."""
    import pandas as pd

    from gpla.portrait.coverage import coverage
    from gpla.portrait.items import load_items
    from gpla.tables import read_table

    if correlations:
        result = coverage(read_table(correlations), family=_family(family))
    else:  # Table 2 counts the bank's pairs with |r| > 0.3 without the p criterion (553, not 549)
        result = coverage(load_items(items).correlations, family=_family(family), alpha=None)
    typer.echo(pd.DataFrame({"items": result.counts, "share": result.shares.round(3)}).to_string())
    typer.echo(f"std {result.std:.3f}  imbalance ratio {result.imbalance_ratio:.2f}")


@portrait_app.command("radar")
def radar_command(
    scores: Annotated[Path, typer.Option(help="Scores CSV from `gpla portrait score`.")],
    out: Annotated[Path, typer.Option(help="Image file (PNG, SVG or PDF).")],
    model: Annotated[
        list[str] | None, typer.Option(help="Model(s) to draw; repeat to overlay (default: all).")
    ] = None,
    family: Annotated[str, typer.Option(help="pvq, higher_pvq or bfi.")] = "pvq",
    column: Annotated[str, typer.Option(help="centered_mean or mean.")] = "centered_mean",
) -> None:
    """Radar plot of value scores, one model or several overlaid (paper Figure 4 style)."""
    from gpla.errors import DataError
    from gpla.portrait.plots import radar_plot
    from gpla.portrait.scoring import SCORE_COLUMNS
    from gpla.tables import read_table

    table = read_table(scores)
    missing = set(SCORE_COLUMNS) - set(table.columns)
    if missing:
        raise DataError(f"{scores}: not a scores CSV (missing {', '.join(sorted(missing))})")
    if column not in ("centered_mean", "mean"):
        raise ConfigError(f"--column must be centered_mean or mean, got {column!r}")
    typer.echo(
        f"wrote {radar_plot(table, out, models=model or None, family=_family(family), column=column)}"
    )
