"""lavaan models, the one module for them: read the measurement part (``=~`` lines) of a model (which
items make up which scale), write a value system as a model (`to_lavaan`), and match a model's variable
names to data columns (the one place lavaan-safe names are made and mapped back).

semopy parses whole models for CFA; scoring scales (alpha) only needs ``factor =~ item + item``, and
semopy's parser would accept a sign on an item that lavaan itself rejects, so this small reader is ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpla.errors import ConfigError, DataError

if TYPE_CHECKING:  # `gpla.systems` imports this module for its names; a ValueSystem is only used here
    from gpla.systems.value_system import ValueSystem

_NAME = re.compile(r"^[A-Za-z_.][\w.]*$")
# A number literal, with its exponent (1e-3, 2.5E+1): its sign is neither a '+' between terms nor a minus.
_NUMBER = re.compile(r"(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_OPERATORS = ("=~", "~~", "~", ":=", "==", "<", ">", "|", "%")


def identifier(label: str) -> str:
    """The lavaan-safe name of a label: runs of non-word characters become "_" ("Work-life Balance" →
    "Work_life_Balance"); a leading digit gets a "v" prefix. `resolve_columns` maps it back."""
    name = re.sub(r"\W+", "_", str(label).strip()).strip("_")
    if not name:
        raise DataError(f"{label!r} has no letters or digits, so it cannot name a model variable")
    return f"v{name}" if name[0].isdigit() else name


def resolve_columns(variables: Iterable[str], columns: Iterable[Any], *, what: str = "model") -> dict[str, Any]:
    """{model variable: data column}: the column of that exact name, else the one column whose
    `identifier` form it is ("Public_Benefit" in a model file reads the column "Public Benefit")."""
    columns = list(columns)
    by_identifier: dict[str, list[Any]] = {}
    for col in columns:
        try:
            by_identifier.setdefault(identifier(str(col)), []).append(col)
        except DataError:
            continue  # a column named only by punctuation cannot be a model variable; ignore it here
    resolved: dict[str, Any] = {}
    absent = []
    for var in dict.fromkeys(variables):
        if var in columns:
            resolved[var] = var
        elif len(by_identifier.get(var, [])) == 1:
            resolved[var] = by_identifier[var][0]
        elif var in by_identifier:
            raise DataError(f"{what} variable {var} matches several columns: {by_identifier[var]}")
        else:
            absent.append(var)
    if absent:
        shown = ", ".join(map(str, columns[:10]))
        raise DataError(
            f"{what} names {len(absent)} variable(s) absent from the data: {', '.join(absent)} "
            f"(columns are: {shown}{' ...' if len(columns) > 10 else ''})"
        )
    return resolved


def column_for(variable: str, columns: Iterable[Any]) -> Any | None:
    """The column a model variable names (see `resolve_columns`), or None when none or several do."""
    try:
        return resolve_columns([variable], columns)[variable]
    except DataError:
        return None


def read_lavaan(path: str | Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model file {path} not found")
    return path.read_text(encoding="utf-8")


def measurement_scales(text: str, *, what: str = "model") -> dict[str, list[str]]:
    """``{factor: [items]}`` from every ``=~`` statement, in order. Modifiers such as ``0.8*A1``,
    ``NA*A1`` or ``start(1)*A1`` are dropped; a leading ``-`` on an item, or a negative fixed or start
    value, is refused: it is not lavaan's way to reverse-key an item (use the reverse option)."""
    scales: dict[str, list[str]] = {}
    for number, statement in _statements(text, what):
        if "=~" not in statement:
            continue
        factor, _, rhs = statement.partition("=~")
        factor = factor.strip()
        where = f"{what}, line {number}"
        if not _NAME.match(factor):
            raise ConfigError(f"{where}: {factor!r} is not a valid factor name")
        items = [_item(term, where) for term in _terms(rhs)]
        scales.setdefault(factor, [])
        scales[factor] += [i for i in items if i not in scales[factor]]
    if not scales:
        raise ConfigError(f"{what}: no measurement statements ('factor =~ item1 + item2') found")
    return scales


def _terms(rhs: str) -> list[str]:
    """The '+'-separated terms of a right-hand side; '+' inside a number's exponent does not split."""
    masked = _NUMBER.sub(lambda m: "0" * len(m.group()), rhs)  # same length: positions carry over
    cuts = [i for i, char in enumerate(masked) if char == "+"]
    return [rhs[a + 1 : b].strip() for a, b in zip([-1, *cuts], [*cuts, len(rhs)], strict=True)]


def _item(term: str, where: str) -> str:
    if not term:
        raise ConfigError(f"{where}: empty term (a stray '+')")
    if "-" in _NUMBER.sub("0", term):  # "-A1", "A1 - A2", "-1*A1", "start(-.5)*A1"; not "1e-3*A1"
        names = re.findall(r"[A-Za-z_.][\w.]*", term.rpartition("*")[2]) or ["ITEM"]
        raise ConfigError(
            f"{where}: {term!r}: a minus sign or negative value is not lavaan's way to reverse-key an "
            f"item; list the item plainly and name it as reverse-keyed (--reverse {names[-1]})"
        )
    name = term.rpartition("*")[2].strip()  # drop modifiers: 0.8*A1, NA*A1, start(1)*A1, label*A1
    if not _NAME.match(name):
        raise ConfigError(f"{where}: {term!r} is not an item name")
    return name


def _statements(text: str, what: str) -> list[tuple[int, str]]:
    """(line number, statement) pairs: comments (# or !) removed, ';' splits statements, and a line that
    ends with an operator or '+' continues on the next one, as lavaan allows."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"[#!]", raw, maxsplit=1)[0].strip()
        if not line:
            continue
        if not pending:
            start = number
        pending = f"{pending} {line}".strip()
        if pending.endswith(("+", *_OPERATORS)):
            continue
        out += [(start, part.strip()) for part in pending.split(";") if part.strip()]
        pending = ""
    if pending:
        raise ConfigError(f"{what}, line {start}: statement {pending!r} is incomplete")
    return out


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
