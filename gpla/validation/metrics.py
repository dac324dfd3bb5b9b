"""Agreement of a relevance/valence scorer with human annotations, with item-bootstrap CIs.

Pure statistics (numpy, scikit-learn, scipy): the inputs are arrays of scores and human labels per
(item, dimension) pair; nothing here knows where the scores came from.

Confidence intervals resample *items* (all pairs of a drawn item together, percentile method),
because the pairs of one item share a text and are not independent. ``scipy.stats.bootstrap`` resamples
observations, not clusters, and returns a NaN interval as soon as one resample leaves the statistic
undefined (e.g. an AUC on a resample with one class); here such resamples are skipped and counted.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

Statistic = Callable[[np.ndarray], float]
"""A statistic of the pairs whose row numbers it is given."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate on all pairs and its percentile bootstrap interval over items."""

    value: float
    low: float
    high: float
    n: int
    """Pairs the estimate is computed on."""

    def as_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in asdict(self).items()}

    def __str__(self) -> str:
        if np.isnan(self.value):
            return "n/a"
        if np.isnan(self.low):
            return f"{self.value:.3f}"
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def item_bootstrap(
    statistic: Statistic,
    items: np.ndarray,
    rows: np.ndarray | None = None,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    random_state: int = 0,
    n: int | None = None,
) -> Estimate:
    """``statistic`` on ``rows`` (default all) and its percentile CI from ``n_boot`` resamples of the
    items those rows belong to (``items[row]`` = the item of each pair). Seeded: the same inputs and
    ``random_state`` give the same interval. ``n`` overrides the reported pair count."""
    items = np.asarray(items)
    rows = np.arange(len(items)) if rows is None else np.asarray(rows, dtype=int)
    value = float(statistic(rows))
    count = len(rows) if n is None else n
    if n_boot < 1 or len(rows) == 0 or np.isnan(value):
        return Estimate(value, np.nan, np.nan, count)
    codes, labels = pd.factorize(items[rows])
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    groups = [rows[order[bounds[g] : bounds[g + 1]]] for g in range(len(labels))]
    rng = np.random.default_rng(random_state)
    draws = np.empty(n_boot)
    for b in range(n_boot):
        pick = rng.integers(0, len(groups), len(groups))
        draws[b] = statistic(np.concatenate([groups[g] for g in pick]))
    finite = draws[np.isfinite(draws)]
    if len(finite) < max(10, n_boot // 2):  # undefined on most resamples: no honest interval
        return Estimate(value, np.nan, np.nan, count)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Estimate(value, float(low), float(high), count)


def auc(relevant: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of ``score`` for the binary ``relevant``; NaN when only one class is present."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(relevant, dtype=bool)
    if y.all() or not y.any():
        return float("nan")
    return float(roc_auc_score(y, np.asarray(score, dtype=float)))


def precision_recall(relevant: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """Precision and recall of the binary prediction (NaN where undefined: nothing predicted/relevant)."""
    from sklearn.metrics import precision_recall_fscore_support

    y, p = np.asarray(relevant, dtype=bool), np.asarray(predicted, dtype=bool)
    if not len(y):
        return float("nan"), float("nan")
    precision, recall, _, _ = precision_recall_fscore_support(
        y, p, average="binary", zero_division=np.nan
    )
    return float(precision), float(recall)


def sign_agreement(human: np.ndarray, score: np.ndarray) -> float:
    """Share of pairs where the sign of ``score`` equals the human sign (±1); pairs with a zero or
    missing human sign or score are left out. NaN when none is left."""
    h, s = np.asarray(human, dtype=float), np.asarray(score, dtype=float)
    use = np.isfinite(h) & np.isfinite(s) & (h != 0) & (s != 0)
    if not use.any():
        return float("nan")
    return float(np.mean(np.sign(s[use]) == np.sign(h[use])))


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho over the pairs where both are finite; NaN with fewer than 3 or a constant side."""
    from scipy.stats import spearmanr

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    use = np.isfinite(x) & np.isfinite(y)
    if use.sum() < 3 or np.ptp(x[use]) == 0 or np.ptp(y[use]) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearmanr(x[use], y[use]).statistic)


def recall_and_share(kept: np.ndarray, relevant: np.ndarray) -> tuple[float, float]:
    """Of a prefilter's kept-pair mask: recall of the relevant pairs and the share of pairs kept."""
    k, r = np.asarray(kept, dtype=bool), np.asarray(relevant, dtype=bool)
    recall = float((k & r).sum() / r.sum()) if r.any() else float("nan")
    return recall, float(k.mean()) if len(k) else float("nan")


class HumanAgreement:
    """How one scorer's judgments of (item, dimension) pairs agree with human annotations.

    ``fit(items, dimensions, relevant, rho, relevance, signed=None)``: ``relevant`` is the human
    verdict, ``rho`` the human correlation (its sign = direction), ``relevance`` the scorer's
    relevance score (higher = more relevant; NaN counts as the lowest), ``signed`` its valence score
    (NaN where it gives none). Results, each an :class:`Estimate`:

    - ``auc_``: ROC AUC of ``relevance`` for the human verdict; ``relevance_spearman_``: Spearman of
      ``relevance`` with |rho|;
    - with ``threshold``: ``precision_``, ``recall_`` of ``relevance > threshold``;
    - with ``signed``: ``sign_agreement_`` on the human-relevant pairs the scorer signs,
      ``spearman_`` of ``signed`` with rho (pairs it scores);
    - ``per_dimension_``: a table of AUC and Spearman per dimension; ``base_rate_``: the share of
      human-relevant pairs (the precision of chance), ``positive_rate_``: the share of those with
      rho > 0 (the sign agreement of always answering "support").
    """

    def __init__(
        self,
        threshold: float | None = 0.5,
        n_boot: int = 1000,
        level: float = 0.95,
        random_state: int = 0,
    ) -> None:
        self.threshold = threshold
        self.n_boot = n_boot
        self.level = level
        self.random_state = random_state

    def _boot(self, stat: Statistic, items: np.ndarray, rows: np.ndarray | None = None,
              n: int | None = None) -> Estimate:
        return item_bootstrap(stat, items, rows, n_boot=self.n_boot, level=self.level,
                              random_state=self.random_state, n=n)

    def fit(
        self,
        items: Sequence[Any] | np.ndarray,
        dimensions: Sequence[Any] | np.ndarray,
        relevant: np.ndarray,
        rho: np.ndarray,
        relevance: np.ndarray,
        signed: np.ndarray | None = None,
    ) -> HumanAgreement:
        items_a, dims = np.asarray(items), np.asarray(dimensions)
        y = np.asarray(relevant, dtype=bool)
        r = np.asarray(rho, dtype=float)
        score = np.asarray(relevance, dtype=float)
        finite = score[np.isfinite(score)]
        floor = float(finite.min()) - 1.0 if finite.size else 0.0  # NaN ranks below every score
        score = np.where(np.isfinite(score), score, floor)
        if not len(y) == len(r) == len(score) == len(items_a) == len(dims):
            raise ValueError("HumanAgreement.fit: inputs differ in length")
        human_sign = np.where(y, np.sign(r), 0.0)
        self.n_pairs_ = len(y)
        self.n_items_ = int(pd.unique(items_a).size)
        self.base_rate_ = float(y.mean()) if len(y) else float("nan")
        self.positive_rate_ = float((r[y] > 0).mean()) if y.any() else float("nan")
        self.auc_ = self._boot(lambda i: auc(y[i], score[i]), items_a)
        self.relevance_spearman_ = self._boot(lambda i: spearman(score[i], np.abs(r[i])), items_a)
        if self.threshold is not None:
            with np.errstate(invalid="ignore"):
                flagged = np.asarray(relevance, dtype=float) > self.threshold  # NaN: not flagged
            self.precision_ = self._boot(lambda i: precision_recall(y[i], flagged[i])[0], items_a)
            self.recall_ = self._boot(lambda i: precision_recall(y[i], flagged[i])[1], items_a)
        s = None if signed is None else np.asarray(signed, dtype=float)
        if s is not None:
            signed_rel = np.flatnonzero(y & np.isfinite(s) & (s != 0))
            self.sign_agreement_ = self._boot(lambda i: sign_agreement(human_sign[i], s[i]), items_a,
                                              signed_rel)
            scored = np.flatnonzero(np.isfinite(s))
            self.spearman_ = self._boot(lambda i: spearman(s[i], r[i]), items_a, scored)
        rows = []
        for d in pd.unique(dims):
            at = np.flatnonzero(dims == d)
            row: dict[str, Any] = {
                "dimension": d, "pairs": len(at), "human_relevant": int(y[at].sum()),
                "auc": self._boot(lambda i: auc(y[i], score[i]), items_a, at),
            }  # fmt: skip
            if s is not None:
                scored_d = at[np.isfinite(s[at])]
                row["spearman"] = self._boot(lambda i: spearman(s[i], r[i]), items_a, scored_d)
            rows.append(row)
        self.per_dimension_ = pd.DataFrame(rows)
        return self

    def summary(self) -> dict[str, Any]:
        """The estimates as plain JSON-ready data."""
        out: dict[str, Any] = {"pairs": self.n_pairs_, "items": self.n_items_,
                               "base_rate": self.base_rate_, "positive_rate": self.positive_rate_}
        for name in ("auc", "relevance_spearman", "precision", "recall", "sign_agreement", "spearman"):
            est = getattr(self, f"{name}_", None)
            if est is not None:
                out[name] = est.as_dict()
        out["per_dimension"] = [
            {k: (v.as_dict() if isinstance(v, Estimate) else v) for k, v in row.items()}
            for row in self.per_dimension_.to_dict(orient="records")
        ]
        return out


def recall_curve(
    kept: Mapping[str, np.ndarray],
    relevant: np.ndarray,
    items: np.ndarray,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    random_state: int = 0,
) -> pd.DataFrame:
    """Per prefilter (name → kept-pair mask): recall of the human-relevant pairs with its item
    bootstrap CI, the share of pairs (evaluator calls) kept, and how many times fewer calls that is."""
    y = np.asarray(relevant, dtype=bool)
    rows = []
    for name, mask in kept.items():
        k = np.asarray(mask, dtype=bool)

        def recall(i: np.ndarray, k: np.ndarray = k) -> float:
            return recall_and_share(k[i], y[i])[0]

        est = item_bootstrap(recall, items, n_boot=n_boot, level=level, random_state=random_state)
        share = float(k.mean()) if len(k) else float("nan")
        rows.append({"prefilter": name, "recall": est.value, "recall_low": est.low,
                     "recall_high": est.high, "share_kept": share,
                     "fewer_calls": 1 / share if share > 0 else float("inf"),
                     "kept_pairs": int(k.sum()), "relevant_kept": int((k & y).sum()),
                     "relevant_pairs": int(y.sum())})  # fmt: skip
    return pd.DataFrame(rows)


def no_better(candidate: Estimate, baseline: Estimate) -> bool:
    """True when ``candidate`` is not clearly above ``baseline``: lower, their intervals overlap, or
    what would show it above (its estimate, either interval end) is undefined. A baseline without an
    estimate says nothing, so then False."""
    if np.isnan(baseline.value):
        return False
    if np.isnan(candidate.value) or candidate.value <= baseline.value:
        return True
    if np.isnan(candidate.low) or np.isnan(baseline.high):
        return True
    return bool(candidate.low <= baseline.high)
