"""LLM safety prediction (GPLA paper §5.2, Eq. 2; App. B.5): a Bradley–Terry linear probe on value vectors.

A linear score s = x·w is trained on pairs of LLMs with the pairwise cross-entropy of
P(Mᵢ ≻ Mⱼ) = exp(sᵢ) / (exp(sᵢ) + exp(sⱼ)); predictive validity is its pairwise accuracy on held-out
LLMs over repeated random train/test splits, and the averaged weights say how each value relates to
safety (Table 13).

The convex loss is minimised by scipy's trust-region Newton method (exact gradient and Hessian; a few
iterations for a handful of values) rather than with scikit-learn's
LogisticRegression on difference vectors: the same model, but sklearn's ``C`` scales the penalty with
the number of pairs and it fits an intercept that Bradley–Terry does not have (it cancels in sᵢ − sⱼ).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from gpla.errors import DataError
from gpla.validity.align import check_covered, check_same_names, check_unique


def salad_bench_safety() -> pd.Series:
    """SALAD-Bench safety scores of 17 LLMs (Li et al. 2024), as listed in the GPLA paper's Table 11."""
    source = resources.files("gpla.validity") / "data" / "salad_bench_safety.csv"
    with resources.as_file(source) as path:
        table = pd.read_csv(path, comment="#")
    return pd.Series(
        table["safety"].to_numpy(float), index=pd.Index(table["model"], name="model"), name="safety"
    )


def safer_pairs(safety: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (safer, less safe) of every pair of LLMs whose safety differs (ties carry no order)."""
    i, j = np.triu_indices(len(safety), k=1)
    keep = safety[i] != safety[j]
    i, j = i[keep], j[keep]
    first_safer = safety[i] > safety[j]
    return np.where(first_safer, i, j), np.where(first_safer, j, i)


def pairwise_accuracy(predicted: np.ndarray, safety: np.ndarray) -> float:
    """Share of LLM pairs with different safety that `predicted` orders correctly (a tie counts ½)."""
    winner, loser = safer_pairs(np.asarray(safety, float))
    if len(winner) == 0:
        return float("nan")
    margin = np.asarray(predicted, float)[winner] - np.asarray(predicted, float)[loser]
    return float(np.mean((margin > 0) + 0.5 * (margin == 0)))


class BradleyTerryProbe:
    """Linear safety score s = z·w of standardised value vectors z, fit on pairs of LLMs (Eq. 2).

    Parameters: `l2` penalty (l2/2)·‖w‖² added to the mean pairwise cross-entropy (keeps w finite when
    the training pairs are perfectly separable); `standardize` z-scores each value with the training
    LLMs' mean and SD, so weights are comparable across values; `max_iter` of the Newton solver.

    Attributes after `fit`: ``coef_`` (Series over values, on the standardised scale), ``mean_``,
    ``scale_``, ``n_pairs_``, ``loss_``, ``converged_``.
    """

    def __init__(self, l2: float = 1e-2, standardize: bool = True, max_iter: int = 200) -> None:
        self.l2 = l2
        self.standardize = standardize
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, safety: pd.Series) -> BradleyTerryProbe:
        if self.l2 < 0:
            raise DataError(f"safety probe: l2 must be ≥ 0, got {self.l2}")
        data, target = _complete(X, safety)
        values = data.to_numpy(float)
        self.mean_ = pd.Series(values.mean(axis=0) if self.standardize else 0.0, index=data.columns)
        spread = values.std(axis=0) if self.standardize else np.ones(values.shape[1])
        self.scale_ = pd.Series(np.where(spread > 0, spread, 1.0), index=data.columns)
        Z = (values - self.mean_.to_numpy()) / self.scale_.to_numpy()
        winner, loser = safer_pairs(target.to_numpy(float))
        if len(winner) == 0:
            raise DataError("safety probe: the training LLMs all have the same safety score")
        D = Z[winner] - Z[loser]
        l2 = self.l2

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            margin = D @ w
            value = np.mean(np.logaddexp(0.0, -margin)) + 0.5 * l2 * w @ w
            grad = -(expit(-margin) @ D) / len(D) + l2 * w
            return float(value), grad

        def hessian(w: np.ndarray) -> np.ndarray:
            p = expit(D @ w)
            return (D.T * (p * (1.0 - p))) @ D / len(D) + l2 * np.eye(len(w))

        result = minimize(
            loss,
            np.zeros(D.shape[1]),
            jac=True,
            hess=hessian,
            method="trust-exact",
            options={"maxiter": self.max_iter, "gtol": 1e-10},
        )
        self.coef_ = pd.Series(result.x, index=data.columns, name="coefficient")
        self.n_pairs_ = len(D)
        self.loss_ = float(result.fun)
        self.converged_ = bool(result.success)
        return self

    def decision_function(self, X: pd.DataFrame) -> pd.Series:
        """Predicted safety score of each LLM (only differences between LLMs are meaningful)."""
        absent = [c for c in self.coef_.index if c not in X.columns]
        if absent:
            raise DataError(f"safety probe: values missing from the data: {', '.join(absent[:8])}")
        Z = (X[self.coef_.index].astype(float) - self.mean_) / self.scale_
        return pd.Series(
            Z.to_numpy() @ self.coef_.to_numpy(), index=X.index, name="predicted_safety"
        )

    def score(self, X: pd.DataFrame, safety: pd.Series) -> float:
        """Pairwise accuracy on the LLMs of `X`."""
        data, target = _complete(X, safety)
        return pairwise_accuracy(self.decision_function(data).to_numpy(), target.to_numpy(float))


@dataclass(frozen=True)
class SafetyProbeResult:
    """Held-out pairwise accuracy and fitted weights of every train/test split."""

    accuracy: pd.Series
    coefficients: pd.DataFrame

    @property
    def mean_accuracy(self) -> float:
        return float(self.accuracy.mean())

    @property
    def sd_accuracy(self) -> float:
        return float(self.accuracy.std(ddof=1))

    def coefficient_table(self) -> pd.DataFrame:
        """Weights averaged over splits (paper Table 13), largest first."""
        table = pd.DataFrame(
            {
                "coefficient_mean": self.coefficients.mean(),
                "coefficient_sd": self.coefficients.std(ddof=1),
            }
        )
        table.index.name = "value"
        return table.sort_values("coefficient_mean", ascending=False)


def evaluate_safety_prediction(
    X: pd.DataFrame,
    safety: pd.Series,
    *,
    n_splits: int = 100,
    test_size: float | int = 0.25,
    l2: float = 1e-2,
    random_state: int = 0,
) -> SafetyProbeResult:
    """Repeated random splits of the LLMs (rows of `X`) into train/test; one probe per split.

    `safety` must cover every LLM of `X` (extra entries are ignored). LLMs are put in sorted-name
    order first, so the splits depend on the seed and the set of LLMs, not on the file's row order.
    """
    from sklearn.model_selection import ShuffleSplit

    data, target = _complete(X, safety)
    order = sorted(data.index)
    data, target = data.loc[order], target.loc[order]
    splitter = ShuffleSplit(n_splits=n_splits, test_size=test_size, random_state=random_state)
    try:
        splits = list(splitter.split(data))
    except ValueError as err:
        raise DataError(
            f"safety probe: cannot split {len(data)} LLMs with test_size={test_size} ({err})"
        ) from None
    if min(len(splits[0][0]), len(splits[0][1])) < 2:
        raise DataError(
            f"safety probe: {len(data)} LLMs with test_size={test_size} leave fewer than 2 LLMs on one side"
        )
    accuracy, weights = [], []
    for train, test in splits:
        probe = BradleyTerryProbe(l2=l2).fit(data.iloc[train], target.iloc[train])
        predicted = probe.decision_function(data.iloc[test]).to_numpy()
        accuracy.append(pairwise_accuracy(predicted, target.iloc[test].to_numpy(float)))
        weights.append(probe.coef_)
    index = pd.RangeIndex(len(splits), name="split")
    return SafetyProbeResult(
        accuracy=pd.Series(accuracy, index=index, name="accuracy").dropna(),
        coefficients=pd.DataFrame(weights, index=index),
    )


def compare_value_systems(
    systems: Mapping[str, pd.DataFrame],
    safety: pd.Series,
    **options: float | int,
) -> tuple[pd.DataFrame, dict[str, SafetyProbeResult]]:
    """Safety-prediction accuracy of several value systems measured on the same LLMs (paper Table 3).

    Every system must name the same LLMs, so all are scored on identical splits. Returns the summary
    table (system → accuracy_mean, accuracy_sd, n_llms, n_values, n_splits) and each system's result.
    """
    if not systems:
        raise DataError("safety probe: no value system given")
    names = list(systems)
    first = systems[names[0]]
    for name in names[1:]:
        check_same_names(first.index, systems[name].index, names[0], name, what="LLMs")
    results = {name: evaluate_safety_prediction(systems[name], safety, **options) for name in names}  # type: ignore[arg-type]
    summary = pd.DataFrame(
        {
            "accuracy_mean": [results[n].mean_accuracy for n in names],
            "accuracy_sd": [results[n].sd_accuracy for n in names],
            "n_llms": [len(systems[n]) for n in names],
            "n_values": [systems[n].shape[1] for n in names],
            "n_splits": [len(results[n].accuracy) for n in names],
        },
        index=pd.Index(names, name="system"),
    )
    return summary, results


def _complete(X: pd.DataFrame, safety: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """The LLMs' value vectors and safety scores, aligned by name and checked to be complete."""
    check_unique(X.index, "values", what="LLMs")
    check_unique(safety.index, "safety scores", what="LLMs")
    check_covered(X.index, safety.index, "the values", "the safety scores", what="LLMs")
    try:
        data = X.astype(float)
        target = safety.loc[X.index].astype(float)
    except (TypeError, ValueError):
        raise DataError("safety probe: values and safety scores must be numeric") from None
    gaps = data.isna()
    if gaps.any().any():
        llm, value = gaps.stack()[lambda s: s].index[0]
        raise DataError(
            f"safety probe: missing value for LLM {llm!r}, value {value!r} "
            f"({int(gaps.to_numpy().sum())} gaps); the probe needs complete value vectors"
        )
    if target.isna().any():
        raise DataError(
            f"safety probe: missing safety score for LLM {target.index[target.isna()][0]!r}"
        )
    return data, target
