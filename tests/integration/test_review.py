"""Supervisors' review in the service layer: moves per role, locks, queries, dip sampling,
history and the audit trail, on a real SQLite database shared by two people."""

from __future__ import annotations

import random

import pytest
from sqlcipher3 import dbapi2 as sqlite3

from app.core.answers import AnswerInput
from app.core.demo import demo_answers
from app.errors import ValidationError, WorkflowError
from tests.conftest import MINI_FRAMEWORKS, open_as, raw_connection
from tests.integration.helpers import make_case, make_inspection


def complete(services, case_id, seed: int = 1) -> None:
    """Answer every applicable question, as an inspector finishing the form would."""
    form = services.forms.open(case_id)
    answers = demo_answers(form.framework, form.case.profile, "complete", random.Random(seed))
    services.forms.record_answers(case_id=case_id, answers={
        k: AnswerInput(value=v, reasons=tuple(r), evidence=e)
        for k, (v, r, e) in answers.items()})


@pytest.fixture
def team(mini, db_path):
    """The lead inspector (the fixture's user), a supervisor and a case."""
    inspection = make_inspection(mini)
    mini.inspections.add_member(inspection_id=inspection.id, person="supervisor.sam",
                                role="supervisor")
    case = make_case(mini, "X1", inspection=inspection)
    supervisor = open_as(db_path, "supervisor.sam", MINI_FRAMEWORKS)
    yield mini, supervisor, inspection, case
    supervisor.close()


def test_submit_return_resubmit_approve_then_unlock(team):
    inspector, supervisor, _inspection, case = team
    inspector.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    with pytest.raises(WorkflowError, match="questions still to answer"):
        inspector.review.submit(case.id)
    complete(inspector, case.id)
    assert inspector.review.actions(case.id) == ["submit"]
    assert supervisor.review.actions(case.id) == []
    assert inspector.review.submit(case.id) == "submitted"
    with pytest.raises(WorkflowError, match="submitted, so its answers cannot be changed"):
        inspector.forms.record_answer(case_id=case.id, question_key="officers", value=3)

    assert supervisor.review.actions(case.id) == ["return", "approve"]
    with pytest.raises(WorkflowError, match="Only a supervisor"):
        inspector.review.return_case(case.id, "Look again")
    with pytest.raises(WorkflowError, match="needs a comment"):
        supervisor.review.return_case(case.id, " ")
    assert supervisor.review.return_case(case.id, "Evidence for the victim question") \
        == "returned"
    inspector.forms.record_answer(case_id=case.id, question_key="officers", value=3)
    assert inspector.review.submit(case.id) == "resubmitted"

    with pytest.raises(WorkflowError, match="sign-off does not match"):
        supervisor.review.approve(case.id, "inspector.one")
    assert supervisor.review.approve(case.id, "Supervisor.Sam") == "approved"
    for attempt in (
            lambda: inspector.forms.record_answer(case_id=case.id, question_key="officers",
                                                  value=4),
            lambda: supervisor.forms.record_answer(case_id=case.id, question_key="officers",
                                                   value=4),
            lambda: inspector.practice.save(case_id=case.id, kind="good_practice",
                                            narrative="Thorough plan"),
    ):
        with pytest.raises(WorkflowError):
            attempt()
    assert inspector.forms.open(case.id).answers["officers"].value == 3

    with pytest.raises(WorkflowError, match="needs a reason"):
        supervisor.review.unlock(case.id, "")
    assert supervisor.review.unlock(case.id, "Wrong sentence type recorded") == "returned"
    history = [(e.action, e.from_status, e.to_status, e.by)
               for e in inspector.review.events(case.id)]
    assert history == [
        ("submit", "in_progress", "submitted", "inspector.one"),
        ("return", "submitted", "returned", "supervisor.sam"),
        ("submit", "returned", "resubmitted", "inspector.one"),
        ("approve", "resubmitted", "approved", "supervisor.sam"),
        ("unlock", "approved", "returned", "supervisor.sam"),
    ]
    assert inspector.review.events(case.id)[1].note == "Evidence for the victim question"


def test_someone_not_on_the_team_can_make_no_move(team, db_path):
    inspector, _supervisor, _inspection, case = team
    complete(inspector, case.id)
    stranger = open_as(db_path, "someone.else", MINI_FRAMEWORKS)
    try:
        assert stranger.review.actions(case.id) == []
        with pytest.raises(WorkflowError):
            stranger.review.submit(case.id)
        with pytest.raises(WorkflowError):
            stranger.review.raise_query(case_id=case.id, question_key="victim", text="Why?")
    finally:
        stranger.close()
    assert inspector.cases.get(case.id).status == "in_progress"


def test_a_query_is_raised_answered_and_closed_on_one_answer(team):
    inspector, supervisor, _inspection, case = team
    complete(inspector, case.id)
    inspector.review.submit(case.id)
    with pytest.raises(WorkflowError, match="Only a supervisor"):
        inspector.review.raise_query(case_id=case.id, question_key="victim", text="Why?")
    with pytest.raises(ValidationError):
        supervisor.review.raise_query(case_id=case.id, question_key="victim", text=" ")
    query = supervisor.review.raise_query(case_id=case.id, question_key="victim",
                                          text="Which record names the victim?")
    [thread] = inspector.review.queries(case.id)
    assert (thread.id, thread.question_key, thread.status, thread.raised_by) == (
        query, "victim", "open", "supervisor.sam")
    with pytest.raises(WorkflowError, match="Only a supervisor"):
        inspector.review.close_query(query)
    inspector.review.respond(query, "The police call-out log of 3 March.")
    assert supervisor.review.queries(case.id)[0].status == "responded"
    supervisor.review.close_query(query, "Thank you")
    [thread] = inspector.review.queries(case.id)
    assert [(m.kind, m.by) for m in thread.messages] == [
        ("raise", "supervisor.sam"), ("respond", "inspector.one"), ("close", "supervisor.sam")]
    assert thread.status == "closed"
    with pytest.raises(WorkflowError, match="already closed"):
        inspector.review.respond(query, "More")


def test_the_queue_lists_cases_waiting_for_review_with_open_queries(team):
    inspector, supervisor, inspection, case = team
    other = make_case(inspector, "X2", inspection=inspection)
    for c in (case, other):
        complete(inspector, c.id)
    inspector.review.submit(case.id)
    supervisor.review.raise_query(case_id=case.id, question_key="victim", text="Source?")
    [item] = supervisor.review.queue(inspection.id)
    assert (item.case.reference, item.case.status, item.open_queries, item.inspection_name) \
        == ("X1", "submitted", 1, "Northshire")
    inspector.review.submit(other.id)
    assert [i.case.reference for i in supervisor.review.queue()] == ["X1", "X2"]


def test_a_share_of_cases_is_marked_for_dip_sampling_reproducibly(team):
    inspector, supervisor, inspection, _case = team
    for n in range(2, 11):
        make_case(inspector, f"X{n}", inspection=inspection)
    with pytest.raises(WorkflowError):
        inspector.review.mark_dip_sample(inspection_id=inspection.id, share=0.2)
    with pytest.raises(ValidationError):
        supervisor.review.mark_dip_sample(inspection_id=inspection.id, share=1.5)
    first = supervisor.review.mark_dip_sample(inspection_id=inspection.id, share=0.2, seed=7)
    assert len(first) == 2
    second = supervisor.review.mark_dip_sample(inspection_id=inspection.id, share=0.2, seed=7)
    assert len(second) == 2 and not set(first) & set(second)  # never marked twice


def test_the_audit_trail_records_each_change_once_with_old_and_new(team, db_path):
    inspector, supervisor, _inspection, case = team
    inspector.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    inspector.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    inspector.forms.record_answer(case_id=case.id, question_key="victim", value="no",
                                  evidence="No victim named")
    inspector.cases.assign(case_ids=[case.id], assignee="inspector.one")
    trail = inspector.review.audit(case.id, "victim")
    assert [(a.changes, a.by) for a in trail] == [
        ({"value": (None, "yes")}, "inspector.one"),
        ({"value": ("yes", "no"), "evidence": ("", "No victim named")}, "inspector.one"),
    ]
    assert trail[0].device_id == inspector._db.device_id
    case_trail = inspector.review.audit(case.id)
    changes = [a.changes for a in case_trail if a.entity == "cases"]
    assert {"status": ("not_started", "in_progress")} in changes
    assert {"assignee": (None, "inspector.one")} in changes
    assert len(case_trail) == 4
    supervisor.review.raise_query(case_id=case.id, question_key="victim", text="Source?")
    supervisor.review.mark_dip_sample(inspection_id=case.inspection_id, share=1)
    # nothing in the app changes or removes the trail, and neither can anything else
    with raw_connection(db_path) as conn:
        for sql in ("UPDATE audit_entries SET changes = '{}'", "DELETE FROM audit_entries",
                    "DELETE FROM case_events", "UPDATE query_messages SET text = ''"):
            with pytest.raises(sqlite3.IntegrityError, match="never changed"):
                conn.execute(sql)
    assert len(inspector.review.audit(case.id)) == 4


def test_a_submission_is_taken_back_before_a_supervisor_acts_on_it(team):
    inspector, supervisor, _inspection, case = team
    complete(inspector, case.id)
    inspector.review.submit(case.id)
    assert inspector.review.actions(case.id) == ["take_back"]
    with pytest.raises(WorkflowError, match="Only the inspector can take back"):
        supervisor.review.take_back(case.id)
    assert inspector.review.take_back(case.id) == "in_progress"
    inspector.forms.record_answer(case_id=case.id, question_key="officers", value=5)  # again
    inspector.review.submit(case.id)
    supervisor.review.return_case(case.id, "Evidence for the victim question")
    assert inspector.review.actions(case.id) == ["submit"]  # returned: nothing to take back
    inspector.review.submit(case.id)
    assert inspector.review.take_back(case.id) == "returned"  # where it was before
    inspector.review.submit(case.id)
    supervisor.review.approve(case.id, "supervisor.sam")
    with pytest.raises(WorkflowError, match="approved"):
        inspector.review.take_back(case.id)
    assert [e.action for e in inspector.review.events(case.id)].count("take_back") == 2
    assert "Take back from review" in {h[2].split(" (")[0] for h in _history(inspector, case)}


def _history(services, case):
    from app.core.case_document import case_document

    form = services.forms.open(case.id)
    return case_document(framework=form.framework, case=form.case, inspection_name="",
                         answers=form.answers, state=form.state, queries=[],
                         events=services.review.events(case.id), produced_by="",
                         produced_at=form.case.updated_at).history
