"""The validation statistics on hand-made cases whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from gpla.validation.metrics import (
    Estimate,
    HumanAgreement,
    auc,
    item_bootstrap,
    no_better,
    precision_recall,
    recall_curve,
    sign_agreement,
    spearman,
)


def test_auc_of_perfectly_separated_scores_is_one_and_reversed_zero() -> None:
    y = np.array([0, 0, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    assert auc(y, s) == 1.0
    assert auc(y, -s) == 0.0
    assert np.isnan(auc(np.ones(3), np.arange(3)))  # one class: undefined


def test_precision_recall_and_sign_agreement_by_hand() -> None:
    # TP=1 (row 0), FP=1 (row 2), FN=1 (row 1): precision 1/2, recall 1/2.
    assert precision_recall(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0])) == (0.5, 0.5)
    # Signs: +/+ agree, −/+ disagree, +/− disagree, −/− agree; zero human sign and NaN score skipped.
    human = np.array([1, -1, 1, -1, 0, 1])
    score = np.array([0.4, 0.2, -0.1, -0.9, 0.5, np.nan])
    assert sign_agreement(human, score) == 0.5
    assert spearman(np.arange(5), np.arange(5) ** 3) == pytest.approx(1.0)
    assert np.isnan(spearman(np.ones(5), np.arange(5)))


def test_bootstrap_ci_contains_the_estimate_and_is_seeded() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    items = np.arange(60)
    mean = lambda i: float(x[i].mean())  # noqa: E731
    a = item_bootstrap(mean, items, n_boot=500, random_state=3)
    b = item_bootstrap(mean, items, n_boot=500, random_state=3)
    c = item_bootstrap(mean, items, n_boot=500, random_state=4)
    assert a == b and a != c
    assert a.low < a.value < a.high and a.value == pytest.approx(x.mean())
    # The percentile interval of a mean is close to the normal one, mean ± 1.96 SE.
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert a.high - a.low == pytest.approx(2 * 1.96 * se, rel=0.15)
    narrow = item_bootstrap(mean, items, n_boot=500, level=0.5, random_state=3)
    assert narrow.high - narrow.low < a.high - a.low


def test_bootstrap_resamples_items_not_pairs() -> None:
    """Each item's pairs travel together: doubling every pair of an item does not shrink the CI."""
    x = np.random.default_rng(2).normal(size=40)
    once = item_bootstrap(lambda i: float(x[i].mean()), np.arange(40), n_boot=300)
    xx, items = np.repeat(x, 2), np.repeat(np.arange(40), 2)
    twice = item_bootstrap(lambda i: float(xx[i].mean()), items, n_boot=300)
    assert (twice.low, twice.high) == pytest.approx((once.low, once.high))


def test_human_agreement_of_a_perfect_scorer() -> None:
    items = np.repeat(np.arange(20), 2)
    dims = np.tile(["A", "B"], 20)
    rho = np.where(np.arange(40) % 3 == 0, 0.5, 0.05) * np.where(np.arange(40) % 2, -1, 1)
    relevant = np.abs(rho) > 0.3
    relevance = np.where(relevant, 0.9, 0.1)
    signed = np.where(relevant, np.sign(rho) * 0.8, np.nan)  # valence only where relevant, as GPV
    fit = HumanAgreement(n_boot=200).fit(items, dims, relevant, rho, relevance, signed)
    assert fit.auc_.value == 1.0 and (fit.auc_.low, fit.auc_.high) == (1.0, 1.0)
    assert fit.precision_.value == fit.recall_.value == 1.0
    assert fit.sign_agreement_.value == 1.0 and fit.sign_agreement_.n == relevant.sum()
    assert fit.base_rate_ == pytest.approx(relevant.mean())
    assert list(fit.per_dimension_["dimension"]) == ["A", "B"]
    # NaN relevance (a pair never judged) ranks below every score and is never flagged.
    gaps = np.where(relevant, 0.9, np.nan)
    fit2 = HumanAgreement(n_boot=0).fit(items, dims, relevant, rho, gaps)
    assert fit2.auc_.value == 1.0 and fit2.precision_.value == 1.0 and np.isnan(fit2.auc_.low)


def test_recall_curve_is_monotone_in_k_and_counts_calls() -> None:
    from gpla.measure.prefilter import Prefilter

    rng = np.random.default_rng(5)
    sim = rng.normal(size=(30, 10))
    relevant = (sim + rng.normal(size=sim.shape)) > 1.0
    masks = {f"top:{k}": Prefilter("top", k=k).keep(sim).ravel() for k in range(1, 11)}
    items = np.repeat(np.arange(30), 10)
    curve = recall_curve(masks, relevant.ravel(), items, n_boot=100)
    assert (np.diff(curve["recall"]) >= 0).all()
    assert curve["share_kept"].tolist() == pytest.approx([k / 10 for k in range(1, 11)])
    assert curve["recall"].iloc[-1] == 1.0 and curve["fewer_calls"].iloc[1] == pytest.approx(5.0)
    assert (curve["recall_low"] <= curve["recall"]).all() and (curve["recall"] <= curve["recall_high"]).all()


def test_no_better_when_lower_or_overlapping() -> None:
    base = Estimate(0.6, 0.55, 0.65, 100)
    assert no_better(Estimate(0.55, 0.5, 0.6, 100), base)  # lower
    assert no_better(Estimate(0.63, 0.6, 0.7, 100), base)  # higher but overlapping
    assert not no_better(Estimate(0.8, 0.75, 0.85, 100), base)
    nan = float("nan")
    assert no_better(Estimate(nan, nan, nan, 100), base)  # undefined AUC shows nothing
    assert no_better(Estimate(0.8, nan, nan, 100), base)  # no interval: not clearly above
    assert not no_better(Estimate(0.8, 0.75, 0.85, 100), Estimate(nan, nan, nan, 100))
