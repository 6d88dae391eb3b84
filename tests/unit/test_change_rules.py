"""The rules the central service applies to every change a laptop sends."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from app.core.change_rules import APPEND_ONLY, QueryStanding, Standing, refusal
from app.core.queries import QueryState
from app.core.second_marking import SecondMarking
from app.core.workflow import MOVES, Actor, CaseStatus, case_editable, case_locked

ME = "inspector.one"
CASE = {"id": "c1", "inspection_id": "i1", "reference": "X1", "status": "in_progress",
        "assignee": ME, "rev": 3}
ANSWER = {"id": "a1", "case_id": "c1", "question_key": "victim", "value": "yes"}


def standing(team_role: str | None = "inspector", account_role: str = "inspector",
             **more) -> Standing:
    values = {"person": ME, "account_role": account_role, "team_role": team_role,
              "inspection_status": "open", "case_status": "in_progress",
              "case_assignee": ME, "assessors": frozenset({ME, "inspector.two"})}
    values.update(more)
    return Standing(**values)


@pytest.mark.parametrize("entity", ["cases", "answers", "practice_examples", "samples",
                                    "sample_events", "query_messages", "audit_entries",
                                    "inspection_members", "case_events", "second_marks"])
def test_nobody_off_the_team_changes_anything_of_an_inspection(entity):
    why = refusal(entity, None, {"id": "x", "case_id": "c1"}, standing(team_role=None))
    assert why == "you are not on this inspection's team"


def test_an_administrator_may_do_what_the_workflow_allows_anyone():
    admin = standing(team_role=None, account_role="admin")
    assert refusal("answers", ANSWER, {**ANSWER, "value": "no"}, admin) is None
    assert refusal("inspection_members", None, {"person": "x", "role": "inspector"},
                   admin) is None


@pytest.mark.parametrize("entity", sorted(APPEND_ONLY))
def test_history_is_written_once_and_never_changed_even_by_an_administrator(entity):
    for who in (standing(), standing(account_role="admin")):
        assert refusal(entity, {"id": "x", "note": "a"}, {"id": "x", "note": "b"},
                       who) == "this record is never changed once written"


def test_answers_change_only_while_the_form_can_and_never_by_a_supervisor():
    edit = {**ANSWER, "value": "no"}
    assert refusal("answers", ANSWER, edit, standing()) is None
    assert refusal("answers", None, ANSWER, standing(case_status="returned")) is None
    for status in ("submitted", "resubmitted", "approved"):
        why = refusal("answers", ANSWER, edit, standing(case_status=status))
        assert why is not None and "cannot change" in why
    assert refusal("answers", ANSWER, edit, standing(inspection_status="closed")) == \
        "the inspection is closed"
    assert "supervisor" in refusal("answers", ANSWER, edit, standing(team_role="supervisor"))


@pytest.mark.parametrize(("was", "now"), list(itertools.permutations(
    [s.value for s in CaseStatus], 2)))
def test_a_case_moves_only_as_the_workflow_says_and_only_by_whom_it_belongs(was, now):
    before, after = {**CASE, "status": was}, {**CASE, "status": now}
    moves = [m for (s, _a), m in MOVES.items() if s == was and m.to == now]
    first_answer = (was, now) == ("not_started", "in_progress")
    for role, actor in (("inspector", Actor.INSPECTOR), ("supervisor", Actor.SUPERVISOR)):
        # the supervisor is not the case's inspector here
        who = standing(team_role=role, case_assignee="someone.else" if role == "supervisor"
                       else ME)
        allowed = any(m.by == actor for m in moves) or (first_answer
                                                        and actor == Actor.INSPECTOR)
        assert (refusal("cases", before, after, who) is None) == allowed, (role, was, now)


def test_nobody_approves_a_case_of_their_own():
    before, after = {**CASE, "status": "submitted"}, {**CASE, "status": "approved"}
    assert refusal("cases", before, after, standing(team_role="supervisor",
                                                    case_assignee="someone.else")) is None
    assert refusal("cases", before, after, standing(team_role="supervisor")) == \
        "nobody approves a case of their own"
    event = {"id": "e", "case_id": "c1", "action": "approve", "from_status": "submitted",
             "to_status": "approved"}
    assert refusal("case_events", None, event, standing(
        team_role="supervisor", case_status="approved")) == "nobody approves a case of their own"


def test_a_supervisor_allocates_and_reviews_cases_but_does_not_edit_them():
    supervisor = standing(team_role="supervisor", case_assignee="someone.else")
    assert refusal("cases", CASE, {**CASE, "assignee": "inspector.two"}, supervisor) is None
    assert "does not change their details" in refusal(
        "cases", CASE, {**CASE, "reference": "X9"}, supervisor)
    assert "only an inspector" in refusal("cases", None, CASE, supervisor)


def test_the_review_history_records_only_real_moves_by_their_author():
    submit = {"id": "e", "case_id": "c1", "action": "submit", "from_status": "in_progress",
              "to_status": "submitted"}
    assert refusal("case_events", None, submit, standing(case_status="submitted")) is None
    assert refusal("case_events", None, {**submit, "to_status": "approved"},
                   standing(case_status="approved")) is not None
    assert refusal("case_events", None, submit, standing(
        team_role="supervisor", case_status="submitted")) is not None
    marking = {"id": "e", "case_id": "c1", "action": "second_marking",
               "from_status": "submitted", "to_status": "submitted"}
    assert refusal("case_events", None, marking, standing(team_role="supervisor")) is None
    assert refusal("case_events", None, marking, standing()) is not None
    # a return needs its comment at the store as on the laptop (a client may leave it out)
    back = {"id": "e", "case_id": "c1", "action": "return", "from_status": "submitted",
            "to_status": "returned", "note": "  "}
    returned = standing(team_role="supervisor", case_status="returned")
    assert refusal("case_events", None, back, returned) == (
        "'Return to the inspector' needs a comment.")
    assert refusal("case_events", None, {**back, "note": "Look at 2.1 again"}, returned) is None


def test_the_team_is_changed_by_its_lead_or_by_whoever_founded_the_inspection():
    member = {"id": "m", "inspection_id": "i1", "person": "inspector.two", "role": "inspector"}
    assert refusal("inspection_members", None, member, standing("lead_inspector")) is None
    assert refusal("inspection_members", None, member, standing()) is not None
    founder = standing(team_role=None, founding=True)
    assert refusal("inspection_members", None, {**member, "person": ME,
                                                "role": "lead_inspector"}, founder) is None
    assert refusal("inspection_members", None, member, founder) is not None


def test_an_inspection_is_closed_by_its_lead_or_supervisor_and_edited_by_its_lead():
    inspection = {"id": str(uuid.uuid4()), "name": "Northshire", "status": "open",
                  "programme": "adult_probation", "sample_design": "random"}
    closed = {**inspection, "status": "closed"}
    renamed = {**inspection, "name": "Southshire"}
    for role in ("lead_inspector", "supervisor"):
        assert refusal("inspections", inspection, closed, standing(role)) is None
    assert refusal("inspections", inspection, closed, standing()) is not None
    assert refusal("inspections", inspection, renamed, standing("lead_inspector")) is None
    for role in ("inspector", "supervisor"):
        assert refusal("inspections", inspection, renamed, standing(role)) is not None
    assert refusal("inspections", inspection, {**inspection, "status": "gone"},
                   standing("lead_inspector")) is not None


def test_an_inspection_holds_pooling_details_the_laptop_would_keep_whoever_sends_it():
    own = str(uuid.uuid4())
    inspection = {"id": own, "name": "Northshire", "status": "open",
                  "programme": "adult_probation", "sample_design": "random", "year": 2019,
                  "organisation_type": "crc", "region": "wales", "reinspects_id": None}
    earlier = {**inspection, "reinspects_id": str(uuid.uuid4()), "sample_design": "targeted"}
    assert refusal("inspections", None, inspection, standing()) is None
    assert refusal("inspections", inspection, earlier, standing("lead_inspector")) is None
    for wrong, named in ((("year", 1066), "year"), (("year", "2019"), "year"),
                         (("organisation_type", "prison_yard"), "organisation type"),
                         (("sample_design", "convenience"), "sample"),
                         (("programme", "parole"), "programme"),
                         (("reinspects_id", own), "re-inspect")):
        changed = {**inspection, wrong[0]: wrong[1]}
        # an administrator is held to them too
        for who in (standing("lead_inspector"), standing(account_role="admin")):
            told = refusal("inspections", inspection, changed, who)
            assert told is not None and named in told, (wrong, told)
        assert refusal("inspections", None, changed, standing()) is not None


def test_frameworks_are_published_not_rewritten():
    framework = {"id": "f", "content": "{}", "content_sha256": "a" * 64}
    assert refusal("frameworks", None, framework, standing(published_framework=True)) is None
    assert refusal("frameworks", None, framework, standing()) == \
        "only an administrator can publish a question framework"
    assert refusal("frameworks", None, framework, standing(account_role="admin")) is None
    assert refusal("frameworks", framework, framework, standing()) is None  # the same again
    assert refusal("frameworks", framework, {**framework, "content_sha256": "b" * 64},
                   standing(account_role="admin")) is not None


def test_a_case_made_offline_reaches_the_store_as_far_as_its_inspector_took_it():
    for status in ("not_started", "in_progress", "submitted"):
        assert refusal("cases", None, {**CASE, "status": status}, standing()) is None
    for status in ("returned", "resubmitted", "approved"):
        assert refusal("cases", None, {**CASE, "status": status}, standing()) is not None


def test_a_record_stays_where_it_was_made():
    for key, other in (("inspection_id", "i2"), ("case_id", "c2"), ("question_key", "other")):
        record = {**ANSWER, "inspection_id": "i1"}
        why = refusal("answers", record, {**record, key: other}, standing(account_role="admin"))
        assert why is not None and key in why
    member = {"id": "m", "inspection_id": "i1", "person": "inspector.two", "role": "inspector"}
    assert "person" in refusal("inspection_members", member,
                               {**member, "person": "central.admin"}, standing("lead_inspector"))


def test_nobody_changes_their_own_place_on_the_team_or_gives_a_role_there_is_not():
    own = {"id": "m", "inspection_id": "i1", "person": ME, "role": "lead_inspector"}
    assert refusal("inspection_members", own, {**own, "role": "supervisor"},
                   standing("lead_inspector")) == "nobody changes their own place on the team"
    assert "not a role" in refusal("inspection_members", None, {
        "id": "n", "inspection_id": "i1", "person": "x", "role": "god"}, standing("lead_inspector"))


def test_cases_go_only_to_the_teams_inspectors_and_a_closed_inspection_takes_no_cases():
    supervisor = standing(team_role="supervisor", case_assignee="someone.else")
    assert "not an inspector on the team" in refusal(
        "cases", CASE, {**CASE, "assignee": ME + ".supervisor"}, supervisor)
    assert refusal("cases", None, CASE, standing(inspection_status="closed")) == \
        "the inspection is closed"
    approved = {**CASE, "status": "approved"}
    assert refusal("cases", approved, {**approved, "reference": "X9"}, standing()) == \
        "the case form is approved (locked): its details and its inspector cannot change"


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("inspection_status", ["open", "closed"])
def test_a_case_form_changes_at_the_store_exactly_when_it_may_on_the_laptop(
        status, inspection_status):
    """One rule (``workflow.case_locked``) for answers, practice examples, and a case's
    details and inspector; a status move is judged by the review workflow instead."""
    may = case_editable(status, inspection_status)
    at = standing(case_status=status, inspection_status=inspection_status)
    answer = {"id": "a", "case_id": "c1", "question_key": "victim", "value": "yes"}
    example = {"id": "p", "case_id": "c1", "narrative": "Good work."}
    case = {**CASE, "status": status}
    for entity, before, after in (("answers", None, answer),
                                  ("practice_examples", None, example),
                                  ("cases", case, {**case, "reference": "X9"}),
                                  ("cases", case, {**case, "assignee": "inspector.two"})):
        why = refusal(entity, before, after, at)
        assert (why is None) == may, (entity, after, why)
        if not may:
            assert why.startswith(case_locked(status, inspection_status))


def test_the_review_history_records_only_moves_the_case_made():
    submit = {"id": "e", "case_id": "c1", "action": "submit", "from_status": "in_progress",
              "to_status": "submitted"}
    assert refusal("case_events", None, submit, standing(case_status="submitted")) is None
    for status in ("in_progress", "approved"):  # not moved, or moved elsewhere
        assert refusal("case_events", None, submit, standing(case_status=status)) is not None


def test_queries_second_marks_and_audit_entries_come_from_whom_they_belong():
    raise_ = {"id": "q", "query_id": "q", "case_id": "c1", "question_key": "victim",
              "kind": "raise"}
    raised = QueryStanding(QueryState.OPEN, "c1", "victim")
    assert refusal("query_messages", None, raise_, standing("supervisor")) is None
    assert refusal("query_messages", None, raise_, standing()) is not None
    reply = {**raise_, "id": "r", "kind": "respond"}
    assert refusal("query_messages", None, reply, standing(query=raised)) is None
    assert refusal("query_messages", None, {**raise_, "kind": "resolve"},
                   standing("supervisor")) is not None
    mark = {"id": "s", "case_id": "c1", "kind": "mark"}
    asked = SecondMarking(asked=True, first_markers=frozenset({"x"}))
    assert refusal("second_marks", None, mark, standing(second_marking=asked)) is not None
    assert refusal("second_marks", None, mark,
                   standing(case_assignee="x", second_marking=asked)) is None
    assert refusal("second_marks", None, {**mark, "kind": "agree"},
                   standing(second_marking=asked)) is not None
    audit = {"id": "a", "case_id": "c1", "entity": "answers"}
    assert refusal("audit_entries", None, audit, standing("supervisor")) is not None
    assert refusal("audit_entries", None, audit, standing()) is None


def test_second_marks_only_of_a_case_chosen_by_someone_else_than_its_first_marker():
    mark = {"id": "s", "case_id": "c1", "kind": "mark", "question_key": "k"}
    theirs = {"case_assignee": "inspector.two", "case_status": "submitted"}
    first = frozenset({"inspector.two"})
    assert refusal("second_marks", None, mark, standing(**theirs)) == \
        "the case was not chosen for second marking"
    asked = SecondMarking(asked=True, first_markers=first)
    assert refusal("second_marks", None, mark, standing(**theirs, second_marking=asked)) is None
    answered = SecondMarking(asked=True, first_markers=first | {ME})  # they answered it too
    assert refusal("second_marks", None, mark, standing(**theirs, second_marking=answered)) \
        == "the case's first marker does not second mark it"
    done = SecondMarking(asked=True, first_markers=first, marked=frozenset({"k"}),
                         agreed=frozenset({"k"}))
    assert refusal("second_marks", None, mark, standing(**theirs, second_marking=done)) == \
        "second marking of the case is finished"
    agreed = {**mark, "kind": "agreed"}
    assert refusal("second_marks", None, agreed, standing("supervisor", **theirs)) == \
        "the case was not chosen for second marking"
    assert refusal("second_marks", None, agreed,
                   standing("supervisor", **theirs, second_marking=asked)) is None
    assert refusal("second_marks", None, agreed, standing(**theirs, second_marking=asked)) \
        == "only a supervisor records the agreed judgement"


def test_an_answer_is_one_its_question_takes_by_the_laptops_own_check():
    from pathlib import Path

    from app.core.framework_loader import load_framework_file

    folder = Path(__file__).resolve().parents[1] / "fixtures" / "frameworks"
    framework = load_framework_file(next(folder.glob("*.json")))
    questions = {q.key: q for q in framework.questions()}
    yes_no = next(q for q in framework.questions() if q.type == "yes_no")
    answer = {**ANSWER, "question_key": yes_no.key, "value": "yes", "reasons": [],
              "evidence": ""}
    checked = standing(questions=questions)
    assert refusal("answers", None, answer, checked) is None
    assert refusal("answers", None, {**answer, "value": [["yes"]]}, checked).startswith(
        "the answer is not one its question takes")
    assert refusal("answers", None, {**answer, "question_key": "made_up"}, checked) == \
        "the inspection's question set has no question 'made_up'"
    assert refusal("answers", None, {**answer, "reasons": "not a list"}, checked) == \
        f"the answer to {yes_no.key} is not one its question takes"
    assert refusal("answers", None, {**answer, "evidence": "x" * 30_000}, checked) \
        .startswith("the answer is not one its question takes")


def test_a_query_message_joins_a_query_as_the_query_stands():
    raise_ = {"id": "q", "query_id": "q", "case_id": "c1", "question_key": "victim",
              "kind": "raise"}
    reply = {**raise_, "id": "r", "kind": "respond"}
    close = {**raise_, "id": "s", "kind": "close"}
    supervisor = {"team_role": "supervisor"}

    def why(message, state, **more):
        query = None if state == "none" else QueryStanding(state, "c1", "victim")
        return refusal("query_messages", None, message, standing(query=query, **more))

    assert "raised by its own first message" in why({**raise_, "query_id": "other"}, "none",
                                                    **supervisor)
    assert "raised once" in why(raise_, QueryState.OPEN, **supervisor)
    assert "no such query" in why(reply, "none")
    assert "closed" in why(reply, QueryState.CLOSED)
    assert "closed" in why(close, QueryState.CLOSED, **supervisor)
    assert why(reply, QueryState.RESPONDED) is None  # a second reply
    assert why(close, QueryState.RESPONDED, **supervisor) is None
    assert "only a supervisor" in why(close, QueryState.OPEN)
    elsewhere = refusal("query_messages", None, {**reply, "question_key": "officers"},
                        standing(query=QueryStanding(QueryState.OPEN, "c1", "victim")))
    assert "answer its query was raised on" in elsewhere


def test_a_rating_is_recorded_by_the_lead_inspector_in_their_own_name_and_well_formed():
    inspection = {"id": str(uuid.uuid4()), "name": "Northshire", "status": "open",
                  "programme": "adult_probation", "sample_design": "random",
                  "rating_decisions": {}}
    decision = {"rating": "Good", "reason": "The panel weighed the partnership work",
                "by": ME, "at": "2026-12-08T10:00:00+00:00"}
    recorded = {**inspection, "rating_decisions": {"overall": decision}}
    assert refusal("inspections", inspection, recorded, standing("lead_inspector")) is None
    for role in ("inspector", "supervisor"):
        assert "only the lead inspector" in refusal("inspections", inspection, recorded,
                                                    standing(role))
    # in another's name: refused
    forged = {**inspection, "rating_decisions": {"overall": {**decision, "by": "lead.two"}}}
    assert "its author's own name" in refusal("inspections", inspection, forged,
                                              standing("lead_inspector"))
    # an administrator is not the lead inspector, and records no rating either
    assert "only the lead inspector" in refusal("inspections", inspection, recorded,
                                                standing(None, account_role="admin"))
    # only for what the framework rates, and not recorded later than now
    lead = standing("lead_inspector", rated_targets={"overall": "The service overall"},
                    now=dt.datetime(2026, 12, 8, 10, 5, tzinfo=dt.UTC))
    assert refusal("inspections", inspection, recorded, lead) is None
    made_up = {**inspection, "rating_decisions": {"zz0": decision}}
    assert "rates no standard zz0" in refusal("inspections", inspection, made_up, lead)
    later = {**inspection, "rating_decisions": {"overall": {
        **decision, "at": "2999-01-01T00:00:00+00:00"}}}
    assert "not later" in refusal("inspections", inspection, later, lead)
    # a decision already there, in its author's name, stays as it is when another is added
    both = {**forged, "rating_decisions": {**forged["rating_decisions"],
                                           "assessment": decision}}
    assert refusal("inspections", forged, both, standing("lead_inspector")) is None
    for wrong, named in ((("rating", "Splendid"), "Splendid"), (("reason", "  "), "reason"),
                         (("reason", "x" * 2001), "2000"), (("at", "yesterday"), "moment")):
        bad = {**inspection, "rating_decisions": {"overall": {**decision,
                                                              wrong[0]: wrong[1]}}}
        told = refusal("inspections", inspection, bad, standing("lead_inspector"))
        assert told is not None and named in told, (wrong, told)
    for record in ({"DROP TABLE": decision}, {"overall": "Good"}, ["overall"],
                   {f"s{i}": decision for i in range(41)}):
        told = refusal("inspections", inspection, {**inspection, "rating_decisions": record},
                       standing("lead_inspector"))
        assert told is not None and "cannot be kept" in told, record
