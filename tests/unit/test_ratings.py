"""The roll-up from answers to percentages and ratings, against hand-worked figures."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.core.ratings import (
    Tally,
    age_band,
    breakdown,
    more_no_to_fall,
    more_yes_to_rise,
    parse_rules,
    rate_question,
    rate_standards,
    wilson_interval,
)
from app.errors import ValidationError

RULES = parse_rules({
    "bands": [{"label": "Outstanding", "from": 80}, {"label": "Good", "from": 65},
              {"label": "Requires improvement", "from": 50},
              {"label": "Inadequate", "from": 0}],
    "small_cell": 5, "standards": {"assessment": "Assessment"}})
Y, N, X = True, False, None  # sufficient, not sufficient, does not count


@pytest.mark.parametrize(("yes", "total", "low", "high"), [
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_published_values(yes, total, low, high):
    got = wilson_interval(yes, total)
    assert got == pytest.approx((low, high), abs=0.00006)


def test_no_cases_no_interval():
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(("yes", "total", "band"), [
    (8, 10, "Outstanding"),           # exactly 80%: the band starts there
    (79, 100, "Good"),                # just under
    (13, 20, "Good"),                 # exactly 65%
    (129, 200, "Requires improvement"),  # 64.5%
    (1, 2, "Requires improvement"),   # exactly 50%
    (49, 100, "Inadequate"),
    (0, 7, "Inadequate"),
    (10, 10, "Outstanding"),
])
def test_bands_at_and_around_their_edges(yes, total, band):
    assert RULES.band(Fraction(yes, total)).label == band


def test_how_fragile_a_band_is():
    # 24 of 30 is 80%: one more No makes 24/31 = 77.4%, Good
    assert more_no_to_fall(24, 30, RULES) == 1
    # 27 of 30 is 90%: down needs 27/(30+d) < 0.8, d > 3.75, so 4 (27/34 = 79.4%)
    assert more_no_to_fall(27, 30, RULES) == 4
    # 21 of 30 is 70%, Good: up needs (21+u)/(30+u) >= 0.8, u >= 15
    assert more_yes_to_rise(21, 30, RULES) == 15
    # 19 of 30 is 63.3%, Requires improvement: up needs (19+u)/(30+u) >= 0.65, u >= 1.43,
    # so 2 (20/31 is 64.5%, 21/32 is 65.6%)
    assert more_yes_to_rise(19, 30, RULES) == 2
    assert more_no_to_fall(3, 30, RULES) is None  # already the lowest band
    assert more_yes_to_rise(30, 30, RULES) is None  # already the highest
    assert more_no_to_fall(0, 0, RULES) is None and more_yes_to_rise(0, 0, RULES) is None


def test_a_question_counts_only_applicable_yes_and_no():
    rated = rate_question("rosh", "Was the assessment of risk of harm sufficient?",
                          "assessment", [Y, N, X, Y, Y, X, N], RULES)
    assert rated.tally == Tally(3, 5)
    assert rated.tally.percent == pytest.approx(60.0)
    assert rated.band == "Requires improvement"
    assert rated.interval == pytest.approx(wilson_interval(3, 5))


def test_a_question_that_never_applies_has_no_percentage_or_band():
    rated = rate_question("victims", "Victims?", "assessment", [X, X, X], RULES)
    assert (rated.tally, rated.tally.percent, rated.band, rated.interval) == (
        Tally(0, 0), None, None, None)


def test_zero_cases():
    [standard] = rate_standards([rate_question("q", "Q?", "assessment", [], RULES)], RULES)
    assert (standard.band, standard.deciding, standard.tally) == (None, None, None)


def test_a_standard_is_rated_by_its_lowest_key_question():
    questions = [rate_question("a", "A?", "assessment", [Y] * 9 + [N], RULES),        # 90%
                 rate_question("b", "B?", "assessment", [Y] * 7 + [N] * 3, RULES),    # 70%
                 rate_question("c", "C?", "assessment", [X] * 10, RULES),             # n/a
                 rate_question("d", "D?", "planning", [Y] * 4 + [N] * 6, RULES)]      # 40%
    assessment, planning = rate_standards(questions, RULES)
    assert (assessment.title, assessment.deciding, assessment.band) == ("Assessment", "b",
                                                                        "Good")
    assert assessment.tally == Tally(7, 10)
    assert (planning.title, planning.band) == ("Planning", "Inadequate")


def test_ties_between_key_questions_are_decided_the_same_way_every_time():
    questions = [rate_question(k, k, "assessment", [Y, N], RULES) for k in ("z", "m", "a")]
    assert rate_standards(questions, RULES)[0].deciding == "a"


def test_breakdown_flags_small_cells_and_suppresses_them_for_publication():
    judgements = [Y, Y, N, Y, X, Y, N, Y, Y, Y]
    groups = ["NPS", "NPS", "NPS", "NPS", "NPS", "NPS", "CRC", "CRC", "CRC", ""]
    working = breakdown(judgements, groups, RULES)
    assert [(c.group, c.tally, c.small, c.suppressed) for c in working] == [
        ("CRC", Tally(2, 3), True, False),
        ("NPS", Tally(4, 5), False, False),
        ("", Tally(1, 1), True, False),
    ]
    published = breakdown(judgements, groups, RULES, for_publication=True)
    assert [(c.group, c.shown_percent) for c in published] == [
        ("CRC", None), ("NPS", 80.0), ("", None)]


def test_age_bands():
    assert [age_band(a) for a in (None, 17, 18, 24, 25, 49, 50, 81)] == [
        "Not recorded", "Under 18", "18–24", "18–24", "25–34", "35–49", "50 and over",
        "50 and over"]


def test_rules_with_problems_are_refused_naming_each():
    with pytest.raises(ValidationError) as raised:
        parse_rules({"bands": [{"label": "Good", "from": 65}, {"from": 10}],
                     "basis": "average", "small_cell": -1})
    details = raised.value.details
    assert any(d.startswith("bands[1]") for d in details)
    assert "bands: the lowest band must start from 0" in details
    assert any(d.startswith("basis:") for d in details)
    assert any(d.startswith("small_cell") for d in details)


def test_overall_rules_are_read_whole_or_refused_naming_the_problem():
    import json as json_module

    from app.config import rating_rules_file
    from app.core.ratings import parse_rules

    data = json_module.loads(rating_rules_file().read_text(encoding="utf-8"))
    rules = parse_rules(data)
    assert rules.overall.scores == {"Outstanding": 3, "Good": 2, "Requires improvement": 1,
                                    "Inadequate": 0}
    data["overall"]["scores"].pop("Good")
    with pytest.raises(ValidationError) as refused:
        parse_rules(data)
    assert any(d.startswith("overall.scores:") for d in refused.value.details)
