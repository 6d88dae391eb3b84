"""Applicability, completion marks, "next unanswered" and "check for errors"."""

from __future__ import annotations

from app.core.answers import AnswerRecord
from app.core.form import ProblemKind, evaluate_form
from app.core.framework_loader import load_framework_file
from tests.conftest import MINI_FRAMEWORKS

FW = load_framework_file(MINI_FRAMEWORKS / "mini.json")
COMMUNITY = {"phase": "community"}


def answers(**values) -> dict[str, AnswerRecord]:
    result = {}
    for key, value in values.items():
        reasons, evidence = (), ""
        if isinstance(value, tuple):
            value, reasons, evidence = value
        result[key] = AnswerRecord(key, value, reasons, evidence)
    return result


def test_nothing_answered_lists_exactly_the_applicable_required_questions():
    state = evaluate_form(FW, COMMUNITY, {})
    assert state.unanswered() == ["victim", "needs", "rosh_assessment", "barriers",
                                  "officers", "workload", "seen_on"]
    assert state.percent == 0


def test_custody_question_applies_only_to_custody_and_licence():
    assert not evaluate_form(FW, COMMUNITY, {}).questions["custody_planning"].applicable
    assert evaluate_form(FW, {"phase": "licence"}, {}).questions["custody_planning"].applicable
    assert not evaluate_form(FW, {}, {}).questions["custody_planning"].applicable


def test_follow_up_appears_only_after_its_trigger():
    assert not evaluate_form(FW, COMMUNITY, answers(victim="no")).questions[
        "victim_assessment"].applicable
    state = evaluate_form(FW, COMMUNITY, answers(victim="yes"))
    assert state.questions["victim_assessment"].applicable
    assert "victim_assessment" in state.unanswered()


def test_matrix_rows_follow_the_needs_identified():
    state = evaluate_form(FW, COMMUNITY, answers(needs=["drug_misuse"]))
    partners = state.questions["partners"]
    assert partners.applicable and partners.applicable_rows == ("drug_misuse",)
    assert "partners" in state.unanswered()
    done = evaluate_form(FW, COMMUNITY, answers(
        needs=["drug_misuse"], partners={"drug_misuse": "yes"}))
    assert "partners" not in done.unanswered()


def test_matrix_not_applicable_without_needs():
    assert not evaluate_form(FW, COMMUNITY, {}).questions["partners"].applicable


def test_hidden_answers_do_not_count_or_trigger():
    # victim_assessment answered, then victim changed to "no": ignored, not missing
    state = evaluate_form(FW, COMMUNITY, answers(victim="no", victim_assessment="yes"))
    assert not state.questions["victim_assessment"].counted
    assert "victim_assessment" not in state.unanswered()


def test_a_no_needs_reason_and_evidence():
    state = evaluate_form(FW, COMMUNITY, answers(rosh_assessment="no"))
    kinds = [p.kind for p in state.questions["rosh_assessment"].problems]
    assert kinds == [ProblemKind.REASONS_MISSING, ProblemKind.EVIDENCE_MISSING]
    fixed = evaluate_form(FW, COMMUNITY, answers(
        rosh_assessment=("no", ("not_done",), "No assessment on file.")))
    assert fixed.questions["rosh_assessment"].problems == ()


def test_complete_form():
    full = answers(victim="no", needs=["accommodation"], rosh_assessment="yes",
                   barriers="na", partners={"accommodation": "yes"}, officers=1,
                   workload="none", seen_on="2026-01-05")
    state = evaluate_form(FW, COMMUNITY, full)
    assert state.problems() == [] and state.percent == 100
    assert all(s.complete for s in state.sections)
    assert state.next_unanswered() is None


def test_sections_and_progress():
    state = evaluate_form(FW, COMMUNITY, answers(victim="no", needs=["accommodation"]))
    case = state.sections[0]
    assert (case.key, case.applicable, case.answered, case.complete) == ("case", 2, 2, True)
    assert state.applicable_count == 8 and state.answered_count == 2 and state.percent == 25


def test_next_unanswered_moves_forward_and_wraps():
    state = evaluate_form(FW, COMMUNITY, answers(victim="no", needs=["accommodation"]))
    assert state.next_unanswered() == "rosh_assessment"
    assert state.next_unanswered("rosh_assessment") == "barriers"
    assert state.next_unanswered("seen_on") == "rosh_assessment"


def test_optional_question_is_never_missing():
    state = evaluate_form(FW, COMMUNITY, {})
    assert state.questions["comment"].applicable and not state.questions["comment"].counted
