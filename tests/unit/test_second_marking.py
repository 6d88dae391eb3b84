"""Second marking: when it is open, who may second mark a case, and who may not read its
first answers while it is open."""

from __future__ import annotations

import pytest

from app.core.second_marking import (
    SecondMarking,
    check_can_read_answers,
    check_can_second_mark,
    first_answers_hidden,
    first_markers,
    may_second_mark,
)
from app.errors import WorkflowError

FIRST = frozenset({"inspector.one"})
ASKED = SecondMarking(asked=True, first_markers=FIRST)
KEYS = frozenset({"rosh_assessment", "plan_sufficient"})


def test_first_markers_are_the_inspector_given_the_case_and_whoever_answered_it():
    assert first_markers("inspector.one", ["inspector.three", None, "inspector.one"]) == {
        "inspector.one", "inspector.three"}
    assert first_markers(None, []) == frozenset()


@pytest.mark.parametrize(("marking", "is_open"), [
    (SecondMarking(first_markers=FIRST), False),  # nobody asked
    (ASKED, True),  # asked, nothing judged yet
    (SecondMarking(True, FIRST, marked=KEYS), True),  # judged, not agreed
    (SecondMarking(True, FIRST, marked=KEYS, agreed=frozenset({"rosh_assessment"})), True),
    (SecondMarking(True, FIRST, agreed=KEYS), True),  # agreed with nothing second marked
    (SecondMarking(True, FIRST, marked=KEYS, agreed=KEYS), False),  # finished
    (SecondMarking(True, FIRST, marked=frozenset({"rosh_assessment"}), agreed=KEYS), False),
])
def test_second_marking_is_open_from_the_request_until_every_judgement_is_agreed(
        marking, is_open):
    assert marking.open is is_open
    assert marking.finished is (marking.asked and not is_open)


@pytest.mark.parametrize(("person", "role", "hidden"), [
    ("inspector.two", "inspector", True),  # a colleague who may second mark it
    ("lead.lee", "lead_inspector", True),
    ("visitor.vic", None, True),  # not on the team, yet able to open it on this laptop
    ("inspector.one", "inspector", False),  # the first marker
    ("supervisor.sam", "supervisor", False),  # reviews the case form whatever happens
])
def test_first_answers_are_hidden_from_whoever_may_second_mark_while_it_is_open(
        person, role, hidden):
    assert first_answers_hidden(person, role, ASKED) is hidden
    if hidden:
        with pytest.raises(WorkflowError, match="You are second marking this case") as caught:
            check_can_read_answers(person, role, ASKED)
        assert "Moderation" in caught.value.advice
    else:
        check_can_read_answers(person, role, ASKED)


def test_first_answers_are_read_freely_before_the_request_and_after_agreement():
    finished = SecondMarking(True, FIRST, marked=KEYS, agreed=KEYS)
    for marking in (SecondMarking(first_markers=FIRST), finished):
        assert not first_answers_hidden("inspector.two", "inspector", marking)
        check_can_read_answers("inspector.two", "inspector", marking)


def test_the_inspector_given_the_case_is_a_first_marker_before_answering():
    given = SecondMarking(True, first_markers("inspector.one", []))
    assert not may_second_mark("inspector.one", given)
    assert may_second_mark("inspector.two", given)
    assert not first_answers_hidden("inspector.one", "inspector", given)


def test_who_may_give_second_judgements_and_when():
    with pytest.raises(WorkflowError, match="X1 has not been chosen"):
        check_can_second_mark("inspector.two", SecondMarking(first_markers=FIRST), "X1")
    with pytest.raises(WorkflowError, match="marked this case first"):
        check_can_second_mark("inspector.one", ASKED, "X1")
    with pytest.raises(WorkflowError, match="X1 is finished"):
        check_can_second_mark("inspector.two",
                              SecondMarking(True, FIRST, marked=KEYS, agreed=KEYS), "X1")
    check_can_second_mark("inspector.two", ASKED, "X1")
    check_can_second_mark("supervisor.sam", ASKED, "X1")
