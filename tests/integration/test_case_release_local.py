"""Closing an inspection and removing released cases, on one laptop's database: who may
close, what the history tables still refuse, and that removal writes nothing to send."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from sqlcipher3 import dbapi2 as sqlite3

from app.db import migrate
from app.db.engine import create_sqlite_engine
from app.db.opening import open_database
from app.errors import WorkflowError
from app.sync.purge import CASE_ROWS, purge_released
from tests.conftest import TEST_KEY, open_as, raw_connection
from tests.integration.helpers import make_case, make_inspection

HISTORY = ("case_events", "query_messages", "audit_entries", "second_marks")


@pytest.fixture
def team(mini, db_path):
    """inspector.one (the fixture's user) leads; a supervisor, an inspector and someone
    not on the team use the same laptop database."""
    inspection = make_inspection(mini)
    for person, role in (("supervisor.sam", "supervisor"), ("inspector.two", "inspector")):
        mini.inspections.add_member(inspection_id=inspection.id, person=person, role=role)
    others = {login: open_as(db_path, login)
              for login in ("supervisor.sam", "inspector.two", "someone.else")}
    yield mini, others, inspection
    for other in others.values():
        other.close()


def outbox(db_path) -> list[tuple]:
    with contextlib.closing(raw_connection(db_path)) as conn:
        return conn.execute("SELECT * FROM outbox ORDER BY seq").fetchall()


def acknowledge_all(db_path) -> None:
    """What a push does once the central store has applied everything."""
    with contextlib.closing(raw_connection(db_path)) as conn:
        conn.execute("DELETE FROM outbox")
        conn.commit()


def test_only_the_supervisor_or_lead_inspector_closes_an_inspection(team, db_path):
    lead, others, inspection = team
    for login in ("inspector.two", "someone.else"):
        with pytest.raises(WorkflowError, match="Only the inspection's supervisor or lead "
                                                "inspector can close it"):
            others[login].inspections.close(inspection.id)
    assert lead.inspections.get(inspection.id).status == "open"
    before = len(outbox(db_path))
    assert others["supervisor.sam"].inspections.close(inspection.id).status == "closed"
    # an ordinary change, sent with the next sync
    [change] = outbox(db_path)[before:]
    assert change[2] == "inspections" and '"status": "closed"' in change[7]
    with pytest.raises(WorkflowError, match="already closed"):
        lead.inspections.close(inspection.id)
    with pytest.raises(WorkflowError, match="can reopen it"):
        others["inspector.two"].inspections.reopen(inspection.id)
    assert lead.inspections.reopen(inspection.id).status == "open"
    assert lead.inspections.close(inspection.id).status == "closed"


def test_history_rows_are_removed_only_while_their_case_is_being_purged(team, db_path):
    lead, others, inspection = team
    sam = others["supervisor.sam"]
    case = make_case(lead, "X1", inspection=inspection)
    lead.forms.record_answer(case_id=case.id, question_key="rosh_assessment", value="yes")
    sam.review.raise_query(case_id=case.id, question_key="rosh_assessment", text="Why?")
    sam.moderation.request([case.id])
    sam.moderation.agree(case_id=case.id, question_key="rosh_assessment", value="yes",
                         note="Agreed")
    assert lead.database.check().ok
    with contextlib.closing(raw_connection(db_path)) as conn:
        conn.execute("INSERT INTO released_cases (case_id, inspection_id, reason, state, "
                     "released_at) VALUES (?, ?, 'closed', 'released', '2026-11-25')",
                     (case.id.hex, inspection.id.hex))
        conn.commit()
        for table in HISTORY:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
            with pytest.raises(sqlite3.IntegrityError, match="never changed or removed"):
                conn.execute(f"DELETE FROM {table}")
        # the purge marks the case in the same transaction as it removes the rows
        conn.execute("UPDATE released_cases SET state = 'purging'")
        for table in HISTORY:
            with pytest.raises(sqlite3.IntegrityError, match="never changed or removed"):
                conn.execute(f"UPDATE {table} SET updated_by = 'someone'")
            conn.execute(f"DELETE FROM {table}")
        conn.rollback()
        assert all(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                   for table in HISTORY)


def test_a_history_row_is_removed_only_once_a_refusal_keeps_it(team, db_path):
    """A history row made here that the central store refused may leave the laptop, since
    the refusal keeps it; not a row whose refusal keeps nothing of it, nor any other row."""
    lead, others, inspection = team
    case = make_case(lead, "X1", inspection=inspection)
    for question in ("victim", "officers"):
        others["supervisor.sam"].review.raise_query(case_id=case.id, question_key=question,
                                                     text="Which record says so?")
    with contextlib.closing(raw_connection(db_path)) as conn:
        first, second = (row[0] for row in conn.execute(
            "SELECT id FROM query_messages ORDER BY rowid"))

        def refusal(entity_id: str, yours: str | None, theirs: str | None) -> None:
            conn.execute("INSERT INTO conflicts (id, kind, detail, entity, entity_id, yours, "
                         "theirs, theirs_by, detected_at) VALUES (?, 'refused', '', "
                         "'query_messages', ?, ?, ?, '', '2026-12-07')",
                         (uuid.uuid4().hex, entity_id, yours, theirs))

        refusal(second, None, None)  # a refusal that keeps nothing of the row
        with pytest.raises(sqlite3.IntegrityError, match="never changed or removed"):
            conn.execute("DELETE FROM query_messages WHERE id = ?", (second,))
        refusal(second, "null", "null")  # as a JSON column holds None
        with pytest.raises(sqlite3.IntegrityError, match="never changed or removed"):
            conn.execute("DELETE FROM query_messages WHERE id = ?", (second,))
        refusal(first, '{"kept": true}', "null")
        with pytest.raises(sqlite3.IntegrityError, match="never changed or removed"):
            conn.execute("DELETE FROM query_messages")  # the other stays
        conn.execute("DELETE FROM query_messages WHERE id = ?", (first,))
        assert [row[0] for row in conn.execute("SELECT id FROM query_messages")] == [second]
        conn.rollback()


def test_every_table_that_refers_to_a_case_is_purged():
    assert {table.name: tuple(c.key for c in columns) for table, columns in CASE_ROWS.items()} \
        == {"answers": ("case_id",), "practice_examples": ("case_id",),
            "sample_members": ("case_id",),
            "sample_events": ("case_id", "other_case_id"), "case_events": ("case_id",),
            "query_messages": ("case_id",), "audit_entries": ("case_id",),
            "second_marks": ("case_id",), "case_progress": ("case_id",)}


def test_removing_a_released_case_writes_nothing_to_send(team, db_path):
    lead, _others, inspection = team
    x1 = make_case(lead, "X1", inspection=inspection, assignee="inspector.one")
    x2 = make_case(lead, "X2", inspection=inspection, assignee="inspector.one")
    lead.forms.record_answer(case_id=x1.id, question_key="victim", value="yes")
    acknowledge_all(db_path)
    lead.forms.record_answer(case_id=x2.id, question_key="victim", value="no")  # not sent

    # the lead gives their own case away: it waits until that change is acknowledged
    lead.cases.assign(case_ids=[x1.id], assignee="inspector.two")
    assert purge_released(lead._db) == set()
    assert lead.cases.get(x1.id).profile.assignee == "inspector.two"
    with contextlib.closing(raw_connection(db_path)) as conn:
        conn.execute("DELETE FROM outbox WHERE entity IN ('cases', 'audit_entries') "
                     "AND json_extract(payload, '$.case_id') IS NOT ?", (str(x2.id),))
        conn.commit()
    waiting = outbox(db_path)
    assert waiting  # X2's answer

    assert purge_released(lead._db) == {x1.id}
    assert outbox(db_path) == waiting
    assert [c.reference for c in lead.cases.list(inspection.id)] == ["X2"]
    assert lead.forms.open(x2.id).answers["victim"].value == "no"
    assert lead.sync.status().pending_changes == 1


def test_the_case_forms_of_a_closed_inspection_cannot_be_changed(team):
    lead, _others, inspection = team
    case = make_case(lead, "X1", inspection=inspection)
    lead.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    lead.inspections.close(inspection.id)
    form = lead.forms.open(case.id)
    assert form.editable is False and form.inspection_closed is True
    for change in (
            lambda: lead.forms.record_answer(case_id=case.id, question_key="victim",
                                             value="no"),
            lambda: lead.cases.update_profile(case_id=case.id,
                                              profile=lead.cases.get(case.id).profile),
            lambda: lead.practice.save(case_id=case.id, kind="good_practice",
                                       narrative="Kept")):
        with pytest.raises(WorkflowError, match="is closed, so case X1 cannot be changed"):
            change()
    assert lead.review.actions(case.id) == [] and lead.review.state(case.id).actions == ()
    for move in (lambda: lead.review.submit(case.id),
                 lambda: lead.review.raise_query(case_id=case.id, question_key="victim",
                                                 text="Which partner?")):
        with pytest.raises(WorkflowError, match="is closed, so case X1 cannot be changed"):
            move()
    with pytest.raises(WorkflowError, match="is closed, so no case can be added to it"):
        make_case(lead, "X2", inspection=inspection)
    assert [c.reference for c in lead.cases.list(inspection.id)] == ["X1"]
    assert lead.cases.get(case.id).status == "in_progress"
    assert lead.review.queries(case.id) == []
    assert lead.forms.open(case.id).answers["victim"].value == "yes"
    lead.inspections.reopen(inspection.id)
    assert lead.forms.open(case.id).editable is True
    lead.forms.record_answer(case_id=case.id, question_key="victim", value="no")


def test_a_closed_inspection_keeps_its_cases_until_the_closing_is_acknowledged(team, db_path):
    lead, _others, inspection = team
    make_case(lead, "X1", inspection=inspection)
    acknowledge_all(db_path)
    lead.inspections.close(inspection.id)
    assert purge_released(lead._db) == set()
    acknowledge_all(db_path)
    assert len(purge_released(lead._db)) == 1
    assert lead.cases.list(inspection.id) == []
    assert lead.inspections.get(inspection.id).status == "closed"
    assert lead.database.check().ok


def test_secure_delete_is_on(db):
    assert db.pragma("secure_delete") == 1


def history_triggers(db_path) -> dict[str, str]:
    with contextlib.closing(raw_connection(db_path)) as conn:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND name LIKE '%_no_delete'"))


def test_downgrading_restores_the_history_triggers_that_refuse_every_delete(db, db_path):
    upgraded = history_triggers(db_path)
    assert all("purging" in upgraded[f"{table}_no_delete"] for table in HISTORY)
    assert "purging" not in upgraded["export_log_no_delete"]
    db.close()
    engine = create_sqlite_engine(db_path, TEST_KEY)
    migrate.downgrade(engine, "0005")
    engine.dispose()
    downgraded = history_triggers(db_path)
    assert set(downgraded) == set(upgraded)
    assert not any("WHEN" in sql for sql in downgraded.values())
    with contextlib.closing(raw_connection(db_path)) as conn:
        assert not conn.execute("SELECT count(*) FROM sqlite_master "
                                "WHERE name = 'released_cases'").fetchone()[0]
    open_database(db_path, user="inspector.one", key=TEST_KEY).close()
    assert history_triggers(db_path) == upgraded
