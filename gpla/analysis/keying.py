"""Items that look reverse-keyed: psych::alpha's check (``check.keys = FALSE``) that warns "Some items
were negatively correlated with the first principal component and probably should be reversed".

psych takes the first component of ``principal(x)``, whose sign makes the loadings sum positive, and
names the items loading below zero. The statistic is one eigenvector, so we compute it here rather than
fit a whole PrincipalComponents (which would also rotate and pick a number of components)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def negatively_keyed(items: pd.DataFrame) -> list[str]:
    """Items loading negatively on the first principal component of their (pairwise) correlations,
    the component oriented so that its loadings sum to a positive number, as psych::principal does."""
    if items.shape[1] < 2:
        return []
    corr = items.corr().to_numpy()
    if not np.isfinite(corr).all():  # a constant item: no component to speak of (alpha says why)
        return []
    values, vectors = np.linalg.eigh(corr)
    first = vectors[:, np.argmax(values)]
    if first.sum() < 0:
        first = -first
    return [str(c) for c, v in zip(items.columns, first, strict=True) if v < 0]
