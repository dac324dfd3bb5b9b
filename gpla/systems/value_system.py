"""A value system as data: named factors, each with the values (variables) that define it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from gpla.analysis.lavaan import column_for
from gpla.errors import DataError


@dataclass(frozen=True)
class ValueSystem:
    """Factors (higher-level values) and their member values.

    `loadings` holds a published or estimated loading per ``(factor, value)`` pair when known;
    `definitions` a short definition per factor or value name when known (used to embed it).
    """

    name: str
    factors: dict[str, list[str]]
    loadings: dict[tuple[str, str], float] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.factors:
            raise DataError(f"value system {self.name!r} has no factors")
        for factor, members in self.factors.items():
            if not members:
                raise DataError(f"value system {self.name!r}: factor {factor!r} has no values")
            repeated = sorted({m for m in members if members.count(m) > 1})
            if repeated:
                raise DataError(
                    f"value system {self.name!r}: factor {factor!r} lists {', '.join(repeated)} twice"
                )

    @property
    def members(self) -> list[str]:
        """Every value of the system, once, in factor order."""
        return list(dict.fromkeys(v for members in self.factors.values() for v in members))

    @property
    def n_factors(self) -> int:
        return len(self.factors)

    def loading(self, factor: str, value: str) -> float:
        """The known loading of `value` on `factor`, NaN when the system has none."""
        return self.loadings.get((factor, value), float("nan"))

    def restrict(self, columns: Iterable[str], *, min_indicators: int = 2) -> ValueSystem:
        """The system with only the values in `columns`; factors left with fewer than `min_indicators`
        values are dropped (a one-indicator factor is not identified in a CFA). A value written in its
        lavaan-safe form ("Public_Benefit", from a lavaan file) is renamed to its column ("Public Benefit")."""
        available = list(columns)
        named = {v: column_for(v, available) for v in self.members}
        found = {f: [str(named[v]) for v in m if named[v] is not None] for f, m in self.factors.items()}
        kept = {f: m for f, m in found.items() if len(m) >= min_indicators}
        if not kept:
            raise DataError(
                f"value system {self.name!r}: no factor has {min_indicators} or more of its values among "
                f"the data's columns (its values include {', '.join(self.members[:5])})"
            )
        loadings = {(f, named.get(v) or v): x for (f, v), x in self.loadings.items()}
        return ValueSystem(self.name, kept, loadings, self.definitions)

    def to_frame(self) -> pd.DataFrame:
        """One row per (factor, value) with its loading (NaN when unknown)."""
        rows = [(f, v, self.loading(f, v)) for f, members in self.factors.items() for v in members]
        return pd.DataFrame(rows, columns=["factor", "value", "loading"])

    @classmethod
    def from_frame(
        cls, name: str, frame: pd.DataFrame, definitions: Mapping[str, str] | None = None
    ) -> ValueSystem:
        """A system from rows of ``factor, value[, loading]`` (the CSV format)."""
        missing = {"factor", "value"} - set(frame.columns)
        if missing:
            raise DataError(
                f"value system {name!r}: needs columns factor,value[,loading]; missing {sorted(missing)}"
            )
        if frame[["factor", "value"]].isna().any().any():
            raise DataError(f"value system {name!r}: empty factor or value cells")
        factors: dict[str, list[str]] = {}
        loadings: dict[tuple[str, str], float] = {}
        for row in frame.itertuples(index=False):
            factor, value = str(row.factor).strip(), str(row.value).strip()
            factors.setdefault(factor, []).append(value)
            if "loading" in frame.columns and pd.notna(row.loading):
                try:
                    loadings[(factor, value)] = float(row.loading)
                except ValueError:
                    raise DataError(
                        f"value system {name!r}: loading of {value!r} on {factor!r} is not a number "
                        f"({row.loading!r})"
                    ) from None
        return cls(name, factors, loadings, dict(definitions or {}))

    @classmethod
    def from_loadings(cls, name: str, loadings: pd.DataFrame) -> ValueSystem:
        """The system a factor analysis found: each variable joins the factor of its largest |loading|
        (its primary loading), which is kept with its sign."""
        if loadings.empty:
            raise DataError(f"value system {name!r}: the loading matrix is empty")
        primary = loadings.abs().idxmax(axis=1)
        rows = [(str(primary[v]), str(v), float(loadings.loc[v, primary[v]])) for v in loadings.index]
        frame = pd.DataFrame(rows, columns=["factor", "value", "loading"])
        frame["order"] = frame["factor"].map({str(f): i for i, f in enumerate(loadings.columns)})
        return cls.from_frame(name, frame.sort_values(["order", "loading"], ascending=[True, False]))
