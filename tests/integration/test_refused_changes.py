"""A change the central store would refuse is refused on the laptop first; one it refuses
all the same (the laptop did not know yet) gives way to what the store holds, and is kept
for the person to see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db.models import Answer
from app.errors import WorkflowError
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import laptop


@pytest.fixture
def team(central, tmp_path):
    """inspector.one's inspection with case X1 answered (3 officers), synced; its supervisor
    has synced it down."""
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.services.forms.record_answer(case_id=case.id, question_key="officers", value=3)
    one.sync()
    supervisor = laptop(tmp_path, central, "sup.visor", role="supervisor",
                        inspections=[inspection.id])
    supervisor.sync()
    return one, supervisor, inspection, case


def test_a_supervisor_reads_a_case_form_but_the_laptop_refuses_their_answers(team):
    _one, supervisor, _inspection, case = team
    form = supervisor.services.forms.open(case.id)
    assert form.reviewing and not form.editable
    with pytest.raises(WorkflowError, match="reviews answers but does not change them"):
        supervisor.services.forms.record_answer(case_id=case.id, question_key="officers",
                                                value=5)
    assert supervisor.services.forms.open(case.id).answers["officers"].value == 3
    assert supervisor.services.sync.status().pending_changes == 0


def test_an_edit_the_store_refuses_gives_way_to_what_it_holds_and_is_kept_in_the_refusal(
        team):
    _one, supervisor, _inspection, case = team
    # as a laptop of an earlier version did, which let a supervisor change an answer
    with supervisor.services._db.write() as session:
        answer = session.scalars(select(Answer).where(Answer.case_id == case.id)).one()
        answer.value = 5
    got = supervisor.sync()
    assert got.refused == 2  # the answer, and the audit entry of the change to it
    assert supervisor.services.forms.open(case.id).answers["officers"].value == 3
    (refusal,) = [c for c in supervisor.services.conflicts.open() if c.entity == "answers"]
    assert (refusal.kind, refusal.yours, refusal.theirs) == ("refused", 5, 3)
    assert supervisor.services.sync.status().pending_changes == 0
    assert supervisor.sync().refused == 0  # settled: nothing is sent again


def test_a_refusal_whose_answer_was_lost_still_brings_back_what_the_store_holds(
        team, monkeypatch):
    from app.sync.engine import SyncEngine

    _one, supervisor, _inspection, case = team
    with supervisor.services._db.write() as session:
        answer = session.scalars(select(Answer).where(Answer.case_id == case.id)).one()
        answer.value = 5
    recorded = SyncEngine._record

    def lost(*_args, **_kwargs):  # the store decided; its answer never reached the laptop
        raise ConnectionError("the network went away")

    monkeypatch.setattr(SyncEngine, "_record", lost)
    with pytest.raises(ConnectionError):
        supervisor.sync()
    monkeypatch.setattr(SyncEngine, "_record", recorded)
    got = supervisor.sync()  # the same change again: the store gives the same refusal
    assert got.refused == 2  # the answer, and the audit entry of the change to it
    assert supervisor.services.forms.open(case.id).answers["officers"].value == 3
    (refusal,) = [c for c in supervisor.services.conflicts.open() if c.entity == "answers"]
    assert (refusal.yours, refusal.theirs) == (5, 3)


def test_a_new_answer_the_store_refuses_leaves_the_laptop_and_is_kept_in_the_refusal(team):
    """The store holds none of a refused new answer: the laptop shows the form as the store
    holds it, and the refusal keeps the answer for the person to read."""
    _one, supervisor, _inspection, case = team
    # as a laptop of an earlier version did, which let a supervisor answer
    with supervisor.services._db.write() as session:
        session.add(Answer(case_id=case.id, question_key="victim", value="yes", reasons=[],
                           evidence="Named in the police report."))
    got = supervisor.sync()
    assert got.refused == 2  # the answer, and the audit entry of the change to it
    answers = supervisor.services.forms.open(case.id).answers
    assert "victim" not in answers and answers["officers"].value == 3
    (refusal,) = [c for c in supervisor.services.conflicts.open() if c.entity == "answers"]
    assert (refusal.kind, refusal.yours, refusal.theirs) == ("refused", "yes", None)
    assert refusal.yours_evidence == "Named in the police report."
    assert supervisor.services.sync.status().pending_changes == 0
    assert supervisor.sync().refused == 0
