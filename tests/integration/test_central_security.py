"""Who may see and change what in the central store, tried as each role."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from app.sync.apply import apply_change
from app.sync.central import central_engine, init_central
from app.sync.protocol import Change
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import laptop, person_url


@pytest.fixture
def store(central_url, tmp_path):
    """Inspector one's inspection with one answered case; a colleague on another team; a
    supervisor on the same team; an administrator."""
    init_central(central_url)
    one = laptop(tmp_path, central_url, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    one.sync()
    laptop(tmp_path, central_url, "other.inspector")
    laptop(tmp_path, central_url, "lead.supervisor", role="supervisor",
           inspections=[inspection.id])
    laptop(tmp_path, central_url, "central.admin", role="admin")
    return central_url, inspection, case


def rows(url: str, sql: str, **params) -> list:
    engine = central_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def try_write(url: str, sql: str, **params) -> int | str:
    """Rows changed, or the refusal."""
    engine = central_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(sql), params).rowcount
    except Exception as exc:  # the refusal is the point of the test
        return type(exc).__name__
    finally:
        engine.dispose()


def answer_value(central_url: str, case_id) -> object:
    engine = create_engine(central_url)
    with engine.connect() as conn:
        value = conn.execute(text("SELECT value FROM answers WHERE case_id = :c"),
                             {"c": case_id}).scalar()
    engine.dispose()
    return value


def test_an_inspector_sees_only_their_own_inspections(store):
    central_url, _inspection, _case = store
    outsider = person_url(central_url, "other.inspector")
    for table in ("inspections", "cases", "answers", "inspection_members"):
        assert rows(outsider, f"SELECT * FROM {table}") == [], table
    # question frameworks are shared by everyone; nothing else of the inspection shows
    changes = rows(outsider, "SELECT entity FROM central_changes")
    assert {c.entity for c in changes} == {"frameworks"}
    member = person_url(central_url, "inspector.one")
    assert [r.reference for r in rows(member, "SELECT reference FROM cases")] == ["X1"]
    assert len(rows(person_url(central_url, "central.admin"), "SELECT * FROM cases")) == 1


def test_an_outsider_cannot_write_into_someone_elses_inspection(store):
    central_url, inspection, case = store
    outsider = person_url(central_url, "other.inspector")
    assert try_write(outsider, "UPDATE answers SET value = '\"no\"'") == 0  # sees nothing
    engine = central_engine(outsider)
    with engine.begin() as conn:
        outcome = apply_change(conn, Change(
            uuid.uuid4(), "answers", uuid.uuid4(), "insert", 0, 1,
            {"case_id": str(case.id), "question_key": "officers", "value": 9, "reasons": [],
             "evidence": "", "respondent": "inspector", "device_id": str(uuid.uuid4())}))
        joined = apply_change(conn, Change(
            uuid.uuid4(), "inspection_members", uuid.uuid4(), "insert", 0, 1,
            {"inspection_id": str(inspection.id), "person": "someone.else",
             "role": "inspector", "device_id": str(uuid.uuid4())}))
    engine.dispose()
    assert outcome.status == "refused" and "not allowed" in outcome.detail
    assert joined.status == "refused"  # nobody can add other people to a team
    assert answer_value(central_url, case.id) == "yes"


def test_a_supervisor_reads_answers_but_cannot_change_them(store):
    central_url, _inspection, case = store
    supervisor = person_url(central_url, "lead.supervisor")
    assert [r.value for r in rows(supervisor, "SELECT value FROM answers")] == ["yes"]
    assert try_write(supervisor, "UPDATE answers SET value = '\"no\"'") == "ProgrammingError"
    assert try_write(supervisor, "INSERT INTO answers (id, case_id, question_key, reasons, "
                                 "evidence, respondent, rev, updated_at, updated_by, "
                                 "device_id) VALUES (gen_random_uuid(), :c, 'officers', "
                                 "'[]', '', 'inspector', 1, now(), 'x', gen_random_uuid())",
                     c=case.id) == "ProgrammingError"
    assert answer_value(central_url, case.id) == "yes"


def test_nobody_but_an_administrator_deletes_and_history_is_not_rewritten(store):
    central_url, _inspection, case = store
    member = person_url(central_url, "inspector.one")
    for sql in ("DELETE FROM answers", "DELETE FROM cases", "DELETE FROM central_changes",
                "UPDATE central_changes SET payload = '{}'",
                "UPDATE central_conflicts SET yours = '{}'"):
        assert try_write(member, sql) in ("ProgrammingError", 0), sql
    assert answer_value(central_url, case.id) == "yes"
    assert len(rows(central_url, "SELECT * FROM central_changes")) > 0


@pytest.mark.parametrize("login", ["inspector.one", "lead.supervisor", "central.admin"])
def test_the_audit_trail_and_review_history_are_never_changed_by_anyone(store, login):
    central_url, _inspection, _case = store
    person = person_url(central_url, login)
    trail = "SELECT changes FROM audit_entries ORDER BY updated_at"
    before = rows(central_url, trail)
    assert before  # the answer given is in the trail
    for sql in ("UPDATE audit_entries SET changes = '{}'", "DELETE FROM audit_entries",
                "UPDATE case_events SET note = ''", "DELETE FROM case_events",
                "UPDATE query_messages SET text = ''", "DELETE FROM query_messages"):
        assert try_write(person, sql) == "ProgrammingError", (login, sql)
    assert rows(central_url, trail) == before


def test_who_changed_a_row_is_stamped_by_the_store_not_claimed_by_the_laptop(store):
    central_url, _inspection, _case = store
    stamped = rows(central_url, "SELECT updated_by FROM answers")
    assert [r.updated_by for r in stamped] == ["inspector.one"]
    member = person_url(central_url, "inspector.one")
    logged = "SELECT changed_by FROM central_changes WHERE entity = 'answers'"
    assert [r.changed_by for r in rows(member, logged)] == ["inspector.one"]
    outsider = person_url(central_url, "other.inspector")
    assert rows(outsider, logged) == []


def test_tls_settings_pass_through_the_address(store):
    central_url, _inspection, _case = store
    demanding = person_url(central_url, "inspector.one") + "?sslmode=require"
    engine = central_engine(demanding)
    with pytest.raises(Exception, match=r"(?i)ssl"), engine.connect():  # no TLS offered here
        pass
    engine.dispose()


def test_a_forged_change_is_refused_alone_and_the_rest_of_the_batch_goes_through(store,
                                                                                 tmp_path):
    import datetime as dt

    from app.db import models as m
    central_url, _inspection, case = store
    outsider = laptop(tmp_path / "o", central_url, "other.inspector")
    own = make_case(outsider.services, "Y1", inspection=make_inspection(outsider.services))
    forged = uuid.uuid4()
    with outsider.services._db.write() as session:  # a change aimed at someone else's case
        session.add(m.Outbox(
            change_id=uuid.uuid4(), entity="answers", entity_id=forged, op="insert",
            base_rev=0, rev=1, created_at=dt.datetime.now(dt.UTC), created_by="x",
            device_id=uuid.uuid4(), payload={
                "id": str(forged), "case_id": str(case.id), "question_key": "officers",
                "value": 9, "reasons": [], "evidence": "", "respondent": "inspector",
                "device_id": str(uuid.uuid4())}))
    report = outsider.sync()
    assert report.refused == 1 and report.applied == report.pushed - 1
    assert answer_value(central_url, case.id) == "yes"
    member = person_url(central_url, "other.inspector")
    assert [r.reference for r in rows(member, "SELECT reference FROM cases")] == ["Y1"]
    [refusal] = outsider.services.conflicts.open()
    assert refusal.kind == "refused" and "not allowed" in refusal.detail
    assert outsider.services.sync.status().pending_changes == 0
    assert own.reference == "Y1"


def test_a_central_store_that_never_answers_is_given_up_on(monkeypatch):
    """A server that takes the connection and then says nothing (a captive portal, a
    half-open link) is given up on after the timeout, not waited on for minutes."""
    import socket
    import threading

    from sqlalchemy.exc import OperationalError

    import app.sync.central as central

    monkeypatch.setattr(central, "CONNECT_TIMEOUT_S", 1)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the connection is taken by the system; nothing ever answers on it
    port = silent.getsockname()[1]
    outcome: list[BaseException] = []

    def connect() -> None:
        try:
            central_engine(f"postgresql://inspector:pw@127.0.0.1:{port}/casework").connect()
        except BaseException as exc:  # what ended the attempt is the result
            outcome.append(exc)

    attempt = threading.Thread(target=connect, daemon=True)
    try:
        attempt.start()
        attempt.join(30)
        assert not attempt.is_alive(), "still waiting for a server that never answers"
        assert type(outcome[0]) is OperationalError
    finally:
        silent.close()
