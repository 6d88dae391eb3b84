"""Agreement between two markers, against textbook examples."""

from __future__ import annotations

import pytest

from app.core.agreement import agreement


def test_cohens_kappa_textbook_example():
    # 50 cases: both Yes 20, first Yes second No 5, first No second Yes 10, both No 15.
    # p_o = 35/50 = 0.7; p_e = (25*30 + 25*20) / 50^2 = 0.5; kappa = 0.2 / 0.5 = 0.4
    pairs = ([("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10
             + [("no", "no")] * 15)
    found = agreement(pairs)
    assert (found.pairs, found.agreed, found.percent) == (50, 35, 70.0)
    assert found.kappa == pytest.approx(0.4)


def test_kappa_with_three_categories_worked_by_hand():
    # 100 cases. First marker: a 50, b 30, c 20; second marker: a 60, b 30, c 10.
    # p_o = (44 + 20 + 6) / 100 = 0.70; p_e = (50*60 + 30*30 + 20*10) / 100^2 = 0.41;
    # kappa = 0.29 / 0.59 = 0.4915
    table = {("a", "a"): 44, ("a", "b"): 5, ("a", "c"): 1,
             ("b", "a"): 7, ("b", "b"): 20, ("b", "c"): 3,
             ("c", "a"): 9, ("c", "b"): 5, ("c", "c"): 6}
    pairs = [pair for pair, count in table.items() for _ in range(count)]
    found = agreement(pairs)
    p_o = (44 + 20 + 6) / 100
    p_e = (50 * 60 + 30 * 30 + 20 * 10) / 100 ** 2
    assert found.kappa == pytest.approx((p_o - p_e) / (1 - p_e))
    assert found.kappa == pytest.approx(0.4915, abs=1e-4)


def test_perfect_and_chance_level_agreement_and_nothing_to_compare():
    assert agreement([("yes", "yes"), ("no", "no")]).kappa == pytest.approx(1.0)
    assert agreement([("yes", "yes")] * 3).kappa is None  # everyone said Yes: chance is 1
    assert agreement([]).percent is None and agreement([]).kappa is None
