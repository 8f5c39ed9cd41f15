"""The pure rules of rates.py (R-SV-2, R-SV-3, R-SV-4) on hand-computed numbers: no database."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from estatedesk.surveys.rates import (
    Counts,
    is_small,
    meets_threshold,
    pareto,
    percent,
    percent_text,
    pooled,
    return_rate,
    satisfaction_rate,
)

# --- R-SV-4: the formula ------------------------------------------------------------------------------------


def test_sv_4_rate_is_qualified_over_qualified_plus_unsatisfied():
    # given 3 很满意, 4 满意, 2 较满意 (9 qualified) and 1 不满意
    counts = Counts(very_satisfied=3, satisfied=4, fairly_satisfied=2, unsatisfied=1)
    # then 9 ÷ 10 × 100 = 90, exactly
    assert counts.qualified == 9
    assert counts.rated == 10
    assert satisfaction_rate(counts) == Fraction(90)
    assert percent(satisfaction_rate(counts)) == Decimal("90.00")


def test_sv_4_unrated_answers_are_left_out():
    # given the same answers plus 5 未表态
    with_unrated = Counts(very_satisfied=3, satisfied=4, fairly_satisfied=2, unsatisfied=1, unrated=5)
    # then the rate is still 9 ÷ 10, not 9 ÷ 15 (60%) nor (9 + 5) ÷ 15
    assert satisfaction_rate(with_unrated) == Fraction(90)
    assert with_unrated.rated == 10
    assert with_unrated.answers == 15


def test_sv_4_rate_is_undefined_when_nobody_rated():
    # given only 未表态, or nothing at all
    for counts in (Counts(unrated=7), Counts()):
        # then the rate is undefined: None, shown "—", never 0 or 100
        assert satisfaction_rate(counts) is None
        assert percent(satisfaction_rate(counts)) is None
        assert percent_text(satisfaction_rate(counts)) == "—"


def test_sv_4_everyone_unsatisfied_is_zero_not_undefined():
    counts = Counts(unsatisfied=4, unrated=2)
    assert satisfaction_rate(counts) == Fraction(0)
    assert percent_text(satisfaction_rate(counts)) == "0.00%"


def test_sv_4_counts_from_ratings_use_the_keyed_in_digits():
    # 1 很满意, 2 满意, 3 较满意, 4 不满意, 0 未表态
    counts = Counts.of_ratings({1: 5, 2: 4, 3: 3, 4: 2, 0: 1})
    assert counts == Counts(5, 4, 3, 2, 1)
    assert counts.as_dict() == {
        "very_satisfied": 5,
        "satisfied": 4,
        "fairly_satisfied": 3,
        "unsatisfied": 2,
        "unrated": 1,
        "rated": 14,
    }


# --- rounding: exact fractions, half-up to two decimals at the end ------------------------------------------


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        (Fraction(2, 3) * 100, "66.67"),  # 66.666…
        (Fraction(1, 3) * 100, "33.33"),  # 33.333…
        (Fraction(1, 8) * 100, "12.50"),  # 12.5 exactly, two decimals kept
        (Fraction(1, 8), "0.13"),  # 0.125: the half goes up
        (Fraction(66665, 1000), "66.67"),  # 66.665: half-up (half-even would give 66.66)
        (Fraction(12345, 1000), "12.35"),  # 12.345: half-up (half-even would give 12.34)
        (Fraction(1, 200), "0.01"),  # 0.005
        (Fraction(1, 201), "0.00"),  # just under 0.005
        (Fraction(100), "100.00"),
        (Fraction(0), "0.00"),
    ],
)
def test_sv_4_percent_rounds_half_up_at_the_end(rate, shown):
    assert str(percent(rate)) == shown
    assert percent_text(rate) == f"{shown}%"


def test_sv_4_rounding_happens_once_at_the_end():
    # given 2 of 3 qualified in each of three areas: the pooled rate is 6 ÷ 9, shown 66.67
    area = Counts(satisfied=2, unsatisfied=1)
    total = pooled([area, area, area])
    assert satisfaction_rate(total) == Fraction(200, 3)
    assert percent(satisfaction_rate(total)) == Decimal("66.67")


# --- R-SV-4: pooled, never averaged -------------------------------------------------------------------------


def test_sv_4_overall_pools_the_counts_not_the_rates():
    # given area A with 9 of 10 qualified (90%) and area B with 1 of 2 (50%)
    area_a = Counts(satisfied=9, unsatisfied=1)
    area_b = Counts(satisfied=1, unsatisfied=1)
    # when pooled: 10 of 12
    overall = pooled([area_a, area_b])
    # then the overall rate is 83.33, not the mean of the two rates (70.00)
    assert overall == Counts(satisfied=10, unsatisfied=2)
    assert percent(satisfaction_rate(overall)) == Decimal("83.33")
    mean = (satisfaction_rate(area_a) + satisfaction_rate(area_b)) / 2
    assert percent(mean) == Decimal("70.00")
    assert percent(satisfaction_rate(overall)) != percent(mean)


def test_sv_4_pooling_keeps_unrated_apart():
    total = pooled([Counts(1, 2, 3, 4, 5), Counts(5, 4, 3, 2, 1)])
    assert total == Counts(6, 6, 6, 6, 6)
    assert total.rated == 24
    assert pooled([]) == Counts()


def test_sv_4_caution_only_for_few_but_some_rated_answers():
    assert is_small(Counts(unrated=3), 30) is False  # nobody rated: "—", no caution
    assert is_small(Counts(satisfied=29, unrated=10), 30) is True
    assert is_small(Counts(satisfied=30), 30) is False


# --- R-SV-2: the return-rate threshold, exact --------------------------------------------------------------


def test_sv_2_area_at_89_99_percent_fails():
    rate = return_rate(8999, 10000)
    assert rate == Fraction(8999, 100)
    assert meets_threshold(rate, Decimal("90.00")) is False


def test_sv_2_area_at_exactly_90_percent_passes():
    rate = return_rate(9, 10)
    assert rate == Fraction(90)
    assert meets_threshold(rate, Decimal("90.00")) is True
    assert meets_threshold(return_rate(9000, 10000), Decimal("90.00")) is True


def test_sv_2_area_at_90_01_percent_passes():
    rate = return_rate(9001, 10000)
    assert meets_threshold(rate, Decimal("90.00")) is True


def test_sv_2_threshold_compares_fractions_not_rounded_figures():
    # given 17,999 of 20,000 returned: 89.995%, which rounds to 90.00 for display
    rate = return_rate(17999, 20000)
    assert percent(rate) == Decimal("90.00")
    # then it is still below the threshold
    assert meets_threshold(rate, Decimal("90.00")) is False
    # and a threshold with decimals is read exactly
    assert meets_threshold(rate, Decimal("89.99")) is True
    assert meets_threshold(return_rate(8999, 10000), Decimal("89.99")) is True


def test_sv_2_no_form_handed_out_has_no_rate_and_cannot_pass():
    assert return_rate(0, 0) is None
    assert meets_threshold(None, Decimal("90.00")) is False
    assert return_rate(0, 5) == Fraction(0)


# --- R-SV-3: Pareto -----------------------------------------------------------------------------------------


def _pareto_rows():
    return [
        ("cs", "客户服务", 2),
        ("eng", "工程维修", 10),
        ("order", "秩序维护", 5),
        ("clean", "保洁卫生", 5),
        ("green", "绿化养护", 0),
        ("facilities", "公共设施", 3),
    ]


def test_sv_3_pareto_bars_descend_and_ties_keep_the_given_order():
    rows = pareto(_pareto_rows())
    # 秩序维护 and 保洁卫生 both have 5: given order; 绿化养护 with none is left out
    assert [(row.key, row.count) for row in rows] == [
        ("eng", 10),
        ("order", 5),
        ("clean", 5),
        ("facilities", 3),
        ("cs", 2),
    ]
    assert [row.label for row in rows] == ["工程维修", "秩序维护", "保洁卫生", "公共设施", "客户服务"]


def test_sv_3_pareto_shares_and_cumulative_shares():
    rows = pareto(_pareto_rows())  # 25 unsatisfied answers in all
    assert [row.share for row in rows] == [
        Fraction(40),
        Fraction(20),
        Fraction(20),
        Fraction(12),
        Fraction(8),
    ]
    assert [row.cumulative for row in rows] == [
        Fraction(40),
        Fraction(60),
        Fraction(80),
        Fraction(92),
        Fraction(100),
    ]


def test_sv_3_vital_few_include_the_item_that_reaches_80_percent():
    rows = pareto(_pareto_rows())
    # 40, 60, 80 (reaches the cutoff exactly: vital), then 92 and 100 are not
    assert [row.is_vital for row in rows] == [True, True, True, False, False]


def test_sv_3_vital_few_include_the_item_that_crosses_80_percent():
    rows = pareto([("a", "A", 7), ("b", "B", 2), ("c", "C", 1)])
    assert [row.cumulative for row in rows] == [Fraction(70), Fraction(90), Fraction(100)]
    assert [row.is_vital for row in rows] == [True, True, False]


def test_sv_3_pareto_thirds_stay_exact_until_shown():
    rows = pareto([("a", "A", 1), ("b", "B", 1), ("c", "C", 1)])
    assert [row.cumulative for row in rows] == [Fraction(100, 3), Fraction(200, 3), Fraction(100)]
    assert [str(percent(row.share)) for row in rows] == ["33.33", "33.33", "33.33"]
    assert [str(percent(row.cumulative)) for row in rows] == ["33.33", "66.67", "100.00"]
    assert [row.is_vital for row in rows] == [True, True, True]  # 66.67 before the last: below 80


def test_sv_3_a_single_item_is_the_whole_chart():
    (row,) = pareto([("a", "A", 4)])
    assert (row.share, row.cumulative, row.is_vital) == (Fraction(100), Fraction(100), True)


def test_sv_3_no_unsatisfied_answer_is_an_empty_chart():
    assert pareto([]) == []
    assert pareto([("a", "A", 0), ("b", "B", 0)]) == []
