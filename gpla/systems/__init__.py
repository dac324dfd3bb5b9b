"""Value systems as data: Schwartz's basic and higher-order values, the GPLA five-factor system and
user-defined systems, plus their CFA (lavaan) models."""

from gpla.analysis.lavaan import identifier, to_lavaan
from gpla.systems.builtin import (
    gpla_five_factor,
    gpla_five_factor_alphas,
    schwartz_basic,
    schwartz_definitions,
    schwartz_higher,
)
from gpla.systems.io import BUILTIN_SYSTEMS, get_system, load_system
from gpla.systems.value_system import ValueSystem

__all__ = [
    "BUILTIN_SYSTEMS",
    "ValueSystem",
    "get_system",
    "gpla_five_factor",
    "gpla_five_factor_alphas",
    "identifier",
    "load_system",
    "schwartz_basic",
    "schwartz_definitions",
    "schwartz_higher",
    "to_lavaan",
]
