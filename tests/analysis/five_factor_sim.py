"""Data simulated from the published GPLA five-factor loadings (paper Table 10), shared by the analysis tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gpla.shared import shared_path


def published_loadings() -> pd.DataFrame:
    """values × factors, each value loading only on its own factor (the published primary loadings)."""
    long = pd.read_csv(shared_path("reference", "gpla_five_factor_loadings.csv"))
    wide = long.pivot(index="value", columns="factor", values="loading").fillna(0.0)
    return wide.loc[long["value"]]


def simulate(n: int = 693, seed: int = 0) -> pd.DataFrame:
    """X = F Λᵀ + E, F ~ N(0, I), E ~ N(0, diag(1 − h²)): the population correlation matrix has
    unit diagonal and exactly the published loadings."""
    lam = published_loadings()
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((n, lam.shape[1]))
    unique_sd = np.sqrt(1.0 - (lam**2).sum(axis=1).to_numpy())
    noise = rng.standard_normal((n, lam.shape[0])) * unique_sd
    return pd.DataFrame(factors @ lam.to_numpy().T + noise, columns=lam.index)
