"""Minimal data on laptops: a case reassigned away from an inspector, or of a closed
inspection, leaves their laptop once the central store has acknowledged everything done to
it there (never before), and comes back whole if it returns. Real PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text

from app.bootstrap import build_services
from app.db import models as m
from app.db.opening import open_database
from app.errors import WorkflowError
from app.sync.central import add_user
from app.sync.engine import SyncEngine
from app.sync.purge import purge_released
from tests.conftest import MINI_FRAMEWORKS, TEST_KEY, opened, raw_connection
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, Laptop, laptop, made_up_device
from tests.service import service_in_thread

EVIDENCE = "Partner named in the risk management plan as a victim"
#: every table holding rows of one case, and the columns naming it
CASE_TABLES = {"answers": ("case_id",), "practice_examples": ("case_id",),
               "case_events": ("case_id",), "query_messages": ("case_id",),
               "audit_entries": ("case_id",), "second_marks": ("case_id",),
               "sample_members": ("case_id",), "sample_events": ("case_id", "other_case_id"),
               "case_progress": ("case_id",)}


def held(machine: Laptop, case_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each kind a laptop holds for the case (conflicts included)."""
    path = machine.services.database.path
    with contextlib.closing(raw_connection(path)) as conn:
        counts = {"cases": conn.execute("SELECT count(*) FROM cases WHERE id = ?",
                                        (case_id.hex,)).fetchone()[0]}
        for table, columns in CASE_TABLES.items():
            where = " OR ".join(f"{c} = ?" for c in columns)
            counts[table] = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}",
                                         (case_id.hex,) * len(columns)).fetchone()[0]
        counts["conflicts"] = conn.execute(
            "SELECT count(*) FROM conflicts WHERE entity_id = ? OR "
            "json_extract(yours, '$.case_id') = ? OR json_extract(theirs, '$.case_id') = ?",
            (case_id.hex, str(case_id), str(case_id))).fetchone()[0]
    return counts


def nothing_of(case_id: uuid.UUID, machine: Laptop) -> bool:
    return not any(held(machine, case_id).values())


def released(machine: Laptop) -> dict[uuid.UUID, tuple[str, str]]:
    with machine.services._db.read() as session:
        return {r.case_id: (r.reason, r.state) for r in session.query(m.ReleasedCase)}


def central_rows(url: str, case_id: uuid.UUID) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {"cases": conn.scalar(text("SELECT count(*) FROM cases WHERE id = :c"),
                                       {"c": case_id})}
        for table, columns in CASE_TABLES.items():
            if table != "case_progress":
                where = " OR ".join(f"{c} = :c" for c in columns)
                counts[table] = conn.scalar(text(f"SELECT count(*) FROM {table} WHERE {where}"),
                                            {"c": case_id})
    engine.dispose()
    return counts


def central_answer(url: str, case_id: uuid.UUID, key: str):
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.scalar(text("SELECT value FROM answers WHERE case_id = :c AND "
                                 "question_key = :k"), {"c": case_id, "k": key})
    engine.dispose()
    return value


def reopened(machine: Laptop) -> Laptop:
    """The same laptop after the app is closed and started again."""
    path = machine.services.database.path
    machine.services.close()
    db = open_database(path, user=machine.login, key=TEST_KEY)
    return Laptop(machine.login, opened(build_services(db, MINI_FRAMEWORKS)), machine.url,
                  machine.central)


@dataclass
class Team:
    central: str  # the central database, as its superuser
    one: Laptop  # the lead inspector, whose cases X1 and X2 are
    two: Laptop  # an inspector
    sam: Laptop  # the supervisor
    inspection_id: uuid.UUID
    x1: uuid.UUID
    x2: uuid.UUID


@pytest.fixture
def team(central, tmp_path) -> Team:
    """X1 has a row in every table that hangs off a case, on inspector.one's laptop."""
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    x1 = make_case(one.services, "X1", inspection=inspection, assignee="inspector.one").id
    x2 = make_case(one.services, "X2", inspection=inspection, assignee="inspector.one").id
    forms = one.services.forms
    forms.record_answer(case_id=x1, question_key="rosh_assessment", value="yes")
    forms.record_answer(case_id=x1, question_key="victim", value="yes", evidence=EVIDENCE)
    forms.record_answer(case_id=x2, question_key="victim", value="no")
    one.services.practice.save(case_id=x1, kind="good_practice", narrative="A thorough plan")
    one.services.samples.draw(inspection_id=inspection.id, seed=7)
    one.services.samples.withdraw(case_id=x1, reason="Transferred out of the area")
    one.sync()
    two = laptop(tmp_path, central, "inspector.two", inspections=[inspection.id])
    sam = laptop(tmp_path, central, "supervisor.sam", role="supervisor",
                 inspections=[inspection.id])
    for machine in (two, sam, one):
        machine.sync()
    sam.services.review.raise_query(case_id=x1, question_key="rosh_assessment",
                                    text="Which assessment did you read?")
    sam.services.moderation.request([x1])
    sam.services.moderation.agree(case_id=x1, question_key="rosh_assessment", value="yes",
                                  note="Agreed with the inspector")
    sam.sync()
    one.sync()
    thread = one.services.review.queries(x1)[0]
    one.services.review.respond(thread.id, "The OASys assessment of March")
    one.sync()
    two.sync()
    sam.sync()
    yield Team(central, one, two, sam, inspection.id, x1, x2)
    for machine in (one, two, sam):
        machine.services.close()


def test_a_case_reassigned_away_leaves_the_inspectors_laptop_and_comes_back_whole(team):
    one, two, sam, x1 = team.one, team.two, team.sam, team.x1
    before = held(one, x1)
    assert all(n for table, n in before.items() if table != "conflicts"), before

    sam.services.cases.assign(case_ids=[x1], assignee="inspector.two")
    sam.sync()
    central_before = central_rows(team.central, x1)
    result = one.sync()
    assert result.cases_removed == 1
    assert nothing_of(x1, one)
    assert released(one) == {x1: ("reassigned", "purged")}
    assert [c.reference for c in one.services.cases.list(team.inspection_id)] == ["X2"]
    assert one.services.forms.open(team.x2).answers["victim"].value == "no"
    assert one.services.sync.status().pending_changes == 0
    # the central store and the colleague keep everything
    assert central_rows(team.central, x1) == central_before
    assert central_before["answers"] == 2 and central_before["query_messages"] == 2
    two.sync()
    assert two.services.forms.open(x1).answers["victim"].evidence == EVIDENCE
    assert two.services.cases.get(x1).profile.assignee == "inspector.two"

    # later work on the case by others does not bring it back, and syncing keeps working
    two.services.forms.record_answer(case_id=x1, question_key="officers", value=2)
    two.services.practice.save(case_id=x1, kind="poor_practice", narrative="No home visit")
    two.sync()
    sam.services.review.raise_query(case_id=x1, question_key="officers", text="Two?")
    sam.sync()
    for _ in range(2):
        again = one.sync()
        assert (again.cases_removed, again.cases_restored, again.conflicts) == (0, 0, 0)
        assert nothing_of(x1, one)

    # given back to the inspector: the next sync brings it back whole
    sam.sync()
    sam.services.cases.assign(case_ids=[x1], assignee="inspector.one")
    sam.sync()
    assert two.sync().cases_removed == 1  # given away from inspector.two in turn
    back = one.sync()
    assert back.cases_restored == 1 and back.cases_removed == 0
    assert held(one, x1) == held(sam, x1)
    assert released(one) == {}
    form = one.services.forms.open(x1)
    assert {k: a.value for k, a in form.answers.items() if a.value is not None} == {
        "rosh_assessment": "yes", "victim": "yes", "officers": 2}
    assert one.services.cases.get(x1).answered == 3  # its progress worked out again
    assert len(one.services.review.queries(x1)) == 2
    # and it carries on like any other case
    one.services.forms.record_answer(case_id=x1, question_key="comment", value="Seen")
    carried = one.sync()
    assert carried.applied > 0 and carried.conflicts == carried.refused == 0
    assert central_answer(team.central, x1, "comment") == "Seen"


def test_purge_happens_only_after_acknowledgement(team, monkeypatch):
    one, two, sam, x1 = team.one, team.two, team.sam, team.x1
    # inspector.one, offline, changes an answer on X1 just as the supervisor gives it away
    one.services.forms.record_answer(case_id=x1, question_key="victim", value="no",
                                     evidence="Checked again: no identifiable victim")
    sam.services.cases.assign(case_ids=[x1], assignee="inspector.two")
    sam.sync()

    # the change does not get through (the pull does): the case stays
    monkeypatch.setattr(SyncEngine, "push", lambda self, *args, **kwargs: None)
    first = one.sync()
    monkeypatch.undo()
    assert first.cases_removed == 0 and first.pulled > 0
    assert released(one) == {x1: ("reassigned", "released")}
    assert one.services.forms.open(x1).answers["victim"].value == "no"
    assert one.services.sync.status().pending_changes > 0
    assert purge_released(one.services._db) == set()  # on its own too

    # remembered across a restart
    one = team.one = reopened(one)
    assert released(one) == {x1: ("reassigned", "released")}

    # meanwhile the colleague changes the same answer: the push is a conflict, not an
    # acknowledgement, so the case still stays
    two.sync()
    two.services.forms.record_answer(case_id=x1, question_key="victim", value="yes",
                                     evidence="Named in the police call-outs")
    two.sync()
    second = one.sync()
    assert second.conflicts == 1 and second.cases_removed == 0
    assert held(one, x1)["cases"] == 1
    [conflict] = one.services.conflicts.open()
    assert conflict.case_id == x1

    # the inspector keeps their answer; once it is acknowledged the case goes
    one.services.conflicts.resolve(conflict_id=conflict.id, choice="yours")
    third = one.sync()
    assert third.applied > 0 and third.conflicts == third.refused == 0
    assert third.cases_removed == 1
    assert nothing_of(x1, one)
    assert central_answer(team.central, x1, "victim") == "no"  # not lost centrally
    two.sync()
    assert two.services.forms.open(x1).answers["victim"].value == "no"


def test_closing_the_inspection_removes_its_cases_from_every_laptop(team):
    one, two, sam = team.one, team.two, team.sam
    with pytest.raises(WorkflowError, match="Only the inspection's supervisor or lead"):
        two.services.inspections.close(team.inspection_id)
    assert sam.services.inspections.close(team.inspection_id).status == "closed"
    # nothing leaves before the central store has the closing
    assert purge_released(sam.services._db) == set()
    assert len(sam.services.cases.list(team.inspection_id)) == 2
    central_before = {x: central_rows(team.central, x) for x in (team.x1, team.x2)}

    for machine in (sam, one, two):
        result = machine.sync()
        assert result.cases_removed == 2, machine.login
        assert machine.services.cases.list(team.inspection_id) == []
        summary = machine.services.inspections.get(team.inspection_id)
        assert summary.status == "closed" and summary.case_count == 0
        assert len(machine.services.inspections.team(team.inspection_id)) == 3
        assert nothing_of(team.x1, machine) and nothing_of(team.x2, machine)
    assert {x: central_rows(team.central, x) for x in (team.x1, team.x2)} == central_before

    for machine in (sam, one, two):  # further syncs bring nothing back and do not fail
        quiet = machine.sync()
        assert (quiet.cases_removed, quiet.cases_restored, quiet.refused) == (0, 0, 0)
        assert machine.services.cases.list(team.inspection_id) == []

    # reopened: every laptop gets the cases back at its next sync
    sam.services.inspections.reopen(team.inspection_id)
    assert sam.sync().cases_restored == 2
    for machine in (one, two):
        assert machine.sync().cases_restored == 2, machine.login
        assert held(machine, team.x1) == held(sam, team.x1)
        assert sorted(c.reference for c in machine.services.cases.list(team.inspection_id)) \
            == ["X1", "X2"]
        assert released(machine) == {}


def test_the_central_store_lets_only_a_supervisor_or_lead_inspector_close(team):
    two, sam = team.two, team.sam
    # an inspector's laptop that changes the status without the app's check is refused
    with two.services._db.write() as session:
        session.get(m.Inspection, team.inspection_id).status = "closed"
    assert two.sync().refused == 1
    assert two.services.cases.list(team.inspection_id) != []  # a refusal removes nothing
    # a supervisor may close or reopen an inspection, not change its details
    with sam.services._db.write() as session:
        session.get(m.Inspection, team.inspection_id).name = "Renamed"
    assert sam.sync().refused == 1
    engine = create_engine(team.central)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, status FROM inspections")).one() == (
            "Northshire", "open")
    engine.dispose()


def test_secure_delete_leaves_no_trace_of_a_removed_case(central, tmp_path):
    """On a plain (unencrypted) file the words of a removed case can be looked for
    directly: after the purge and a checkpoint they are in neither the file nor its WAL."""
    planted = "Xylophone-Quartermaster-4711 disclosed at interview"
    add_user(central, login="inspector.one", name="One", role="inspector",
             password=PASSWORD)
    path = tmp_path / "plain.db"
    db = open_database(path, user="inspector.one", key=None)
    one = Laptop("inspector.one", build_services(db, MINI_FRAMEWORKS),
                 service_in_thread(central), central)
    # a plain file keeps no device key: this one is held in memory for the test
    key = made_up_device(db.device_id)
    one.services.sync._device_signature = lambda: key.sign_in
    assert db.pragma("secure_delete") == 1
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection, assignee="inspector.one")
    one.services.forms.record_answer(case_id=case.id, question_key="comment", value=planted)
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes",
                                     evidence=planted)
    one.services.practice.save(case_id=case.id, kind="quotation", narrative=planted)
    one.sync()

    def on_disk() -> bytes:
        with db.engine.connect() as conn:
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        assert busy == 0
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    assert planted.encode() in on_disk()  # the file is plain: the words can be found
    one.services.inspections.close(inspection.id)
    assert one.sync().cases_removed == 1
    assert planted.encode() not in on_disk()
    one.services.close()
