"""The one rounding of exact figures (common/rounding.py): half-up at the end, from exact fractions."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from estatedesk.common.rounding import half_up, percent_of


def test_half_up_rounds_ties_away_from_zero_at_two_places() -> None:
    assert half_up(Fraction(66665, 1000)) == Decimal("66.67")
    assert half_up(Fraction(1, 8)) == Decimal("0.13")
    assert half_up(Fraction(-1, 8)) == Decimal("-0.13")
    assert str(half_up(5)) == "5.00"


def test_half_up_to_one_place_and_none() -> None:
    assert half_up(Fraction(25, 100), 1) == Decimal("0.3")
    assert str(half_up(Fraction(7, 2), 0)) == "4"


def test_percent_of_is_exact_and_undefined_without_a_denominator() -> None:
    """8,999 of 10,000 is 89.99%, never 90.00% through a float; 2 of 3 is 66.67%."""
    assert percent_of(8999, 10000) == Decimal("89.99")
    assert percent_of(2, 3) == Decimal("66.67")
    assert percent_of(1, 0) is None
    assert percent_of(0, 5) == Decimal("0.00")
