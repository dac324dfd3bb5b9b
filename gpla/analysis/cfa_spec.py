"""A CFA measurement model in index form, read from lavaan syntax with lavaan's ``cfa()`` defaults.

lavaan's defaults for ``cfa()``: the first indicator of each factor has its loading fixed to 1 (unless the
syntax puts a number or ``NA`` before it), every observed variable has a free residual variance, and
every factor has a free variance and free covariances with the other factors. Statements fix (``0*x``,
``x ~~ 0.5*x``, ``F1 ~~ 0*F2``) or add (``x1 ~~ x2``) parameters on top. Labels, ``start()`` and
structural regressions are not part of a measurement model and are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpla.errors import ConfigError

# (row, column) -> fixed value, or None for a free parameter.
Entries = dict[tuple[int, int], float | None]


@dataclass(frozen=True)
class CFASpec:
    """`observed` and `factors` in lavaan's order (of first appearance in the ``=~`` lines)."""

    observed: list[str]
    factors: list[str]
    loadings: Entries  # (observed, factor)
    theta: Entries  # residual (co)variances, (i, j) with i <= j
    psi: Entries  # factor (co)variances, (f, h) with f <= h

    @property
    def n_free(self) -> int:
        """Free parameters of the covariance structure of one group."""
        return sum(v is None for e in (self.loadings, self.theta, self.psi) for v in e.values())


def parse_cfa(model: str) -> CFASpec:
    from semopy.parser import parse_desc

    if not model.strip():
        raise ConfigError("CFA model is empty")
    try:
        effects, operations = parse_desc(model)
    except SyntaxError as err:
        raise ConfigError(f"CFA model is not valid lavaan syntax: {err}") from None
    other = sorted(op for op, rel in effects.items() if rel and op not in ("=~", "~~"))
    if other or operations:
        raise ConfigError(
            f"CFA model: only measurement ('=~') and covariance ('~~') statements are supported here, "
            f"found {', '.join(other + [str(o) for o in operations])}"
        )
    measurement = effects.get("=~", {})
    if not measurement:
        raise ConfigError("CFA model defines no factor (no 'factor =~ indicator + ...' line)")
    factors = list(measurement)
    observed = list(dict.fromkeys(i for inds in measurement.values() for i in inds))
    nested = [i for i in observed if i in measurement]
    if nested:
        raise ConfigError(
            f"CFA model: factors measured by factors ({', '.join(nested)}) are not supported"
        )
    loadings: Entries = {}
    for f, (factor, indicators) in enumerate(measurement.items()):
        for k, (indicator, modifier) in enumerate(indicators.items()):
            given, value = _modifier(modifier, f"{factor} =~ {indicator}")
            if not given:  # lavaan's marker: the first indicator without a modifier
                value = 1.0 if k == 0 else None
            loadings[observed.index(indicator), f] = value
    theta: Entries = {(i, i): None for i in range(len(observed))}
    psi: Entries = {(f, h): None for f in range(len(factors)) for h in range(f, len(factors))}
    for left, rights in effects.get("~~", {}).items():
        for right, modifier in rights.items():
            where = f"{left} ~~ {right}"
            _, value = _modifier(modifier, where)
            if left in factors and right in factors:
                a, b = sorted((factors.index(left), factors.index(right)))
                psi[a, b] = value
            elif left in observed and right in observed:
                a, b = sorted((observed.index(left), observed.index(right)))
                theta[a, b] = value
            else:
                unknown = [v for v in (left, right) if v not in observed and v not in factors]
                raise ConfigError(
                    f"CFA model: {where}: "
                    + (f"{', '.join(unknown)} is not an indicator or factor" if unknown
                       else "a covariance between a factor and an indicator is not a measurement model")
                )  # fmt: skip
    return CFASpec(observed, factors, loadings, theta, psi)


def _modifier(modifier: object, where: str) -> tuple[bool, float | None]:
    """(whether a modifier is given, its fixed value or None for NA*, i.e. free)."""
    if modifier is None:
        return False, None
    text = str(modifier).strip()
    if text.upper() == "NA":
        return True, None
    try:
        return True, float(text)
    except ValueError:
        raise ConfigError(
            f"CFA model: {where}: modifier {text!r} is not supported here (only fixed numbers and NA)"
        ) from None
