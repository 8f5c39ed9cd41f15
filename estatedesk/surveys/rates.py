"""The survey's numbers, exactly (R-SV-2, R-SV-3, R-SV-4). Pure: no database, tested alone.

- Satisfaction rate = (很满意 + 满意 + 较满意) ÷ (those + 不满意) × 100%; 未表态 is left out. Nobody rated:
  undefined (`None`, shown as "—"), never 0 or 100.
- Return rate = forms returned ÷ forms handed out × 100%, per area; an area passes at the threshold exactly
  (90.00% passes, 89.99% does not), compared as fractions, never as rounded floats.
- Overall figures pool the counts (sum the answers, then divide); a mean of rates is never taken.
- Fractions are exact (`Fraction`) until shown: `percent()` rounds half-up to two decimals at the end.
- Pareto: the unsatisfied answers by item, descending, with the cumulative share; the items up to and
  including the one that reaches 80% are "the vital few".

Every page, PDF, workbook and API endpoint reads these through `figures.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from estatedesk.common.rounding import half_up

HUNDRED = Fraction(100)
TWO_PLACES = Decimal("0.01")
PARETO_CUTOFF = Fraction(80)


@dataclass(frozen=True)
class Counts:
    """Answers to one item (or pooled over items or areas) by rating."""

    very_satisfied: int = 0
    satisfied: int = 0
    fairly_satisfied: int = 0
    unsatisfied: int = 0
    unrated: int = 0

    @property
    def qualified(self) -> int:  # 合格项
        return self.very_satisfied + self.satisfied + self.fairly_satisfied

    @property
    def rated(self) -> int:
        return self.qualified + self.unsatisfied

    @property
    def answers(self) -> int:
        return self.rated + self.unrated

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.very_satisfied + other.very_satisfied,
            self.satisfied + other.satisfied,
            self.fairly_satisfied + other.fairly_satisfied,
            self.unsatisfied + other.unsatisfied,
            self.unrated + other.unrated,
        )

    @classmethod
    def of_ratings(cls, by_rating: dict[int, int]) -> Counts:
        """From {rating value: count} (Rating: 1 very satisfied … 4 unsatisfied, 0 unrated)."""
        return cls(
            by_rating.get(1, 0),
            by_rating.get(2, 0),
            by_rating.get(3, 0),
            by_rating.get(4, 0),
            by_rating.get(0, 0),
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "very_satisfied": self.very_satisfied,
            "satisfied": self.satisfied,
            "fairly_satisfied": self.fairly_satisfied,
            "unsatisfied": self.unsatisfied,
            "unrated": self.unrated,
            "rated": self.rated,
        }


def pooled(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for one in counts:
        total = total + one
    return total


def satisfaction_rate(counts: Counts) -> Fraction | None:
    """R-SV-4: qualified ÷ (qualified + unsatisfied) × 100, exact; None when nobody rated."""
    if counts.rated == 0:
        return None
    return Fraction(counts.qualified, counts.rated) * HUNDRED


def return_rate(returned: int, handed_out: int) -> Fraction | None:
    """R-SV-2: returned ÷ handed out × 100, exact; None when no form was handed out."""
    if handed_out <= 0:
        return None
    return Fraction(returned, handed_out) * HUNDRED


def meets_threshold(rate: Fraction | None, threshold: Decimal | Fraction | int) -> bool:
    """R-SV-2: at least the threshold (exactly 90.00% passes). No forms handed out cannot pass."""
    if rate is None:
        return False
    return rate >= Fraction(threshold)


def percent(rate: Fraction | None) -> Decimal | None:
    """The rate rounded half-up to two decimals, at the very end (66.665 → 66.67), from the exact fraction
    (no float or Decimal division on the way). Rates are never negative, so half-up is floor(x + ½)."""
    return None if rate is None else half_up(rate)


def percent_text(rate: Fraction | None) -> str:
    """ "93.33%", or "—" for an undefined rate."""
    shown = percent(rate)
    return "—" if shown is None else f"{shown}%"


def is_small(counts: Counts, small_below: int) -> bool:
    """A caution is shown beside a rate from fewer rated answers than `small_below` (but some)."""
    return 0 < counts.rated < small_below


@dataclass(frozen=True)
class ParetoRow:
    key: Any
    label: str
    count: int
    share: Fraction  # of all unsatisfied answers, × 100
    cumulative: Fraction  # × 100
    is_vital: bool  # within the items that reach the cutoff (80%)


def pareto(rows: Sequence[tuple[Any, str, int]], *, cutoff: Fraction = PARETO_CUTOFF) -> list[ParetoRow]:
    """R-SV-3: (key, label, unsatisfied count) → bars descending (ties by the given order), each with its
    share and the cumulative share. Items with no unsatisfied answer are left out; no unsatisfied answer at
    all → an empty chart."""
    ranked = sorted(
        ((index, key, label, count) for index, (key, label, count) in enumerate(rows) if count > 0),
        key=lambda row: (-row[3], row[0]),
    )
    total = sum(row[3] for row in ranked)
    result: list[ParetoRow] = []
    running = 0
    reached = False
    for _index, key, label, count in ranked:
        before = Fraction(running, total) * HUNDRED
        running += count
        cumulative = Fraction(running, total) * HUNDRED
        is_vital = not reached and before < cutoff
        reached = reached or cumulative >= cutoff
        result.append(ParetoRow(key, label, count, Fraction(count, total) * HUNDRED, cumulative, is_vital))
    return result
