"""Annotate items from a human survey (VP §3.2.3): Spearman's rho between each item's ratings and the
raters' PVQ-21 values, higher-order values and BFI-10 traits — the method that builds a Value
Portrait instrument, so users can validate their own items.

Survey files (the authors' layout): ratings = a list of survey batches ``{portrait_id: [{option_id,
data: [[rating, participant], …]}, …]}``; participants = ``{participant: {family: {dimension: score}}}``.
Only raters present in both files count.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gpla.errors import DataError
from gpla.portrait.items import FAMILIES
from gpla.portrait.jsonio import read_json

CORRELATION_COLUMNS = ["portrait_id", "option_id", "family", "dimension", "rho", "p_value", "n"]
MIN_ABS_RHO = 0.3
ALPHA = 0.05


def load_ratings(path: str | Path) -> pd.DataFrame:
    """``[batch, portrait_id, option_id, participant, rating]`` from a ratings file (a list of batches,
    or one batch)."""
    data = read_json(path)
    batches = data if isinstance(data, list) else [data]
    rows: list[tuple[int, int, int, str, float]] = []
    for b, batch in enumerate(batches):
        if not isinstance(batch, dict):
            raise DataError(f"{path}: batch #{b} is not an object of portrait_id → options")
        for pid, options in batch.items():
            for option in options:
                try:
                    oid = int(option["option_id"])
                    rows.extend((b, int(pid), oid, str(p), float(r)) for r, p in option["data"])
                except (KeyError, TypeError, ValueError):
                    raise DataError(
                        f"{path}: batch #{b}, portrait {pid}: expected option_id and data [[rating, participant], …]"
                    ) from None
    frame = pd.DataFrame(
        rows, columns=["batch", "portrait_id", "option_id", "participant", "rating"]
    )
    if frame.empty:
        raise DataError(f"{path}: no ratings")
    return frame


def load_participants(path: str | Path) -> pd.DataFrame:
    """Participants × (family, dimension) scores (columns a MultiIndex)."""
    data = read_json(path)
    if not isinstance(data, dict) or not data:
        raise DataError(
            f"{path}: expected an object participant → {{family: {{dimension: score}}}}"
        )
    try:
        records = {
            str(p): {
                (fam, dim): float(v) for fam, dims in scores.items() for dim, v in dims.items()
            }
            for p, scores in data.items()
        }
    except (AttributeError, TypeError, ValueError):
        raise DataError(f"{path}: participant scores must be numbers grouped by family") from None
    frame = pd.DataFrame.from_dict(records, orient="index")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["family", "dimension"])
    return frame


def annotate(
    ratings: pd.DataFrame,
    participants: pd.DataFrame,
    families: Sequence[str] = tuple(FAMILIES),
) -> pd.DataFrame:
    """Spearman's rho and two-sided p-value of every item with every dimension of `families`:
    ``[portrait_id, option_id, family, dimension, rho, p_value, n]`` (n = raters in both files)."""
    columns = [c for c in participants.columns if c[0] in families]
    if not columns:
        raise DataError(f"participant scores hold none of the families {', '.join(families)}")
    scores = participants[columns].to_numpy(float)
    row_of = {p: i for i, p in enumerate(participants.index)}
    out: list[tuple[Any, ...]] = []
    for (pid, oid), item in ratings.groupby(["portrait_id", "option_id"], sort=True):
        rows = [row_of.get(p, -1) for p in item["participant"]]
        keep = np.array(rows) >= 0
        # One call per item: spearmanr of [ratings | all dimensions] gives every rho and p at once.
        table = np.column_stack(
            [item["rating"].to_numpy(float)[keep], scores[np.array(rows)[keep]]]
        )
        rho, p = _spearman_first_row(table)
        n = int(keep.sum())
        out.extend(
            (pid, oid, fam, dim, r, pv, n)
            for (fam, dim), r, pv in zip(columns, rho, p, strict=True)
        )
    return pd.DataFrame(out, columns=CORRELATION_COLUMNS)


def _spearman_first_row(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = table.shape[1] - 1
    nan = np.full(k, np.nan)
    # Under 3 raters, or all raters giving one rating, the item has no rank correlation: NaN, kept.
    if table.shape[0] < 3 or np.all(table[:, 0] == table[0, 0]):
        return nan, nan.copy()
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", stats.ConstantInputWarning
        )  # a dimension constant among raters
        result = stats.spearmanr(table)
    if k == 1:  # two columns: scipy returns scalars
        return np.array([result.statistic]), np.array([result.pvalue])
    return np.asarray(result.statistic)[0, 1:], np.asarray(result.pvalue)[0, 1:]


def significant(
    correlations: pd.DataFrame, min_abs: float = MIN_ABS_RHO, alpha: float = ALPHA
) -> pd.Series:
    """The paper's criterion (§3.2.3, footnote 6): |rho| > 0.3 and p < 0.05."""
    return (correlations["rho"].abs() > min_abs) & (correlations["p_value"] < alpha)


def significant_counts(
    correlations: pd.DataFrame, min_abs: float = MIN_ABS_RHO, alpha: float = ALPHA
) -> pd.DataFrame:
    """Per family: item–dimension pairs, significant pairs, and items with at least one."""
    flag = correlations.assign(significant=significant(correlations, min_abs, alpha))
    items_with = (
        flag[flag["significant"]]
        .groupby("family")[["portrait_id", "option_id"]]
        .apply(lambda g: len(g.drop_duplicates()))
    )
    counts = flag.groupby("family").agg(
        pairs=("significant", "size"), significant=("significant", "sum")
    )
    counts["items_with_significant"] = items_with.reindex(counts.index).fillna(0).astype(int)
    return counts.reset_index()


def shared_raters(ratings: pd.DataFrame) -> pd.DataFrame:
    """Participant ids that rate in more than one survey batch: ``[participant, batches]``.

    Batches are separate surveys, so an id in two of them may be two people whose scores were merged
    under one key — the cause of the one batch of 40 items whose published correlations differ.
    """
    per = ratings.groupby("participant")["batch"].unique()
    shared = per[per.map(len) > 1]
    return pd.DataFrame(
        {"participant": shared.index, "batches": [sorted(map(int, b)) for b in shared]}
    )


def load_correlation_results(path: str | Path) -> pd.DataFrame:
    """The authors' ``<family>_correlation_results.json`` in this module's columns (n unknown: NaN)."""
    data: Any = read_json(path)
    if not isinstance(data, list) or not data:
        raise DataError(f"{path}: expected a JSON list of correlation records")
    dim_key = next((k for k in data[0] if k.endswith("_dimension")), None)
    if dim_key is None:
        raise DataError(f"{path}: records need a <family>_dimension field")
    family = dim_key[: -len("_dimension")]
    frame = pd.DataFrame.from_records(data)
    return pd.DataFrame({
        "portrait_id": frame["portrait_id"].astype(int), "option_id": frame["option_id"].astype(int),
        "family": family, "dimension": frame[dim_key], "rho": frame["spearman_corr"].astype(float),
        "p_value": frame["spearman_p_value"].astype(float), "n": np.nan,
    })  # fmt: skip


def read_correlations(source: str | Path) -> pd.DataFrame:
    """Correlations with p-values in this module's columns, from a CSV written by ``annotate``, one of
    the authors' ``<family>_correlation_results.json`` files, or a directory of those."""
    source = Path(source)
    if source.is_dir():
        files = sorted(source.glob("*_correlation_results.json"))
        if not files:
            raise DataError(f"{source}: no <family>_correlation_results.json files")
        return pd.concat([load_correlation_results(f) for f in files], ignore_index=True)
    if source.suffix.lower() == ".json":
        return load_correlation_results(source)
    from gpla.tables import read_table

    table = read_table(source)
    missing = set(CORRELATION_COLUMNS[:-1]) - set(table.columns)
    if missing:
        raise DataError(
            f"{source}: not a correlations CSV from `gpla portrait annotate` "
            f"(missing {', '.join(sorted(missing))})"
        )
    try:
        return table.astype({"portrait_id": int, "option_id": int, "rho": float, "p_value": float})
    except (TypeError, ValueError):
        raise DataError(f"{source}: ids, rho and p_value must be numbers") from None
