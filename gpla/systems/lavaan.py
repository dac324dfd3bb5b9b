"""Value systems as lavaan/semopy measurement models.

Value names such as "Public Benefit" or "Law-Abiding Behavior" are not lavaan identifiers, so a
model refers to each variable by its identifier form (`identifier`); `gpla.analysis.cfa.CFA` matches
that form back to the data's column names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gpla.errors import DataError
from gpla.systems.value_system import ValueSystem


def identifier(label: str) -> str:
    """The lavaan identifier of a label: runs of non-word characters become "_" ("Work-life Balance" →
    "Work_life_Balance"); a leading digit gets a "v" prefix."""
    name = re.sub(r"\W+", "_", str(label).strip()).strip("_")
    if not name:
        raise DataError(f"{label!r} has no letters or digits, so it cannot name a model variable")
    return f"v{name}" if name[0].isdigit() else name


def _or_zero(x: float) -> float:
    return 0.0 if x != x else x  # NaN (no known loading) keeps the listed order: sorted() is stable


def to_lavaan(
    system: ValueSystem, available_columns: Iterable[str] | None = None, *, min_indicators: int = 2
) -> str:
    """The CFA model of `system`: one ``factor =~ member + ...`` line per factor.

    With `available_columns`, members that are not columns of the data are left out first (see
    `ValueSystem.restrict`, which also drops factors left with fewer than `min_indicators`). Members
    are listed by decreasing loading when the system has loadings, so that the marker indicator (whose
    loading lavaan fixes to 1) is the strongest positive one.
    """
    if available_columns is not None:
        system = system.restrict(available_columns, min_indicators=min_indicators)
    variables = {identifier(v) for v in system.members}
    lines = []
    for factor, members in system.factors.items():
        name = identifier(factor)
        # A factor may share its name with one of its values ("Rule-Following" in the GPLA system).
        if name in variables:
            name = f"{name}_factor"
        ordered = sorted(members, key=lambda v: -_or_zero(system.loading(factor, v)))
        lines.append(f"{name} =~ " + " + ".join(identifier(v) for v in ordered))
    return "\n".join(lines) + "\n"
