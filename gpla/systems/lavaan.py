"""Value systems as lavaan/semopy measurement models.

Value names such as "Public Benefit" or "Law-Abiding Behavior" are not lavaan identifiers, so a
model refers to each variable by its identifier form (`gpla.analysis.lavaan.identifier`), which
`gpla.analysis.lavaan.resolve_columns` maps back to the data's column names (in CFA, alpha and omega).
"""

from __future__ import annotations

from collections.abc import Iterable

from gpla.analysis.lavaan import identifier
from gpla.systems.value_system import ValueSystem

__all__ = ["identifier", "to_lavaan"]


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
