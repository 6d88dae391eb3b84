"""Services on a real SQLite database built by the real migrations."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.config import frameworks_dir
from app.core.dto import NewInspection
from app.core.profile import CaseProfile
from app.db import models as m
from app.db.migrate import SCHEMA_HEAD
from app.errors import (
    DuplicateError,
    FrameworkError,
    NotFoundError,
    ValidationError,
    WorkflowError,
)
from tests.integration.helpers import make_case, make_inspection


def outbox_rows(db, entity_id=None):
    """Outbox rows as plain records, oldest first."""
    with db.read() as session:
        query = select(m.Outbox).order_by(m.Outbox.seq)
        if entity_id is not None:
            query = query.where(m.Outbox.entity_id == entity_id)
        return [SimpleNamespace(**{c.key: getattr(r, c.key) for c in m.Outbox.__table__.columns})
                for r in session.scalars(query)]


def test_create_inspection_pins_framework_and_records_lead(mini, db):
    inspection = make_inspection(mini)
    assert (inspection.framework_key, inspection.framework_version) == ("mini", "1.0")
    with db.read() as session:
        row = session.get(m.Inspection, inspection.id)
        assert row.framework.content == mini.frameworks.shipped()[0].raw
        assert [(p.person, p.role) for p in row.members] == [("inspector.one", "lead_inspector")]
        assert row.updated_by == "inspector.one" and row.device_id == db.device_id
    entities = [r.entity for r in outbox_rows(db)]
    # parents first, so the central store can apply them in order with its foreign keys
    assert entities == ["frameworks", "inspections", "inspection_members"]


def test_inspection_validation(mini):
    with pytest.raises(ValidationError) as info:
        mini.inspections.create(NewInspection(
            name=" ", programme="adult_probation", organisation="", framework_key="mini",
            start_date=dt.date(2026, 5, 2), end_date=dt.date(2026, 5, 1)))
    assert len(info.value.details) == 3
    with pytest.raises(ValidationError, match="for adult probation inspections"):
        mini.inspections.create(NewInspection(name="Y", programme="youth_offending",
                                              organisation="YOS", framework_key="mini"))
    with pytest.raises(NotFoundError, match="no question framework called 'nope'"):
        mini.inspections.create(NewInspection(name="Y", programme="adult_probation",
                                              organisation="X", framework_key="nope"))
    assert mini.inspections.list() == []


def test_a_changed_framework_file_cannot_replace_a_pinned_version(mini, tmp_path):
    make_inspection(mini)
    changed = tmp_path / "frameworks"
    changed.mkdir()
    raw = mini.frameworks.shipped()[0].raw.replace("Small framework", "Edited framework")
    (changed / "mini.json").write_text(raw)
    from app.bootstrap import build_services
    edited = build_services(mini._db, changed)
    with pytest.raises(FrameworkError, match="must never change"):
        make_inspection(edited)
    # the existing inspection still reads its pinned copy
    assert edited.inspections.list()[0].framework_title == "Small framework for tests"


def test_add_case_and_duplicate_reference(mini, db):
    case = make_case(mini, "X100001")
    assert case.status == "not_started" and case.applicable == 7 and case.percent == 0
    with pytest.raises(DuplicateError, match="Case X100001 is already in the inspection"):
        make_case(mini, "x100001")
    assert len(mini.cases.list(case.inspection_id)) == 1
    with pytest.raises(ValidationError, match="'prison' is not one of"):
        make_case(mini, "X100002", phase="prison")
    with pytest.raises(ValidationError, match="needs a reference"):
        make_case(mini, "  ")


def test_same_reference_in_another_inspection_is_fine(mini):
    first = make_inspection(mini)
    second = make_inspection(mini)
    make_case(mini, "X1", inspection=first)
    make_case(mini, "X1", inspection=second)
    assert len(mini.cases.list(second.id)) == 1


def test_record_answer_commits_answer_outbox_and_progress(mini, db):
    case = make_case(mini)
    saved = mini.forms.record_answer(case_id=case.id, question_key="rosh_assessment",
                                     value="no", reasons=["not_done"], evidence="No OASys.")
    assert saved.status == "in_progress" and saved.record.rev == 1
    form = mini.forms.open(case.id)
    answer = form.answers["rosh_assessment"]
    assert (answer.value, answer.reasons, answer.evidence) == ("no", ("not_done",), "No OASys.")
    assert answer.answered_by == "inspector.one"
    assert mini.cases.get(case.id).answered == 1
    with db.read() as session:
        row_id = session.scalar(select(m.Answer.id).where(m.Answer.case_id == case.id))
    changes = outbox_rows(db, row_id)
    assert [(c.op, c.base_rev, c.rev) for c in changes] == [("insert", 0, 1)]
    assert changes[0].payload["value"] == "no" and changes[0].payload["reasons"] == ["not_done"]


def test_a_case_form_is_never_altered_once_read_only_a_new_one_made(mini):
    case = make_case(mini)
    form = mini.forms.open(case.id)
    with pytest.raises(TypeError):
        form.answers["victim"] = None  # read-only: a form changes by becoming a new one
    saved = mini.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    after = form.with_answer(saved)
    assert after.answers["victim"] == saved.record and "victim" not in form.answers
    assert (form.case.status, after.case.status) == ("not_started", "in_progress")
    assert after.state == saved.state and after.answers == mini.forms.open(case.id).answers


def test_changing_an_answer_bumps_rev_and_chains_outbox(mini, db):
    case = make_case(mini)
    for value in ("yes", "no", "yes"):
        mini.forms.record_answer(case_id=case.id, question_key="victim", value=value)
    again = mini.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    assert again.record.rev == 3  # an unchanged answer makes no new revision
    with db.read() as session:
        row_id = session.scalar(select(m.Answer.id).where(m.Answer.question_key == "victim"))
    assert [(c.op, c.base_rev, c.rev) for c in outbox_rows(db, row_id)] == [
        ("insert", 0, 1), ("update", 1, 2), ("update", 2, 3)]


def test_invalid_answer_changes_nothing(mini, db):
    case = make_case(mini)
    before = len(outbox_rows(db))
    with pytest.raises(ValidationError):
        mini.forms.record_answer(case_id=case.id, question_key="officers", value=99)
    with pytest.raises(NotFoundError, match="'nope' is not in the framework"):
        mini.forms.record_answer(case_id=case.id, question_key="nope", value="yes")
    assert len(outbox_rows(db)) == before
    assert mini.forms.open(case.id).answers == {}
    assert mini.cases.get(case.id).status == "not_started"


def test_batch_is_all_or_nothing(mini):
    from app.core.answers import AnswerInput
    case = make_case(mini)
    with pytest.raises(ValidationError):
        mini.forms.record_answers(case_id=case.id, answers={
            "victim": AnswerInput("yes"), "officers": AnswerInput(-1)})
    assert mini.forms.open(case.id).answers == {}


def test_check_for_errors_follows_profile_and_answers(mini):
    case = make_case(mini, phase="licence")
    keys = [p.question_key for p in mini.forms.check_for_errors(case.id)]
    assert "custody_planning" in keys
    mini.cases.update_profile(case_id=case.id, profile=CaseProfile(phase="community"))
    keys = [p.question_key for p in mini.forms.check_for_errors(case.id)]
    assert "custody_planning" not in keys
    assert mini.cases.get(case.id).applicable == 7


def test_profile_update_and_reference_change(mini, db):
    case = make_case(mini, "X1")
    make_case(mini, "X2")
    with pytest.raises(DuplicateError):
        mini.cases.update_profile(case_id=case.id, profile=case.profile, reference="X2")
    updated = mini.cases.update_profile(case_id=case.id, reference="X1A", notes="Transferred",
                                        profile=CaseProfile(phase="custody", gender="female"))
    assert (updated.reference, updated.profile.gender, updated.notes) == ("X1A", "female",
                                                                         "Transferred")
    assert [(c.op, c.rev) for c in outbox_rows(db, case.id)] == [("insert", 1), ("update", 2)]


def test_locked_case_refuses_edits_in_the_service(mini, db):
    case = make_case(mini)
    with db.write() as session:
        session.get(m.Case, case.id).status = "approved"
    with pytest.raises(WorkflowError, match="approved"):
        mini.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    with pytest.raises(WorkflowError, match="locked"):
        mini.practice.save(case_id=case.id, kind="good_practice", narrative="x")
    with pytest.raises(WorkflowError, match="approved"):
        mini.cases.update_profile(case_id=case.id, profile=CaseProfile(phase="custody"))
    assert mini.cases.get(case.id).profile.phase == "community"
    assert mini.forms.open(case.id).editable is False


def test_practice_examples(mini, db):
    case = make_case(mini)
    saved = mini.practice.save(case_id=case.id, kind="quotation", narrative=" \"It helped.\" ",
                               speaker_role="service_user", stage="implementation",
                               theme="Engagement", cleared_for_publication=True)
    assert saved.narrative == "\"It helped.\"" and saved.cleared_for_publication
    mini.practice.save(case_id=case.id, example_id=saved.id, kind="quotation",
                       narrative="\"It really helped.\"", speaker_role="service_user")
    assert [e.narrative for e in mini.practice.list(case.id)] == ["\"It really helped.\""]
    mini.practice.remove(case_id=case.id, example_id=saved.id)
    assert mini.practice.list(case.id) == []
    assert [c.op for c in outbox_rows(db, saved.id)] == ["insert", "update", "update"]
    with pytest.raises(ValidationError) as info:
        mini.practice.save(case_id=case.id, kind="gossip", narrative="", stage="lunch")
    assert len(info.value.details) == 3
    with pytest.raises(NotFoundError):
        mini.practice.remove(case_id=case.id, example_id=uuid.uuid4())


def test_a_practice_example_is_changed_only_through_its_own_case_and_only_while_kept(mini, db):
    case, other = make_case(mini), make_case(mini, reference="X200")
    example = dict(kind="good_practice", narrative="Planned with the victim in mind.")
    saved = mini.practice.save(case_id=case.id, **example)
    mini.practice.save(case_id=case.id, example_id=saved.id, **example)  # unchanged
    with pytest.raises(NotFoundError):  # another case's example, named through this one
        mini.practice.save(case_id=other.id, example_id=saved.id, **example)
    with pytest.raises(NotFoundError):
        mini.practice.remove(case_id=other.id, example_id=saved.id)
    mini.practice.remove(case_id=case.id, example_id=saved.id)
    with pytest.raises(NotFoundError):  # removed: it cannot be changed back into sight
        mini.practice.save(case_id=case.id, example_id=saved.id, **example)
    # the unchanged save made no revision to send: only the adding and the removal
    assert [c.op for c in outbox_rows(db, saved.id)] == ["insert", "update"]


def test_the_first_answer_and_the_case_it_starts_are_written_together(mini, db):
    case = make_case(mini)
    saved = mini.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    assert saved.status == "in_progress"
    with db.read() as session:
        started = session.get(m.Case, case.id)
        # one write: the case's new status and the answer carry the same moment
        assert started.status == "in_progress" and started.updated_at == saved.record.answered_at


def test_failed_write_leaves_no_outbox_row(mini, db):
    make_case(mini, "X1")
    before = len(outbox_rows(db))
    with pytest.raises(RuntimeError), db.write() as session:
        session.add(m.Case(inspection_id=mini.inspections.list()[0].id, reference="X9"))
        session.flush()
        raise RuntimeError("the user action failed after the flush")
    assert len(outbox_rows(db)) == before


def test_database_check_and_backup(mini, tmp_path):
    make_case(mini)
    report = mini.database.check()
    assert report.ok and report.counts["cases"] == 1
    assert report.schema_revision == SCHEMA_HEAD
    target = mini.database.backup(tmp_path / "copy.db")
    assert not list(tmp_path.glob("*.partial*"))
    from tests.conftest import MINI_FRAMEWORKS, open_as
    copy = open_as(target, "auditor", MINI_FRAMEWORKS)
    assert [c.reference for c in copy.cases.list(copy.inspections.list()[0].id)] == ["X100001"]
    copy.close()


@pytest.mark.parametrize("programme", ["adult_probation", "youth_offending"])
def test_demo_inspection_has_forms_in_every_state(services, programme):
    summary = services.demo.create(cases=15, seed=11, programme=programme)
    cases = services.cases.list(summary.id)
    assert len(cases) == 15
    percents = [c.percent for c in cases]
    assert 0 in percents and 100 in percents and any(0 < p < 100 for p in percents)
    complete = next(c for c in cases if c.percent == 100)
    assert services.forms.check_for_errors(complete.id) == []
    youth = programme == "youth_offending"
    assert {c.profile.provider for c in cases} <= ({"yot"} if youth else {"nps", "crc"})
    assert len({c.profile.ethnicity for c in cases}) > 1


def test_the_demo_team_owns_the_cases_and_every_review_state_is_there(services, db_path):
    from tests.conftest import open_as

    summary = services.demo.create(cases=40, seed=2)
    cases = services.cases.list(summary.id)
    team = {m.person: m.role for m in services.inspections.team(summary.id)}
    assert team == {"inspector.one": "lead_inspector", "inspector.amir": "inspector",
                    "inspector.bea": "inspector", "supervisor.sam": "supervisor"}
    assert {c.profile.assignee for c in cases} == {"inspector.one", "inspector.amir",
                                                   "inspector.bea"}
    statuses = {c.status for c in cases}
    assert statuses == {"not_started", "in_progress", "submitted", "returned", "approved"}
    returned = next(c for c in cases if c.status == "returned")
    assert "Please evidence" in services.review.state(returned.id).returned_note
    threads = [t for c in cases for t in services.review.queries(c.id)]
    assert {len(t.messages) for t in threads} >= {1, 2}  # open, and answered
    from app.core.second_marking import SECOND_MARKING

    asked = [c for c in cases if any(e.action == SECOND_MARKING
                                     for e in services.review.events(c.id))]
    assert asked and {c.status for c in asked} == {"approved"}  # some asked for second marking
    assert services.ratings.rate(summary.id).cases >= 3  # approved forms to count
    supervisor = open_as(db_path, "supervisor.sam", frameworks_dir())
    try:  # the supervisor's side, on the same demonstration
        assert supervisor.review.queue(summary.id)
        assert supervisor.review.actions(next(
            c.id for c in cases if c.status == "submitted")) == ["return", "approve"]
    finally:
        supervisor.close()
