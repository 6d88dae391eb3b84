"""Every move of the case review workflow, allowed and refused, for each kind of person."""

from __future__ import annotations

import itertools

import pytest

from app.core.workflow import (
    Action,
    Actor,
    CaseStatus,
    actor_for,
    allowed_actions,
    can_edit,
    next_status,
)
from app.errors import WorkflowError

S, A = CaseStatus, Action
#: the review workflow as the inspectorate runs it: (from, action, who) -> to
ALLOWED = {
    (S.IN_PROGRESS, A.SUBMIT, Actor.INSPECTOR): S.SUBMITTED,
    (S.RETURNED, A.SUBMIT, Actor.INSPECTOR): S.RESUBMITTED,
    (S.SUBMITTED, A.RETURN, Actor.SUPERVISOR): S.RETURNED,
    (S.RESUBMITTED, A.RETURN, Actor.SUPERVISOR): S.RETURNED,
    (S.SUBMITTED, A.APPROVE, Actor.SUPERVISOR): S.APPROVED,
    (S.RESUBMITTED, A.APPROVE, Actor.SUPERVISOR): S.APPROVED,
    (S.APPROVED, A.UNLOCK, Actor.SUPERVISOR): S.RETURNED,
    # taken back by the inspector while no supervisor has acted on it
    (S.SUBMITTED, A.TAKE_BACK, Actor.INSPECTOR): S.IN_PROGRESS,
    (S.RESUBMITTED, A.TAKE_BACK, Actor.INSPECTOR): S.RETURNED,
}
EVERY_MOVE = list(itertools.product(S, A, [Actor.INSPECTOR, Actor.SUPERVISOR, None]))


@pytest.mark.parametrize(("status", "action", "actor"), EVERY_MOVE)
def test_each_move_is_allowed_only_to_whom_it_belongs(status, action, actor):
    expected = ALLOWED.get((status, action, actor))
    if expected is None:
        with pytest.raises(WorkflowError):
            next_status(status, action, actor, note="Checked with the manager")
    else:
        assert next_status(status, action, actor, note="Checked with the manager") == expected


@pytest.mark.parametrize(("status", "actor"), list(itertools.product(
    S, [Actor.INSPECTOR, Actor.SUPERVISOR, None])))
def test_the_moves_offered_are_exactly_the_allowed_ones(status, actor):
    offered = allowed_actions(status, actor)
    assert offered == [a for a in A if (status, a, actor) in ALLOWED]


@pytest.mark.parametrize(("action", "status", "needs"), [
    (A.RETURN, S.SUBMITTED, "comment"), (A.APPROVE, S.RESUBMITTED, "sign-off"),
    (A.UNLOCK, S.APPROVED, "reason")])
def test_a_return_approval_or_unlock_needs_its_comment_reason_or_sign_off(action, status,
                                                                          needs):
    with pytest.raises(WorkflowError, match=needs):
        next_status(status, action, Actor.SUPERVISOR, note="  ")


def test_submitting_is_refused_while_questions_are_unanswered_or_answers_need_putting_right():
    with pytest.raises(WorkflowError, match="3 questions still to answer and 1 answer to put "
                                            "right"):
        next_status(S.IN_PROGRESS, A.SUBMIT, Actor.INSPECTOR, unanswered=3, problems=1)
    with pytest.raises(WorkflowError, match="1 question still to answer"):
        next_status(S.RETURNED, A.SUBMIT, Actor.INSPECTOR, unanswered=1)
    assert next_status(S.RETURNED, A.SUBMIT, Actor.INSPECTOR) == S.RESUBMITTED


def test_refusals_say_who_may_and_what_to_do():
    with pytest.raises(WorkflowError) as raised:
        next_status(S.SUBMITTED, A.APPROVE, Actor.INSPECTOR, note="me")
    assert raised.value.problem == "Only a supervisor can approve and lock."
    with pytest.raises(WorkflowError) as raised:
        next_status(S.APPROVED, A.SUBMIT, Actor.INSPECTOR)
    assert "locked" in raised.value.advice


def test_only_cases_not_yet_submitted_or_returned_can_be_edited():
    assert {s for s in S if can_edit(s)} == {S.NOT_STARTED, S.IN_PROGRESS, S.RETURNED}


def test_team_roles_map_to_who_submits_and_who_reviews():
    assert [actor_for(r) for r in ("lead_inspector", "inspector", "supervisor", None, "x")] \
        == [Actor.INSPECTOR, Actor.INSPECTOR, Actor.SUPERVISOR, None, None]
