"""Rounding of exact figures, once for every app: rates and means are kept as exact fractions
(`fractions.Fraction`) and rounded half-up only at the end (66.665 → 66.67, 0.125 → 0.13), never through a
float or a Decimal division on the way. Pure; tested alone (common/tests/test_rounding.py).

Used by the return-visit figures, the nonconformity figures, the survey rates, the reporting scores and the
analytics layer, so the same fraction prints the same everywhere."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

HUNDRED = 100


def half_up(value: Fraction | int, places: int = 2) -> Decimal:
    """`value` rounded half-up (away from zero on a tie) to `places` decimals, as a Decimal with exactly
    that many decimals."""
    exact = Fraction(value)
    scale = 10**places
    units = math.floor(abs(exact) * scale + Fraction(1, 2))
    if exact < 0:
        units = -units
    return Decimal(units).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def percent_of(numerator: int, denominator: int, places: int = 2) -> Decimal | None:
    """numerator ÷ denominator × 100, rounded half-up; None when the denominator is 0 (undefined: shown
    "—", never 0 or 100)."""
    if denominator <= 0:
        return None
    return half_up(Fraction(numerator * HUNDRED, denominator), places)
