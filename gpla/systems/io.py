"""User-defined value systems from CSV (``factor,value[,loading]``) or TOML files, and built-in names.

TOML layout::

    name = "My system"                      # optional; defaults to the file name
    [factors]
    "Social Responsibility" = ["Equity", "Empathy", "Teamwork"]
    Rationality = ["Objectivity", "Logic"]
    [loadings.Rationality]                  # optional
    Objectivity = 0.705
    [definitions]                           # optional
    Logic = "reasoning soundly from premises to conclusions"
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.analysis.lavaan import measurement_scales, read_lavaan
from gpla.errors import ConfigError, DataError
from gpla.systems.builtin import gpla_five_factor, schwartz_basic, schwartz_higher
from gpla.systems.value_system import ValueSystem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LAVAAN_SUFFIXES = (".lavaan", ".lav")

#: Names accepted by `get_system` besides a file path.
BUILTIN_SYSTEMS = {
    "schwartz-h": schwartz_higher,
    "schwartz-l": schwartz_basic,
    "five-factor": gpla_five_factor,
}


def get_system(spec: str) -> ValueSystem:
    """A built-in system by name (``schwartz-h``, ``schwartz-l``, ``five-factor``) or a CSV/TOML path."""
    if spec in BUILTIN_SYSTEMS:
        return BUILTIN_SYSTEMS[spec]()
    path = Path(spec)
    if path.suffix.lower() in (".csv", ".toml", *LAVAAN_SUFFIXES) or path.exists():
        return load_system(path)
    raise ConfigError(
        f"unknown value system {spec!r}: use one of {', '.join(BUILTIN_SYSTEMS)} or a .csv/.toml/.lavaan file"
    )


def load_system(path: str | Path) -> ValueSystem:
    """A value system from a CSV (``factor,value[,loading]``), TOML or lavaan (``F =~ a + b``) file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"value system file {path} not found")
    if path.suffix.lower() == ".toml":
        return _from_toml(path)
    if path.suffix.lower() in LAVAAN_SUFFIXES:
        # Items keep their lavaan-safe names; `ValueSystem.restrict` maps them back to the data's columns.
        return ValueSystem(path.stem, measurement_scales(read_lavaan(path), what=str(path)))
    try:
        frame = pd.read_csv(path, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"value system file {path}: not a readable CSV ({err})") from None
    return ValueSystem.from_frame(path.stem, frame)


def _from_toml(path: Path) -> ValueSystem:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"value system file {path}: invalid TOML ({err})") from None
    factors = doc.get("factors")
    if not isinstance(factors, dict) or not factors:
        raise ConfigError(f"value system file {path}: needs a [factors] table of name = [values]")
    for factor, members in factors.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(f"value system file {path}: factor {factor!r} must be a list of value names")
    loadings: dict[tuple[str, str], float] = {}
    for factor, table in _table(doc, "loadings", path).items():
        if not isinstance(table, dict):
            raise ConfigError(f"value system file {path}: [loadings.{factor}] must map values to numbers")
        for value, loading in table.items():
            if not isinstance(loading, int | float):
                raise ConfigError(f"value system file {path}: loading of {value!r} on {factor!r} is not a number")
            loadings[(factor, value)] = float(loading)
    definitions = {str(k): str(v) for k, v in _table(doc, "definitions", path).items()}
    name = str(doc.get("name", path.stem))
    return ValueSystem(name, {f: list(m) for f, m in factors.items()}, loadings, definitions)


def _table(doc: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"value system file {path}: [{key}] must be a table")
    return value
