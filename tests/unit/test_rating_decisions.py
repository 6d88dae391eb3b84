"""Ratings the lead inspector records: a standard judged on the evidence, and an override of
the arithmetic for a standard or the service overall, recomputed here by hand."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app.config import frameworks_dir
from app.core.frameworks import RatedBy
from app.core.rating_decisions import (
    OVERALL,
    RatingDecision,
    changed_by_others,
    decision_problems,
    decisions_from,
)
from app.core.ratings import (
    RatingRules,
    StandardRating,
    parse_rules,
    rate_inspection,
    rate_overall,
)
from app.errors import ValidationError
from app.io.framework_workbook import load_framework_folder

RULES_FILE = frameworks_dir().parent / "ratings" / "default.json"
AT = dt.datetime(2026, 12, 8, 10, tzinfo=dt.UTC)


def rules() -> RatingRules:
    return parse_rules(json.loads(RULES_FILE.read_text(encoding="utf-8")))


def standard(key: str, band: str | None, **more) -> StandardRating:
    return StandardRating(key, key.title(), (), None, band, **more)


def decided(target: str, rating: str) -> RatingDecision:
    return RatingDecision(target, rating, "The panel's judgement", "lead.one", AT)


def test_an_override_of_a_standard_counts_in_the_overall_arithmetic():
    """Four standards rated Outstanding, Good, Good, Requires improvement: 3+2+2+1 = 8 of 12
    points, 66.7%: Good under the general table (53.33% and up). The lead inspector rates the
    last Good instead: 9 of 12. Four rated Inadequate, the last raised to Good: 0+0+0+2 = 2
    of 12, 16.7%, under 20%: Inadequate."""
    four = [standard("a", "Outstanding"), standard("b", "Good"), standard("c", "Good"),
            standard("d", "Requires improvement")]
    plain = rate_overall(four, rules())
    assert (plain.label, plain.score, plain.out_of) == ("Good", 8, 12)
    raised = [*four[:3], standard("d", "Requires improvement",
                                  decision=decided("d", "Good"))]
    assert raised[3].rating == "Good" and raised[3].band == "Requires improvement"
    assert "the arithmetic gives Requires improvement" in raised[3].decision_words
    assert rate_overall(raised, rules()).score == 9
    lowest = [standard(k, "Inadequate") for k in "abc"] + [
        standard("d", "Inadequate", decision=decided("d", "Good"))]
    overall = rate_overall(lowest, rules())  # 2 of 12, 16.7%: under 20%, Inadequate
    assert (overall.label, overall.score) == ("Inadequate", 2)


def test_a_rating_recorded_for_the_service_overall_stands_beside_the_arithmetic():
    four = [standard(k, "Good") for k in "abcd"]  # 8 of 12: Good
    overall = rate_overall(four, rules(), decision=decided(OVERALL, "Requires improvement"))
    assert (overall.label, overall.calculated, overall.score) == ("Requires improvement",
                                                                  "Good", 8)
    assert overall.words.startswith("Requires improvement (the arithmetic gives Good; rated "
                                    "Requires improvement by lead.one on 2026-12-08")
    # with a standard not yet rated, the recorded rating still stands, and says so
    unrated = rate_overall([*four[:3], standard("d", None)], rules(),
                           decision=decided(OVERALL, "Good"))
    assert unrated.label == "Good" and unrated.calculated is None
    assert "recorded by lead.one" in unrated.words


def test_a_framework_may_have_an_overall_table_of_its_own_in_points_of_a_total():
    """The youth table as recalled: 31 of 36 Outstanding, 19 Good, 7 Requires improvement,
    taken as shares. Three standards Good and one Requires improvement: 7 of 12, 58.3%, above
    19/36 (52.8%): Good. A table of its own decides where the general one would not: two of
    three points is 66.7%, under the general 75% but at the framework's 2 of 3."""
    loaded = rules()
    youth = loaded.overall_for("youth-court-disposals")
    assert youth is not loaded.overall
    assert [float(b.lower) for b in youth.bands] == pytest.approx([31 / 36, 19 / 36, 7 / 36,
                                                                    0])
    assert loaded.overall_for("through-the-gate") is loaded.overall
    three_good = [standard(k, "Good") for k in "abc"] + [standard("d", "Requires improvement")]
    assert rate_overall(three_good, loaded, "youth-court-disposals").label == "Good"
    custom = parse_rules({"bands": [{"label": "Good", "from": 50},
                                    {"label": "Poor", "from": 0}],
                          "overall": {"scores": {"Good": 1, "Poor": 0},
                                      "bands": [{"label": "Good", "from": 75},
                                                {"label": "Poor", "from": 0}],
                                      "frameworks": {"x": {"points_of": 3, "bands": [
                                          {"label": "Good", "from": 2},
                                          {"label": "Poor", "from": 0}]}}}})
    two_of_three = [standard("a", "Good"), standard("b", "Good"), standard("c", "Poor")]
    assert rate_overall(two_of_three, custom).label == "Poor"  # 66.7% under 75%
    assert rate_overall(two_of_three, custom, "x").label == "Good"  # 2 of 3 points


@pytest.mark.parametrize(("table", "named"), [
    ({"points_of": 0, "bands": [{"label": "Good", "from": 0}]}, "points_of"),
    ({"bands": [{"label": "Good", "from": 5}]}, "the lowest from 0"),
    ("forty", "an object"),
])
def test_a_frameworks_table_that_cannot_be_used_is_named(table, named):
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    data["overall"]["frameworks"] = {"youth-court-disposals": table}
    with pytest.raises(ValidationError) as told:
        parse_rules(data)
    assert any("overall.frameworks.youth-court-disposals" in line and named in line
               for line in told.value.details), told.value.details


def test_a_standard_judged_on_the_evidence_is_listed_and_rated_only_as_recorded():
    """Youth out-of-court disposals: 3.4 Joint working is judged on the evidence. With no
    case at all, three standards have nothing to rate; 3.4 is listed, unrated until the lead
    inspector records it, and the overall rating waits for it as for the others."""
    framework = {f.id: f for f in load_framework_folder(frameworks_dir())}[
        "youth-out-of-court-disposals"]
    rated = rate_inspection(framework, [], rules())
    joint = rated.standards[-1]
    assert (joint.title, joint.rated_by, joint.rating) == ("3.4 Joint working",
                                                           RatedBy.JUDGEMENT, None)
    assert joint.unrated_words == "judged on the evidence: not recorded yet"
    assert "3.4 Joint working" in rated.overall.why_not
    recorded = rate_inspection(framework, [], rules(), decisions={
        joint.key: decided(joint.key, "Good")})
    joint = recorded.standards[-1]
    assert joint.rating == "Good" and joint.decision_words.startswith("recorded by lead.one")


def test_a_record_that_is_not_whole_gives_no_decision_and_its_problems_are_named():
    good = {"rating": "Good", "reason": "Why", "by": "lead.one", "at": AT.isoformat()}
    assert decision_problems({"overall": good}) == []
    assert decisions_from({"overall": good})[OVERALL].at == AT
    bad = {"overall": good, "assessment": {**good, "rating": "Fine"}}
    assert decisions_from(bad) == {}
    assert decision_problems(bad) == [
        "assessment: 'Fine' is not one of Outstanding, Good, Requires improvement, Inadequate"]
    assert decision_problems({"overall": {**good, "extra": 1}})[0].startswith("overall: a "
                                                                              "recorded")
    assert changed_by_others({"overall": good}, {"overall": good, "a": {**good, "by": "x"}},
                             "lead.one") == ["a"]
    assert changed_by_others(None, {"overall": good}, "lead.one") == []


def test_a_rating_the_rules_do_not_score_leaves_the_service_unrated_and_says_why():
    """Rules of three colours: a standard rated Outstanding by hand is no colour they
    score, so the overall rating is not worked out as if it scored nothing."""
    custom = parse_rules({"bands": [{"label": "Green", "from": 80},
                                    {"label": "Amber", "from": 50},
                                    {"label": "Red", "from": 0}],
                          "overall": {"scores": {"Green": 2, "Amber": 1, "Red": 0},
                                      "bands": [{"label": "Green", "from": 75},
                                                {"label": "Amber", "from": 40},
                                                {"label": "Red", "from": 0}]}})
    two = [standard("a", "Green"), standard("b", "Amber",
                                            decision=decided("b", "Outstanding"))]
    overall = rate_overall(two, custom)
    assert overall.label is None
    assert overall.why_not == "the rating rules score no such rating: B (Outstanding)"
