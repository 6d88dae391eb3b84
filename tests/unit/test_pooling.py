"""Pooling across inspections: the choices, intervals for shares and differences, suppression,
and the findings as the service sends them."""

from __future__ import annotations

import pytest

from app.core.intervals import wilson_interval
from app.core.pooling import (
    DIMENSIONS,
    FINDINGS_COLUMNS,
    Count,
    LeftOut,
    PoolingChoice,
    choice_from_query,
    choice_to_query,
    findings_from_wire,
    findings_rows,
    findings_to_wire,
    newcombe_difference,
    pooled_findings,
)

QUESTIONS = {"q1": "Was the assessment sufficient?", "q2": "Was the plan sufficient?"}


def test_the_difference_interval_is_newcombes_hybrid_score():
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, 56/70 against 48/80:
    # method 10 gives 0.0524 to 0.3339
    d, low, high = newcombe_difference(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=5e-4)
    # the same pair the other way round is the same interval, negated
    back = newcombe_difference(48, 80, 56, 70)
    assert back == pytest.approx((-0.2, -high, -low))
    assert newcombe_difference(0, 0, 3, 4) is None


def counts() -> list[Count]:
    return [Count("q2", None, "", 30, 40), Count("q1", None, "", 50, 80),
            Count("q1", "gender", "Female", 20, 30), Count("q1", "gender", "Male", 27, 46),
            Count("q1", "gender", "Not recorded", 3, 4), Count("q1", "year", "2019", 50, 80)]


def test_figures_are_shares_with_wilson_intervals_and_small_cells_are_suppressed():
    found = pooled_findings(PoolingChoice(family="f", suppress_below=10), counts(), QUESTIONS,
                            inspections=3, cases=80)
    by = {(f.question_key, f.dimension, f.group): f for f in found.figures}
    # in the framework's order, all cases first, then the splits in the dimensions' order
    assert [f.question_key for f in found.figures][:1] == ["q1"]
    assert list(by)[:4] == [("q1", None, ""), ("q1", "year", "2019"),
                            ("q1", "gender", "Female"), ("q1", "gender", "Male")]
    female = by[("q1", "gender", "Female")]
    assert (female.sufficient, female.judged, female.share) == (20, 30, pytest.approx(2 / 3))
    assert (female.low, female.high) == pytest.approx(wilson_interval(20, 30))
    hidden = by[("q1", "gender", "Not recorded")]
    assert hidden.suppressed and not hidden.too_few  # nothing of its size is said
    assert (hidden.sufficient, hidden.judged, hidden.share, hidden.low, hidden.high) == \
        (None,) * 5
    # each group against the rest of the cases judged on the question
    differences = {(d.dimension, d.group): d for d in found.differences}
    female_vs_rest = differences[("gender", "Female")]
    assert female_vs_rest.rest_share == pytest.approx(30 / 50)
    assert female_vs_rest.difference == pytest.approx(2 / 3 - 30 / 50)
    assert differences[("gender", "Not recorded")].suppressed
    # a split whose one group is all the cases leaves no rest to set it against
    assert differences[("year", "2019")].suppressed
    # nothing suppressed when asked for none (not for publication)
    bare = pooled_findings(PoolingChoice(family="f", suppress_below=0), counts(), QUESTIONS,
                           inspections=3, cases=80)
    assert not any(f.suppressed for f in bare.figures)
    assert "not for publication" in " ".join(bare.statements)


def test_every_choice_is_said():
    said = " ".join(PoolingChoice(family="f").statements())
    for words in ("Framework family: f", "random samples only", "only the latest",
                  "approved case forms only", "Years: all", "fewer than 10"):
        assert words in said
    other = " ".join(PoolingChoice(family="f", sample_design="targeted", latest_only=False,
                                   provisional=True, years=(2019,)).statements())
    for words in ("targeted samples only", "every inspection counts", "provisional",
                  "Years: 2019"):
        assert words in other


def test_a_choice_travels_as_a_query_and_back_and_wrong_ones_are_named():
    choice = PoolingChoice(family="adult-2018", years=(2019, 2020), programmes=("thematic",),
                           sample_design="targeted", latest_only=False, by=("gender", "year"),
                           suppress_below=7, provisional=True)
    values: dict[str, list[str]] = {}
    for key, value in choice_to_query(choice):
        values.setdefault(key, []).append(value)
    assert choice_from_query(values) == choice
    assert choice_from_query({}) == PoolingChoice()
    assert PoolingChoice().by == tuple(code for code, _ in DIMENSIONS)
    for values, named in (({"year": ["20x9"]}, "year"), ({"latest_only": ["maybe"]},
                                                           "latest_only"),
                          ({"suppress_below": ["-1"]}, "suppress_below"),
                          ({"sample": ["a", "b"]}, "more than once")):
        with pytest.raises(ValueError, match=named):
            choice_from_query(values)
    assert PoolingChoice(by=("shoe_size",)).problems()
    assert "more than once" in " ".join(PoolingChoice(by=("year", "year")).problems())
    assert choice_from_query({"by": ["year,year,gender"]}).by == ("year", "gender")
    assert "not a programme" in " ".join(PoolingChoice(programmes=("x\x00",)).problems())
    assert PoolingChoice(family="adult\x00").problems()
    with pytest.raises(ValueError, match="year"):
        choice_from_query({"year": ["２０２０"]})  # digits, but not the ones a year is written in
    assert PoolingChoice(sample_design="convenience").problems()
    assert PoolingChoice(suppress_below=5000).problems()


def test_findings_travel_whole_and_lie_flat_as_one_table():
    found = pooled_findings(PoolingChoice(family="f", by=("gender", "year")), counts(),
                            QUESTIONS, inspections=3, cases=80,
                            left_out=[LeftOut("Aireshire (2019)", "re-inspected later")],
                            families=["f", "g"])
    assert findings_from_wire(findings_to_wire(found)) == found
    rows = findings_rows(found)
    assert len(rows) == len(found.figures) and all(len(r) == len(FINDINGS_COLUMNS)
                                                   for r in rows)
    first = dict(zip(FINDINGS_COLUMNS, rows[0], strict=True))
    assert (first["split_by"], first["group"], first["difference"]) == ("All cases",
                                                                         "All cases", None)
    female = next(dict(zip(FINDINGS_COLUMNS, r, strict=True)) for r in rows
                  if r[3] == "Female")
    assert female["split_by"] == "Gender" and female["difference"] == pytest.approx(
        2 / 3 - 30 / 50)
    with pytest.raises((KeyError, TypeError)):
        findings_from_wire({"choice": {}})
