"""Read the measurement part (``=~`` lines) of a lavaan model: which items make up which scale.

semopy parses whole models for CFA; scoring scales (alpha) only needs ``factor =~ item + item``, and
semopy's parser would accept a sign on an item that lavaan itself rejects, so this small reader is ours.
"""

from __future__ import annotations

import re
from pathlib import Path

from gpla.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z_.][\w.]*$")
# A number literal, with its exponent (1e-3, 2.5E+1): its sign is neither a '+' between terms nor a minus.
_NUMBER = re.compile(r"(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_OPERATORS = ("=~", "~~", "~", ":=", "==", "<", ">", "|", "%")


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
