"""Internal consistency of each dimension's items across models (VP Table 4, App. F): Cronbach's alpha
with models as rows and the dimension's keyed items as columns, computed by the analysis layer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from gpla.analysis.data import MissingPolicy
from gpla.analysis.reliability import cronbach_alpha
from gpla.errors import DataError
from gpla.portrait.items import FAMILIES, ItemBank
from gpla.portrait.responses import response_matrix
from gpla.portrait.scoring import MAX_P, THRESHOLD, Exclusion, keyed_by_family

ALPHA_COLUMNS = [
    "family", "dimension", "alpha", "std_alpha", "ci_low", "ci_high",
    "n_items", "n_models", "constant_items",
]  # fmt: skip


def dimension_reliability(
    responses: pd.DataFrame,
    bank: ItemBank,
    *,
    families: Sequence[str] = ("pvq",),
    threshold: float = THRESHOLD,
    max_p: float | None = MAX_P,
    reverse_negative: bool = False,
    exclusions: Iterable[Exclusion] = (),
    missing: MissingPolicy = "listwise",
) -> pd.DataFrame:
    """One row per dimension: alpha (raw and standardised, Feldt 95% CI), items, models.

    Items every model answered identically carry no information about consistency and make the item
    correlation undefined, so they are left out and counted in ``constant_items``. Reverse-scored
    items (``reverse_negative``) are reversed before alpha, as in scoring.
    """
    X = response_matrix(responses)
    rows = []
    for family, keyed in keyed_by_family(
        bank, families, threshold=threshold, max_p=max_p, reverse_negative=reverse_negative,
        exclusions=exclusions,
    ):  # fmt: skip
        for dimension in FAMILIES[family]:
            what = f"{family} {dimension} (models × items)"
            data, reverse, constant = _items_table(X, keyed[keyed["dimension"] == dimension])
            if data.shape[1] < 2:
                raise DataError(f"{what}: fewer than 2 varying items; alpha needs at least 2")
            result = cronbach_alpha(data, reverse=reverse, missing=missing, what=what)
            rows.append((
                family, dimension, result.alpha, result.std_alpha, result.ci_low, result.ci_high,
                result.n_items, result.n_obs, len(constant),
            ))  # fmt: skip
    return pd.DataFrame(rows, columns=ALPHA_COLUMNS)


def _items_table(X: pd.DataFrame, keyed: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Models × the answered keyed items (columns "portrait_option"), the reverse-scored ones among
    them, and the constant ones that were dropped."""
    keys = [k for k in zip(keyed["portrait_id"], keyed["option_id"], strict=True) if k in X.columns]
    sign = dict(
        zip(zip(keyed["portrait_id"], keyed["option_id"], strict=True), keyed["sign"], strict=True)
    )
    data = X[keys].set_axis([f"{p}_{o}" for p, o in keys], axis=1)
    constant = [c for c in data.columns if data[c].nunique(dropna=True) <= 1]
    reverse = [f"{p}_{o}" for p, o in keys if sign[(p, o)] < 0 and f"{p}_{o}" not in constant]
    return data.drop(columns=constant), reverse, constant
