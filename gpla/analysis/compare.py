"""Compare the CFA fit of value systems on the same data (GPLA §5.1 and §6, Table 2).

The data are split at random into two parts (``holdout_fraction``, half by default). "ours" is
constructed on the first (PCA with varimax, retention and item pruning; each kept variable joins the
factor of its primary loading); the second half is held out for the CFA.

§5.1 reads: "we construct it using half of the measurement data and bootstrap the data to ensure its
sufficiency (#data points ≥ 5 × #variables). The other half of the data is held out for CFA." The
bootstrap belongs to the construction, so by default (``bootstrap="construction"``) the construction
half, when it has fewer than ``rows_per_variable`` × #variables rows, is topped up to that size; the
held-out half is used as it is. ``"holdout"`` tops up the CFA rows instead (another reading), ``"both"``
both, ``"none"`` neither. A top-up keeps every row and adds rows drawn from them with replacement.
(Resampling all rows would leave ~63% distinct rows while the statistics still count N of them: on
simulated data with a true model that alone dropped CFI from 0.96 to 0.80.)
Every system's CFA is fitted on this one held-out set, so their indices are comparable
(``theory_data="all"`` fits the systems that are not constructed from the data on all rows instead,
as the paper did for Schwartz's — "all data is used for CFA" — topped up only under ``"holdout"`` or
``"both"``; the table's ``n`` column then differs).

Missing cells: ``missing="pairwise"`` constructs on pairwise-complete correlations (psych's
``use="pairwise"``) and lets each CFA drop the rows incomplete on its own variables (lavaan's
default, listwise; FIML is not offered); ``"listwise"`` drops incomplete rows before the split.

- ``ours``: the constructed system;
- ``schwartz-h`` / ``schwartz-l`` (and ``map:PATH``): every variable is mapped onto the system's
  factors by embedding similarity (`gpla.analysis.mapping`), as the paper mapped atomic values;
- ``five-factor`` or a CSV/TOML path: the system's own membership, restricted to the data's columns.

Each fitted system also gets its 5 largest modification indices (`gpla.analysis.modindices`), which show
where its model misfits (e.g. a value Schwartz's mapping puts under the wrong factor).

AIC and BIC are lavaan's (-2 logL + penalty). The paper's Table 2 reports semopy's, whose "logL" is
the fit-function value, so its AIC/BIC are ~2·npar in size; compare systems, not numbers across tools.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from gpla.analysis.cfa import CFA
from gpla.analysis.data import MissingPolicy, validate_numeric
from gpla.analysis.mapping import WEAK_SIMILARITY, Embedder, map_values, mapped_system, weak_mapping
from gpla.analysis.modindices import ModificationIndices
from gpla.analysis.pca import NFactors
from gpla.analysis.pruning import PruneResult, prune_items
from gpla.errors import ConfigError, DataError
from gpla.systems import get_system, load_system, schwartz_basic, schwartz_higher, to_lavaan
from gpla.systems.value_system import ValueSystem

Bootstrap = Literal["construction", "holdout", "both", "none"]
BOOTSTRAPS: tuple[str, ...] = get_args(Bootstrap)
MODINDICES_SHOWN = 5
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
    modindices: pd.DataFrame | None = None
    """The largest modification indices (`gpla.analysis.modindices`): where the system misfits."""
    modindices_note: str = ""
    mapping_warning: str = ""
    """Set when most variables map only weakly onto the system (`gpla.analysis.mapping.weak_mapping`)."""


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
    n_pca: int = 0
    """Rows the construction's PCA saw (``n_construct`` plus any bootstrap top-up)."""

    def to_markdown(self) -> str:
        """The table rounded as the paper prints it."""
        lines = ["| Value system | " + " | ".join(TABLE_COLUMNS) + " |", "|---" * 10 + "|"]
        for name, row in self.table.iterrows():
            cells = [_fmt(c, row[c]) for c in TABLE_COLUMNS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def modindices_markdown(self) -> str:
        """Each system's largest modification indices: the parameters its model misses most."""
        parts = ["", "Largest modification indices (lavaan's modindices; freeing one lowers chisq by ≈ mi):", ""]
        for name, fit in self.fits.items():
            if fit.modindices is None or fit.modindices.empty:
                parts.append(f"- {name}: {fit.modindices_note or 'none'}")
                continue
            cells = [f"{r.lhs} {r.op} {r.rhs} (mi {r.mi:.1f}, sepc.all {r.sepc_all:+.2f})"
                     for r in fit.modindices.itertuples()]  # fmt: skip
            parts.append(f"- {name}: " + "; ".join(cells))
        return "\n".join(parts) + "\n"

    def save(self, out_dir: str | Path) -> Path:
        """Write table.csv, table.md, fit_indices.json, modindices.csv/.md, models/*.lavaan, mapping_*.csv and the
        construction's loadings and removed items to `out_dir`."""
        out = Path(out_dir)
        (out / "models").mkdir(parents=True, exist_ok=True)
        self.table.to_csv(out / "table.csv")
        (out / "table.md").write_text(self.to_markdown(), encoding="utf-8")
        indices = {n: (f.cfa.fit_indices_ if f.cfa else None) for n, f in self.fits.items()}
        summary = {"settings": self.settings, "n_construct": self.n_construct, "n_pca": self.n_pca,
                   "n_holdout": self.n_holdout, "n_cfa": self.n_cfa, "fit_indices": indices}  # fmt: skip
        (out / "fit_indices.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        for name, fit in self.fits.items():
            slug = _slug(name)
            (out / "models" / f"{slug}.lavaan").write_text(fit.model, encoding="utf-8")
            if fit.mapping is not None:
                fit.mapping.to_csv(out / f"mapping_{slug}.csv", index=False)
        tops = [f.modindices.assign(system=n) for n, f in self.fits.items() if f.modindices is not None]
        if tops:
            pd.concat(tops).to_csv(out / "modindices.csv", index=False)
        (out / "modindices.md").write_text(self.modindices_markdown(), encoding="utf-8")
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
    bootstrap: Bootstrap = "construction",
    weak_similarity: float = WEAK_SIMILARITY,
    on_weak_mapping: Literal["warn", "raise"] = "warn",
) -> Comparison:
    """Fit each system's CFA on held-out data and tabulate CFI, GFI, RMSEA, AIC and BIC.

    `systems` holds ``"ours"``, built-in names (``schwartz-h``, ``schwartz-l``, ``five-factor``),
    CSV/TOML paths, ``map:PATH`` (map the variables onto that file's factors) or `ValueSystem`
    objects (used by membership). Mapped systems need `embedder`. A system whose CFA fails is kept
    in the table with NaNs and the reason in ``note``; Heywood cases, improper solutions and fits that
    stop short of convergence are reported with the condition in ``note``. A mapped system onto which
    most variables map with a similarity below `weak_similarity` is fitted with the warning first in its
    ``note`` (and in ``SystemFit.mapping_warning``), or refused with DataError when `on_weak_mapping`
    is ``"raise"``.
    """
    if on_weak_mapping not in ("warn", "raise"):
        raise ConfigError(f"compare-systems: on_weak_mapping must be 'warn' or 'raise', got {on_weak_mapping!r}")
    data = validate_numeric(X, what="compare-systems data", missing=missing, min_rows=4, min_cols=3)
    if not systems:
        raise ConfigError("compare-systems: no value system to compare")
    if theory_data not in ("holdout", "all"):
        raise ConfigError(f"compare-systems: theory_data must be 'holdout' or 'all', got {theory_data!r}")
    if bootstrap not in BOOTSTRAPS:
        raise ConfigError(f"compare-systems: bootstrap must be one of {BOOTSTRAPS}, got {bootstrap!r}")
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(data))
    if not 0 < holdout_fraction < 1:
        raise ConfigError(f"compare-systems: holdout_fraction must be in (0, 1), got {holdout_fraction}")
    n_construct = int(len(data) * (1 - holdout_fraction))
    construct, holdout = data.iloc[order[:n_construct]], data.iloc[order[n_construct:]]
    target = math.ceil(rows_per_variable * data.shape[1])
    cfa_target = target if bootstrap in ("holdout", "both") else 0
    pca_data = _sufficient(construct, target if bootstrap in ("construction", "both") else 0, rng)
    cfa_data = _sufficient(holdout, cfa_target, rng)
    theory_rows = cfa_data if theory_data == "holdout" else _sufficient(data, cfa_target, rng)
    # Each CFA drops the rows incomplete on its own variables (lavaan's listwise default).
    cfa_missing: Literal["raise", "listwise"] = "listwise" if missing == "pairwise" else "raise"

    construction = None
    fits: dict[str, SystemFit] = {}
    for spec in systems:
        if isinstance(spec, str) and spec == "ours":
            construction = prune_items(
                pca_data, n_factors, min_loading, cross_margin, random_state=random_state,
                missing="pairwise" if missing == "pairwise" else "raise",
            )
            system = ValueSystem.from_loadings("Ours", construction.model.loadings_)
            fit = SystemFit("Ours", system, to_lavaan(system, data.columns))
            fits[fit.name] = _fit(fit, cfa_data, cfa_missing)
        else:
            fit = _system_fit(spec, list(data.columns), embedder, weak_similarity, on_weak_mapping)
            fits[fit.name] = _fit(fit, theory_rows, cfa_missing)

    table = pd.DataFrame([_row(f) for f in fits.values()], index=list(fits), columns=TABLE_COLUMNS)
    table.index.name = "system"
    settings: dict[str, object] = {
        "systems": [s if isinstance(s, str) else s.name for s in systems],
        "n_factors": n_factors, "min_loading": min_loading, "cross_margin": cross_margin,
        "rows_per_variable": rows_per_variable, "missing": missing, "random_state": random_state,
        "theory_data": theory_data, "holdout_fraction": holdout_fraction, "bootstrap": bootstrap,
        "weak_similarity": weak_similarity,
    }  # fmt: skip
    return Comparison(table, fits, construction, len(construct), len(holdout), len(cfa_data), settings,
                      n_pca=len(pca_data))


def _sufficient(rows: pd.DataFrame, target: int, rng: np.random.Generator) -> pd.DataFrame:
    """``rows``, topped up to ``target`` with rows drawn from them with replacement when fewer."""
    if len(rows) >= target:
        return rows
    return pd.concat([rows, rows.iloc[rng.integers(0, len(rows), size=target - len(rows))]])


def _system_fit(spec: str | ValueSystem, columns: list[str], embedder: Embedder | None,
                weak_similarity: float = WEAK_SIMILARITY, on_weak: str = "warn") -> SystemFit:
    if isinstance(spec, ValueSystem):
        return SystemFit(spec.name, spec.restrict(columns), to_lavaan(spec, columns))
    mapped = {"schwartz-h": schwartz_higher, "schwartz-l": schwartz_basic}
    if spec in mapped or spec.startswith("map:"):
        reference = mapped[spec]() if spec in mapped else load_system(spec.removeprefix("map:"))
        if embedder is None:
            raise ConfigError(f"compare-systems: system {spec!r} maps variables by embedding; give an embedder")
        mapping = map_values(columns, reference, embedder, min_indicators=2)
        warning = weak_mapping(mapping, reference.name, weak_similarity)
        if warning and on_weak == "raise":
            raise DataError(f"compare-systems: {warning} (--weak-mapping warn fits it anyway)")
        system = mapped_system(mapping, reference.name)
        return SystemFit(reference.name, system, to_lavaan(system, columns), mapping=mapping,
                         note=f"WARNING: {warning}" if warning else "", mapping_warning=warning)
    system = get_system(spec)
    restricted = system.restrict(columns)
    fit = SystemFit(system.name, restricted, to_lavaan(restricted))
    absent = len(system.members) - len(restricted.members)
    if absent:
        fit.note = f"{absent} of its {len(system.members)} values not in the data"
    return fit


def _fit(fit: SystemFit, data: pd.DataFrame, missing: Literal["raise", "listwise"]) -> SystemFit:
    try:
        fit.cfa = CFA(fit.model, missing=missing, heywood="warn", converge="warn").fit(data)
    except DataError as err:
        fit.note = "; ".join(filter(None, [fit.note, f"CFA failed: {err}"]))
        return fit
    fit.note = "; ".join(filter(None, [fit.note, *fit.cfa.warnings_]))
    try:
        fit.modindices = ModificationIndices(fit.model, missing=missing, heywood="warn").fit(data).top(
            MODINDICES_SHOWN
        )
    except DataError as err:
        fit.modindices_note = f"not available: {err}"
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
