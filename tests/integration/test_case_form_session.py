"""A case form open in the window, apart from its widgets (``CaseFormSession``): on a real
database through the real case form service."""

from __future__ import annotations

import pytest

from app.core.answers import AnswerInput
from app.errors import ValidationError
from app.ui.views.case_form_session import CaseFormSession
from tests.integration.helpers import make_case, make_inspection


@pytest.fixture
def session(mini):
    case = make_case(mini, "X1", inspection=make_inspection(mini))
    opened = CaseFormSession(mini.forms)
    opened.open(case.id)
    return opened


def test_numbers_are_section_then_question_in_framework_order(session):
    framework = session.form.framework
    first, second = framework.sections[0], framework.sections[1]
    assert session.numbers[first.questions[0].key] == "1.1"
    assert session.numbers[first.questions[1].key] == "1.2"
    assert session.numbers[second.questions[0].key] == "2.1"
    assert session.numbers == framework.numbers
    assert session.first_question(second.key) == second.questions[0].key


def test_each_answer_gives_a_new_form_and_leaves_the_one_before_as_it_was(session, mini):
    before = session.form
    saved = session.record("victim", AnswerInput("yes"))
    assert session.form is not before and "victim" not in before.answers
    assert session.given("victim") == AnswerInput("yes")
    assert session.state is saved.state and session.form.case.status == saved.status
    assert before.case.status == "not_started" and saved.status == "in_progress"
    # what the form holds is what is on disk
    assert mini.forms.open(session.form.case.id).answers["victim"].value == "yes"


def test_an_answer_refused_leaves_the_form_as_it_was(session):
    before = session.form
    with pytest.raises(ValidationError):
        session.record("officers", AnswerInput(99))  # at most 20
    assert session.form is before and session.given("officers") == AnswerInput()


def test_why_a_question_does_not_apply_and_where_the_inspector_is_sent_next(session):
    status, why = session.status("victim_assessment")
    assert not status.applicable and "victim" in why.lower()
    session.record("victim", AnswerInput("yes"))
    status, why = session.status("victim_assessment")
    assert status.applicable and why == ""
    first = session.next_unanswered(None)
    assert first is not None and first != "victim"


def test_checking_for_errors_flags_unanswered_questions_from_then_on(session):
    assert not session.show_missing
    problems = session.check_for_errors()
    assert problems and session.show_missing
    assert {p.question_key for p in problems} <= set(session.numbers)
    session.open(session.form.case.id)  # opened again: not flagged until checked again
    assert not session.show_missing
