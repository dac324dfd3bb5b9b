"""Compare the CFA fit of value systems on the same data (GPLA §5.1 and §6, Table 2).

The data are split at random into two parts (``holdout_fraction``, half by default). "ours" is
constructed on the first (PCA with varimax, retention and item pruning; each kept variable joins the
factor of its primary loading).
The second half is held out and, when it has fewer than ``rows_per_variable`` × #variables rows,
bootstrapped to that size, as the paper did "to ensure sufficiency": all held-out rows are kept and
topped up with rows drawn from them with replacement. (Resampling all rows would leave ~63% distinct
rows while the fit still counts N of them: on simulated data with a true model that alone dropped
CFI from 0.96 to 0.80.)
Every system's CFA is fitted on this one held-out set, so their indices are comparable
(``theory_data="all"`` fits the systems that are not constructed from the data on all rows instead,
topped up the same way, as the paper did for Schwartz's; the table's ``n`` column then differs):

- ``ours``: the constructed system;
- ``schwartz-h`` / ``schwartz-l`` (and ``map:PATH``): every variable is mapped onto the system's
  factors by embedding similarity (`gpla.analysis.mapping`), as the paper mapped atomic values;
- ``five-factor`` or a CSV/TOML path: the system's own membership, restricted to the data's columns.

AIC and BIC are lavaan's (-2 logL + penalty). The paper's Table 2 reports semopy's, whose "logL" is
the fit-function value, so its AIC/BIC are ~2·npar in size; compare systems, not numbers across tools.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from gpla.analysis.cfa import CFA
from gpla.analysis.data import MissingPolicy, validate_numeric
from gpla.analysis.mapping import Embedder, map_values, mapped_system
from gpla.analysis.pca import NFactors
from gpla.analysis.pruning import PruneResult, prune_items
from gpla.errors import ConfigError, DataError
from gpla.systems import get_system, load_system, schwartz_basic, schwartz_higher, to_lavaan
from gpla.systems.value_system import ValueSystem

TABLE_COLUMNS = ["#factors", "CFI", "GFI", "RMSEA", "AIC", "BIC", "#variables", "n", "note"]


@dataclass
class SystemFit:
    """One system's CFA: the system as fitted, its lavaan model, the fit (None when it failed)."""

    name: str
    system: ValueSystem | None
    model: str
    cfa: CFA | None = None
    mapping: pd.DataFrame | None = None
    note: str = ""


@dataclass
class Comparison:
    """`table` in the paper's Table 2 format (one row per system) and everything behind it."""

    table: pd.DataFrame
    fits: dict[str, SystemFit]
    construction: PruneResult | None
    n_construct: int
    n_holdout: int
    n_cfa: int
    settings: dict[str, object] = field(default_factory=dict)

    def to_markdown(self) -> str:
        """The table rounded as the paper prints it."""
        lines = ["| Value system | " + " | ".join(TABLE_COLUMNS) + " |", "|---" * 10 + "|"]
        for name, row in self.table.iterrows():
            cells = [_fmt(c, row[c]) for c in TABLE_COLUMNS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def save(self, out_dir: str | Path) -> Path:
        """Write table.csv, table.md, fit_indices.json, models/*.lavaan, mapping_*.csv and the
        construction's loadings and removed items to `out_dir`."""
        out = Path(out_dir)
        (out / "models").mkdir(parents=True, exist_ok=True)
        self.table.to_csv(out / "table.csv")
        (out / "table.md").write_text(self.to_markdown(), encoding="utf-8")
        indices = {n: (f.cfa.fit_indices_ if f.cfa else None) for n, f in self.fits.items()}
        summary = {"settings": self.settings, "n_construct": self.n_construct,
                   "n_holdout": self.n_holdout, "n_cfa": self.n_cfa, "fit_indices": indices}  # fmt: skip
        (out / "fit_indices.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        for name, fit in self.fits.items():
            slug = _slug(name)
            (out / "models" / f"{slug}.lavaan").write_text(fit.model, encoding="utf-8")
            if fit.mapping is not None:
                fit.mapping.to_csv(out / f"mapping_{slug}.csv", index=False)
        if self.construction is not None:
            self.construction.model.loadings_.to_csv(out / "ours_loadings.csv")
            self.construction.removed.to_csv(out / "ours_removed.csv", index=False)
        return out


def compare_systems(
    X: pd.DataFrame,
    systems: Sequence[str | ValueSystem] = ("ours", "schwartz-h", "schwartz-l"),
    embedder: Embedder | None = None,
    *,
    n_factors: NFactors = "auto",
    min_loading: float = 0.4,
    cross_margin: float = 0.1,
    rows_per_variable: float = 5.0,
    missing: MissingPolicy = "raise",
    random_state: int = 0,
    theory_data: Literal["holdout", "all"] = "holdout",
    holdout_fraction: float = 0.5,
) -> Comparison:
    """Fit each system's CFA on held-out data and tabulate CFI, GFI, RMSEA, AIC and BIC.

    `systems` holds ``"ours"``, built-in names (``schwartz-h``, ``schwartz-l``, ``five-factor``),
    CSV/TOML paths, ``map:PATH`` (map the variables onto that file's factors) or `ValueSystem`
    objects (used by membership). Mapped systems need `embedder`. A system whose CFA fails is kept
    in the table with NaNs and the reason in ``note``; Heywood cases, improper solutions and fits that
    stop short of convergence are reported with the condition in ``note``.
    """
    if missing == "pairwise":
        raise ConfigError("compare-systems: CFA needs complete rows; use missing='raise' or 'listwise'")
    data = validate_numeric(X, what="compare-systems data", missing=missing, min_rows=4, min_cols=3)
    if not systems:
        raise ConfigError("compare-systems: no value system to compare")
    if theory_data not in ("holdout", "all"):
        raise ConfigError(f"compare-systems: theory_data must be 'holdout' or 'all', got {theory_data!r}")
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(data))
    if not 0 < holdout_fraction < 1:
        raise ConfigError(f"compare-systems: holdout_fraction must be in (0, 1), got {holdout_fraction}")
    n_construct = int(len(data) * (1 - holdout_fraction))
    construct, holdout = data.iloc[order[:n_construct]], data.iloc[order[n_construct:]]
    target = math.ceil(rows_per_variable * data.shape[1])
    cfa_data = _sufficient(holdout, target, rng)
    theory_rows = cfa_data if theory_data == "holdout" else _sufficient(data, target, rng)

    construction = None
    fits: dict[str, SystemFit] = {}
    for spec in systems:
        if isinstance(spec, str) and spec == "ours":
            construction = prune_items(
                construct, n_factors, min_loading, cross_margin, random_state=random_state
            )
            system = ValueSystem.from_loadings("Ours", construction.model.loadings_)
            fit = SystemFit("Ours", system, to_lavaan(system, data.columns))
            fits[fit.name] = _fit(fit, cfa_data)
        else:
            fit = _system_fit(spec, list(data.columns), embedder)
            fits[fit.name] = _fit(fit, theory_rows)

    table = pd.DataFrame([_row(f) for f in fits.values()], index=list(fits), columns=TABLE_COLUMNS)
    table.index.name = "system"
    settings: dict[str, object] = {
        "systems": [s if isinstance(s, str) else s.name for s in systems],
        "n_factors": n_factors, "min_loading": min_loading, "cross_margin": cross_margin,
        "rows_per_variable": rows_per_variable, "missing": missing, "random_state": random_state,
        "theory_data": theory_data, "holdout_fraction": holdout_fraction,
    }  # fmt: skip
    return Comparison(table, fits, construction, len(construct), len(holdout), len(cfa_data), settings)


def _sufficient(rows: pd.DataFrame, target: int, rng: np.random.Generator) -> pd.DataFrame:
    """``rows``, topped up to ``target`` with rows drawn from them with replacement when fewer."""
    if len(rows) >= target:
        return rows
    return pd.concat([rows, rows.iloc[rng.integers(0, len(rows), size=target - len(rows))]])


def _system_fit(spec: str | ValueSystem, columns: list[str], embedder: Embedder | None) -> SystemFit:
    if isinstance(spec, ValueSystem):
        return SystemFit(spec.name, spec.restrict(columns), to_lavaan(spec, columns))
    mapped = {"schwartz-h": schwartz_higher, "schwartz-l": schwartz_basic}
    if spec in mapped or spec.startswith("map:"):
        reference = mapped[spec]() if spec in mapped else load_system(spec.removeprefix("map:"))
        if embedder is None:
            raise ConfigError(f"compare-systems: system {spec!r} maps variables by embedding; give an embedder")
        mapping = map_values(columns, reference, embedder, min_indicators=2)
        system = mapped_system(mapping, reference.name)
        return SystemFit(reference.name, system, to_lavaan(system, columns), mapping=mapping)
    system = get_system(spec)
    restricted = system.restrict(columns)
    fit = SystemFit(system.name, restricted, to_lavaan(restricted))
    absent = len(system.members) - len(restricted.members)
    if absent:
        fit.note = f"{absent} of its {len(system.members)} values not in the data"
    return fit


def _fit(fit: SystemFit, data: pd.DataFrame) -> SystemFit:
    try:
        fit.cfa = CFA(fit.model, heywood="warn", converge="warn").fit(data)
    except DataError as err:
        fit.note = "; ".join(filter(None, [fit.note, f"CFA failed: {err}"]))
        return fit
    fit.note = "; ".join(filter(None, [fit.note, *fit.cfa.warnings_]))
    return fit


def _row(fit: SystemFit) -> list[object]:
    n_factors = fit.system.n_factors if fit.system else float("nan")
    n_vars = len(fit.system.members) if fit.system else float("nan")
    if fit.cfa is None:
        return [n_factors, *[float("nan")] * 5, n_vars, float("nan"), fit.note]
    ix = fit.cfa.fit_indices_
    values = [ix["cfi"], ix["gfi"], ix["rmsea"], ix["aic"], ix["bic"]]
    return [n_factors, *values, n_vars, fit.cfa.n_obs_, fit.note]


def _fmt(column: str, value: object) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if column in ("CFI", "GFI", "RMSEA"):
        return f"{value:.2f}"
    if column in ("AIC", "BIC"):
        return f"{value:.0f}"
    return str(value)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
