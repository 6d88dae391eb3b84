"""The applicability condition language."""

from __future__ import annotations

import pytest

from app.core.conditions import ConditionSyntaxError, parse_condition


def holds(raw, profile=None, answers=None) -> bool:
    return parse_condition(raw).evaluate(profile or {}, answers or {})


def test_profile_tests():
    assert holds({"profile": "phase", "in": ["custody", "licence"]}, {"phase": "licence"})
    assert not holds({"profile": "phase", "in": ["custody"]}, {"phase": "community"})
    assert holds({"profile": "gender", "equals": "female"}, {"gender": "female"})
    assert holds({"profile": "rosh", "not_in": ["low"]}, {"rosh": "high"})


def test_unknown_value_is_false_even_for_not_in():
    # a case whose phase is not recorded must not receive custody-only or community-only items
    assert not holds({"profile": "phase", "not_in": ["custody"]}, {"phase": None})


def test_answer_tests():
    assert holds({"answer": "victim", "equals": "yes"}, answers={"victim": "yes"})
    assert not holds({"answer": "victim", "equals": "yes"}, answers={})
    assert holds({"answer": "needs", "includes": "drug_misuse"},
                 answers={"needs": ["accommodation", "drug_misuse"]})
    assert not holds({"answer": "needs", "includes": "drug_misuse"}, answers={"needs": "x"})
    assert holds({"answer": "x", "answered": False}, answers={})
    assert holds({"answer": "x", "answered": True}, answers={"x": 3})


def test_combinators():
    cond = {"all": [{"profile": "phase", "equals": "custody"},
                    {"not": {"answer": "victim", "equals": "no"}}]}
    assert holds(cond, {"phase": "custody"}, {"victim": "yes"})
    assert not holds(cond, {"phase": "custody"}, {"victim": "no"})
    assert holds({"any": [{"profile": "phase", "equals": "custody"},
                          {"profile": "phase", "equals": "licence"}]}, {"phase": "licence"})


def test_references_lists_what_is_read():
    cond = parse_condition({"all": [{"profile": "phase", "equals": "custody"},
                                    {"answer": "victim", "equals": "yes"}]})
    assert cond.references("profile") == ["phase"]
    assert cond.references("answer") == ["victim"]


@pytest.mark.parametrize(("raw", "message"), [
    ("phase", "must be an object"),
    ({}, "needs one of"),
    ({"profile": "phase", "equals": "x", "in": ["x"]}, "exactly one of"),
    ({"profile": "phase", "in": []}, "non-empty list"),
    ({"all": []}, "non-empty list of conditions"),
    ({"answer": "x", "answered": "yes"}, "true or false"),
    ({"profile": "phase", "includes": "x"}, "multiple-choice answers only"),
    ({"not": {"profile": "phase", "equals": "x"}, "extra": 1}, "unexpected"),
    ({"profile": "", "equals": "x"}, "must name a field"),
])
def test_syntax_errors(raw, message):
    with pytest.raises(ConditionSyntaxError, match=message):
        parse_condition(raw)
