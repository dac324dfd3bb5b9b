"""Value and trait scores from averaged answers (VP §3.4.1, Tables 5 and 6).

Per family and dimension: the mean of the model's answers to the items whose correlation with that
dimension is > 0.3 with p < 0.05 (§3.4.1, footnote 6), centred by the mean of its answers to every
item that counts for at least one dimension of the family (Schwartz's correction for how a respondent uses the scale). With
``reverse_negative=True`` items with r < −0.3 count too, reverse-scored as 7 − x; the centre is still
the mean of the raw answers to all counted items.

Table 6 (Big Five) prints the *uncentred* mean times 5/6 (the 1–6 answers shown on BFI-10's 5-point
range): ``PAPER_BFI_FACTOR``.

The p criterion is what the authors' three hard-coded exclusions in their ``score.py`` stand for
(holi-lab/ValuePortrait, lm_evaluation/score.py: 3902/4 Achievement, 1901/1 Universalism, 2901/4
Extraversion are the only pvq/bfi pairs with r > 0.3 and p ≥ 0.05); as a rule it also applies to
banks built with ``annotate``. It drops one higher-order pair the authors kept (1902/2
Openness_to_Change, r 0.301, p 0.056; no published table shows higher-order scores) and, with
``reverse_negative``, the four pvq/bfi pairs with r < −0.3 and p ≥ 0.05.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from gpla.errors import DataError
from gpla.portrait.annotate import ALPHA
from gpla.portrait.items import FAMILIES, ItemBank, check_family
from gpla.portrait.responses import response_matrix


class Exclusion(NamedTuple):
    portrait_id: int
    option_id: int
    dimension: str


PAPER_BFI_FACTOR = 5 / 6
THRESHOLD = 0.3
MAX_P = ALPHA  # an item counts only when its correlation's p-value is below this
SCORE_COLUMNS = ["model", "family", "dimension", "centered_mean", "mean", "std", "n"]


def keyed_items(
    bank: ItemBank,
    family: str,
    *,
    threshold: float = THRESHOLD,
    max_p: float | None = MAX_P,
    reverse_negative: bool = False,
    exclusions: Iterable[Exclusion] = (),
) -> pd.DataFrame:
    """The items that measure each dimension: ``[dimension, portrait_id, option_id, r, sign]``
    (sign −1 = reverse-scored). A pair counts when r > `threshold` (or r < −`threshold` with
    `reverse_negative`) and its p-value < `max_p` (None: p-values ignored); `exclusions` are left
    out on top."""
    dims = check_family(family)
    corr = bank.correlations[bank.correlations["family"] == family]
    keep = corr["r"] > threshold
    if reverse_negative:
        keep |= corr["r"] < -threshold
    if max_p is not None:
        p = corr["p_value"] if "p_value" in corr.columns else pd.Series(np.nan, index=corr.index)
        unknown = keep & p.isna()
        if unknown.any():
            raise DataError(
                f"the item bank has no p-value for {int(unknown.sum())} {family} item–dimension "
                f"pair(s) past the r threshold {threshold}; give correlations with p-values (`gpla portrait "
                "annotate`'s CSV, --correlations) or ignore p-values (--max-p none)"
            )
        keep &= p < max_p
    out = corr.loc[keep, ["dimension", "portrait_id", "option_id", "r"]].copy()
    dropped = {
        (int(e.portrait_id), int(e.option_id), e.dimension)
        for e in map(Exclusion._make, exclusions)
    }
    if dropped:
        pairs = zip(out["portrait_id"], out["option_id"], out["dimension"], strict=True)
        out = out[[p not in dropped for p in pairs]]
    out["sign"] = np.where(out["r"] > 0, 1, -1)
    out["dimension"] = pd.Categorical(out["dimension"], categories=dims, ordered=True)
    out = out.dropna(subset=["dimension"]).sort_values(["dimension", "portrait_id", "option_id"])
    out["dimension"] = out["dimension"].astype(str)
    return out.reset_index(drop=True)


def keyed_by_family(
    bank: ItemBank,
    families: Sequence[str],
    *,
    threshold: float = THRESHOLD,
    max_p: float | None = MAX_P,
    reverse_negative: bool = False,
    exclusions: Iterable[Exclusion] = (),
) -> Iterator[tuple[str, pd.DataFrame]]:
    """``(family, keyed_items(...))`` for each family, with the same selection options."""
    exclusions = tuple(exclusions)
    for family in families:
        yield (
            family,
            keyed_items(
                bank,
                family,
                threshold=threshold,
                max_p=max_p,
                reverse_negative=reverse_negative,
                exclusions=exclusions,
            ),
        )


def score(
    responses: pd.DataFrame,
    bank: ItemBank,
    *,
    families: Sequence[str] = tuple(FAMILIES),
    threshold: float = THRESHOLD,
    max_p: float | None = MAX_P,
    reverse_negative: bool = False,
    exclusions: Iterable[Exclusion] = (),
) -> pd.DataFrame:
    """Scores of every model in `responses` (``[model, portrait_id, option_id, numeric_response]``):
    ``[model, family, dimension, centered_mean, mean, std, n]`` (std: sample SD, n: answered items)."""
    X = response_matrix(responses)
    rows = []
    for family, keyed in keyed_by_family(
        bank, families, threshold=threshold, max_p=max_p, reverse_negative=reverse_negative,
        exclusions=exclusions,
    ):  # fmt: skip
        union = keyed[["portrait_id", "option_id"]].drop_duplicates()
        centre_cols = _columns(X, union["portrait_id"], union["option_id"])
        if not centre_cols:
            raise DataError(
                f"none of the {X.shape[1]} answered items counts for a {family} dimension "
                f"(r > {threshold}, p < {max_p}); administer more Value Portrait items (a larger --limit)"
            )
        with warnings.catch_warnings():
            # A model without one valid answer gets a NaN centre, not a warning.
            warnings.simplefilter("ignore", RuntimeWarning)
            centre = np.nanmean(X[centre_cols].to_numpy(dtype=float), axis=1)
        for dimension in FAMILIES[family]:
            sub = keyed[keyed["dimension"] == dimension]
            cols = _columns(X, sub["portrait_id"], sub["option_id"])
            signs = sub.set_index(["portrait_id", "option_id"])["sign"].reindex(cols).to_numpy()
            values = X[cols].to_numpy(dtype=float)
            values = np.where(signs < 0, 7 - values, values)  # reverse-scored items
            n = np.sum(~np.isnan(values), axis=1)
            mean = np.where(n > 0, np.nansum(values, axis=1) / np.maximum(n, 1), np.nan)
            std = _nanstd(values, n)
            for i, model in enumerate(X.index):
                rows.append(
                    (model, family, dimension, mean[i] - centre[i], mean[i], std[i], int(n[i]))
                )
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def _columns(X: pd.DataFrame, pids: Iterable[int], oids: Iterable[int]) -> list[tuple[int, int]]:
    """The keyed items that appear in the response matrix (a model may answer a subset, e.g. --limit)."""
    present = set(X.columns)
    return [key for key in zip(pids, oids, strict=True) if key in present]


def _nanstd(values: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = np.full(values.shape[0], np.nan)
    ok = n > 1
    if ok.any():
        out[ok] = np.nanstd(values[ok], axis=1, ddof=1)
    return out


def wide_scores(
    scores: pd.DataFrame, family: str = "pvq", column: str = "centered_mean"
) -> pd.DataFrame:
    """Models × dimensions of one family (the layout of Table 5), dimensions in the paper's order."""
    sub = scores[scores["family"] == family]
    table = sub.pivot(index="model", columns="dimension", values=column)
    return table[[d for d in FAMILIES[family] if d in table.columns]]
