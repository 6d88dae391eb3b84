"""Two inspectors on their own laptops and the central PostgreSQL store."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, text

from app.sync.central import init_central
from tests.conftest import open_as
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, laptop, two_laptops_on_one_case


@contextlib.contextmanager
def as_person(engine: Engine, login: str) -> Iterator[Connection]:
    """A transaction in ``login``'s database role, as the central service runs each of their
    requests (the role cannot log in; the superuser's engine steps into it)."""
    with engine.begin() as conn:
        conn.execute(text(f"SET LOCAL ROLE {conn.dialect.identifier_preparer.quote(login)}"))
        yield conn


def test_central_schema_has_both_branches(central):
    engine = create_engine(central)
    with engine.connect() as conn:
        heads = sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
        forced = conn.execute(text("SELECT relname FROM pg_class WHERE relforcerowsecurity "
                                   "ORDER BY relname")).scalars().all()
    engine.dispose()
    assert heads == ["c013"]  # the central branch, which depends on the shared schema
    assert {"answers", "cases", "inspections", "central_changes"} <= set(forced)
    assert init_central(central) == ["c013"]  # running it again changes nothing


def test_edits_on_different_questions_merge_and_the_same_question_conflicts(central,
                                                                            tmp_path):
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    first = one.sync()
    assert first.applied == first.pushed > 0 and first.conflicts == 0
    assert one.services.sync.status().pending_changes == 0

    two = laptop(tmp_path, central, "inspector.two", inspections=[inspection.id])
    pulled = two.sync()
    assert pulled.pulled > 0
    assert two.services.forms.open(case.id).answers["victim"].value == "yes"
    assert two.services.cases.get(case.id).answered == 1  # progress worked out after pulling

    # different questions: both kept
    one.services.forms.record_answer(case_id=case.id, question_key="officers", value=2)
    two.services.forms.record_answer(case_id=case.id, question_key="comment", value="Seen")
    one.sync(), two.sync(), one.sync()
    for machine in (one, two):
        answers = machine.services.forms.open(case.id).answers
        assert (answers["officers"].value, answers["comment"].value) == (2, "Seen")

    # the same question: the second to arrive is a conflict, both values kept
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="no")
    two.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes",
                                     reasons=[], evidence="Partner named in the record")
    one.sync()
    clash = two.sync()
    assert clash.conflicts == 1
    assert two.services.forms.open(case.id).answers["victim"].value == "no"  # theirs, for now
    assert two.services.sync.status().open_conflicts == 1
    one.sync()
    assert one.services.forms.open(case.id).answers["victim"].value == "no"
    engine = create_engine(central)
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT yours, theirs FROM central_conflicts")).one()
    engine.dispose()
    assert kept.yours["value"] == "yes" and kept.theirs["value"] == "no"
    assert kept.yours["evidence"] == "Partner named in the record"


def test_a_resent_change_is_not_applied_twice(central, tmp_path):
    from app.db import models as m
    from app.sync.apply import apply_change
    from app.sync.central import central_engine
    from app.sync.protocol import Change
    one = laptop(tmp_path, central, "inspector.one")
    make_case(one.services, "X1")
    with one.services._db.read() as session:
        rows = session.query(m.Outbox).order_by(m.Outbox.seq).all()
        changes = [Change(r.change_id, r.entity, r.entity_id, r.op, r.base_rev, r.rev,
                          r.payload, r.device_id) for r in rows]
    engine = central_engine(one.central)
    with as_person(engine, one.login) as conn:
        first = [apply_change(conn, c) for c in changes]
    with as_person(engine, one.login) as conn:  # the reply was lost: the same changes again
        again = [apply_change(conn, c) for c in changes]
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT count(*) FROM central_changes")).scalar()
    engine.dispose()
    assert [o.status for o in first] == ["applied"] * len(changes)
    assert again == first and logged == len(changes)


def test_a_resent_batch_is_recognised_and_a_batch_is_written_in_bulk(central, tmp_path):
    from app.db import models as m
    from app.sync.batch import apply_batch
    from app.sync.central import central_engine
    from app.sync.engine import SyncEngine
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    # what the payloads travel beside or between must not matter: commas, quotes,
    # backslashes, line breaks, control characters, letters beyond ASCII
    awkward = 'Seen, "at home"\\ on\nTuesday\x1e\x07\tçà'
    for n in range(6):
        case = make_case(one.services, f"X{n}", inspection=inspection)
        for key, value in (("victim", "yes"), ("officers", 2), ("comment", f"{awkward}{n}")):
            one.services.forms.record_answer(case_id=case.id, question_key=key, value=value,
                                             evidence=awkward)
    changes, _ = SyncEngine(one.services._db, None)._next_batch(0, set())
    with one.services._db.read() as session:
        assert len(changes) == session.query(m.Outbox).count() > 24
    engine = central_engine(one.central)
    writes = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: writes.append(statement)
                 if "INSERT INTO central_changes" in statement else None)
    with as_person(engine, one.login) as conn:
        first = apply_batch(conn, changes)
    bulk = len(writes)
    with as_person(engine, one.login) as conn:  # the reply was lost: the same batch again
        again = apply_batch(conn, changes)
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT count(*) FROM central_changes")).scalar()
        comments = conn.execute(text("SELECT value, evidence FROM answers "
                                     "WHERE question_key = 'comment'")).all()
    engine.dispose()
    assert [o.status for o in first] == ["applied"] * len(changes)
    assert again == first and logged == len(changes)
    assert sorted(comments) == [(f"{awkward}{n}", awkward) for n in range(6)]
    # one statement per kind of record (and per further change to one record), not one per
    # change
    waves = max(Counter(c.entity_id for c in changes).values())
    assert bulk <= len({c.entity for c in changes}) * waves < len(changes)
    assert len(writes) == bulk  # nothing written the second time


def test_a_payload_that_is_not_strict_json_is_refused_alone(central, tmp_path):
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    for n in range(3):
        make_case(one.services, f"X{n}", inspection=inspection)
    with one.services._db.write() as session:  # Python writes NaN; JSON has no such number
        session.execute(text("UPDATE outbox SET payload = replace(payload, '\"X1\"', 'NaN') "
                             "WHERE entity = 'cases' AND payload LIKE '%\"X1\"%'"))
    report = one.sync()
    assert (report.applied, report.refused) == (report.pushed - 1, 1)
    engine = create_engine(central)
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT reference FROM cases")).scalars())
    engine.dispose()
    assert stored == {"X0", "X2"}


@pytest.mark.parametrize("choice", ["yours", "theirs", "merged"])
def test_a_conflict_is_resolved_as_a_new_revision_and_kept(central, tmp_path, choice):
    one, two, case = two_laptops_on_one_case(tmp_path, central, ("victim", "yes"))
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="no")
    two.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes",
                                     evidence="Partner named")
    one.sync()
    two.sync()
    [conflict] = two.services.conflicts.open()
    assert (conflict.case_reference, conflict.question_key) == ("X1", "victim")
    assert (conflict.base, conflict.theirs, conflict.yours) == ("yes", "no", "yes")
    assert conflict.theirs_by == "inspector.one" and conflict.yours_by == "inspector.two"
    assert conflict.question_text.startswith("Is there an identifiable victim")
    two.services.conflicts.resolve(conflict_id=conflict.id, choice=choice, value="yes",
                                   evidence="Both records read: partner named in March")
    two.sync(), one.sync()
    expected = {"yours": ("yes", "Partner named"), "theirs": ("no", ""),
                "merged": ("yes", "Both records read: partner named in March")}[choice]
    for machine in (one, two):
        answer = machine.services.forms.open(case.id).answers["victim"]
        assert (answer.value, answer.evidence) == expected, machine.login
    assert two.services.conflicts.open() == []
    assert two.services.sync.status().open_conflicts == 0
    with two.services._db.read() as session:
        from app.db import models as m
        kept = session.query(m.Conflict).one()
        assert kept.resolved_by == "inspector.two" and kept.resolution == {"choice": choice}


def test_a_question_first_answered_on_both_laptops_keeps_the_unsent_answer(central,
                                                                             tmp_path):
    """Both answer the same question for the first time (two records for one question):
    the central one is stored, the one still waiting here goes into a conflict."""
    from app.db.device_key import device_key
    from app.sync.client import ServiceLink
    from app.sync.engine import SyncEngine, SyncReport
    one, two, case = two_laptops_on_one_case(tmp_path, central)
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="no")
    one.sync()
    two.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes",
                                     evidence="Partner named")
    result = SyncReport()
    with ServiceLink(two.url, two.login, PASSWORD,
                     device_key(two.services._db).sign_in) as link:
        SyncEngine(two.services._db, link).pull(result)  # a pull before its push
    assert result.pulled_conflicts == 1
    assert two.services.forms.open(case.id).answers["victim"].value == "no"
    [conflict] = two.services.conflicts.open()
    assert (conflict.theirs, conflict.yours) == ("no", "yes")
    two.services.conflicts.resolve(conflict_id=conflict.id, choice="yours")
    two.sync(), one.sync()
    for machine in (one, two):
        answer = machine.services.forms.open(case.id).answers["victim"]
        assert (answer.value, answer.evidence) == ("yes", "Partner named"), machine.login


def test_a_conflict_met_while_pulling_keeps_what_both_started_from(central, tmp_path):
    """The record as both laptops last had it from the store, not as this laptop's first
    unsent edit left it."""
    from app.db.device_key import device_key
    from app.sync.client import ServiceLink
    from app.sync.engine import SyncEngine, SyncReport
    one, two, case = two_laptops_on_one_case(tmp_path, central, ("officers", 1))
    for value in (2, 3, 6):  # three edits there, sent
        one.services.forms.record_answer(case_id=case.id, question_key="officers",
                                         value=value)
    one.sync()
    for value in (3, 4):  # two edits here, neither sent
        two.services.forms.record_answer(case_id=case.id, question_key="officers",
                                         value=value)
    result = SyncReport()
    with ServiceLink(two.url, two.login, PASSWORD,
                     device_key(two.services._db).sign_in) as link:
        SyncEngine(two.services._db, link).pull(result)  # a pull before its push
    assert result.pulled_conflicts == 1, result
    [conflict] = two.services.conflicts.open()
    assert (conflict.base, conflict.theirs, conflict.yours) == (1, 6, 4)
    two.services.conflicts.resolve(conflict_id=conflict.id, choice="theirs")
    two.sync()
    with two.services._db.read() as session:
        from app.db import models as m
        base = session.query(m.Conflict).one().base
    assert (base["value"], base["rev"]) == (1, 1)


def test_a_change_waits_while_an_earlier_change_to_its_record_is_on_its_way(central,
                                                                            tmp_path,
                                                                            monkeypatch):
    """One change per central transaction, so batches overlap: a later edit of an answer
    whose first version conflicted is folded into that conflict here, never sent after
    it to make a second one."""
    from app.sync import engine as sync_engine
    monkeypatch.setattr(sync_engine, "PUSH_BATCH", 1)
    one, two, case = two_laptops_on_one_case(tmp_path, central)
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="no")
    one.sync()
    two.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    two.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes",
                                     evidence="Partner named")
    two.services.forms.record_answer(case_id=case.id, question_key="officers", value=2)
    two.services.forms.record_answer(case_id=case.id, question_key="comment", value="Seen")
    two.sync()
    engine = create_engine(central)
    with engine.connect() as conn:
        raised = conn.execute(text("SELECT yours FROM central_conflicts "
                                   "WHERE entity = 'answers'")).scalars().all()
    engine.dispose()
    assert [p["value"] for p in raised] == ["yes"]
    [conflict] = [c for c in two.services.conflicts.open() if c.entity == "answers"]
    assert (conflict.yours, conflict.yours_evidence) == ("yes", "Partner named")
    one.sync()
    answers = one.services.forms.open(case.id).answers
    assert (answers["victim"].value, answers["officers"].value,
            answers["comment"].value) == ("no", 2, "Seen")
    assert two.services.sync.status().pending_changes == 0


@pytest.mark.parametrize("carried", ["network", "network, one change at a time",
                                     "transfer file"])
def test_edits_made_after_a_conflicting_edit_never_overwrite_a_colleague(central, tmp_path,
                                                                       carried, monkeypatch):
    """The second laptop changes an answer twice, offline, after the first laptop changed
    it: its first change is a conflict, and its second, made on top of the first, must not
    be applied either, even though its revision number matches the central one. Both of
    its versions are kept centrally when both are sent; the laptop keeps its latest."""
    from app.sync import engine as sync_engine
    from app.sync.transfers import apply_package_at
    if carried == "network, one change at a time":  # and the outbox cleared after each
        monkeypatch.setattr(sync_engine, "PUSH_BATCH", 1)
        monkeypatch.setattr(sync_engine, "ACKNOWLEDGED_AT_ONCE", 1)
    one, two, case = two_laptops_on_one_case(tmp_path, central, ("officers", 1))
    one.services.forms.record_answer(case_id=case.id, question_key="officers", value=14)
    one.sync()
    two.services.forms.record_answer(case_id=case.id, question_key="officers", value=2)
    two.services.forms.record_answer(case_id=case.id, question_key="officers", value=15)
    if carried == "transfer file":
        package = tmp_path / "inspector-two.aspire"
        two.services.sync.export_package(package, "orange kettle river")
        applied = apply_package_at(central, package, "orange kettle river")
        assert (applied.applied, applied.conflicts) == (applied.changes - 2, 2)
    clash = two.sync()
    assert clash.conflicts == 1 and clash.applied == clash.pushed - (
        1 if carried == "network, one change at a time" else 2)
    engine = create_engine(central)
    with engine.connect() as conn:
        value, rev, by = conn.execute(text(
            "SELECT value, rev, updated_by FROM answers WHERE question_key = 'officers'")).one()
        written_by_two = conn.execute(text(
            "SELECT count(*) FROM central_changes WHERE entity = 'answers' "
            "AND changed_by = 'inspector.two'")).scalar()
        raised = conn.execute(text(
            "SELECT yours, theirs FROM central_conflicts ORDER BY raised_at, (yours->>'value')::int"
        )).all()
    engine.dispose()
    assert (value, rev, by) == (14, 2, "inspector.one")
    assert written_by_two == 0
    assert [yours["value"] for yours, _ in raised] == (
        [2] if carried == "network, one change at a time" else [2, 15])
    assert {theirs["value"] for _, theirs in raised} == {14}
    [conflict] = two.services.conflicts.open()
    assert (conflict.theirs, conflict.yours) == (14, 15)
    assert two.services.forms.open(case.id).answers["officers"].value == 14
    assert two.services.sync.status().pending_changes == 0
    one.sync()
    assert one.services.forms.open(case.id).answers["officers"].value == 14
    assert two.sync().applied == 0  # nothing sent twice, nothing left


def test_a_laptop_restored_from_an_older_backup_gets_its_own_sent_changes_back(central,
                                                                               tmp_path):
    """Changes this laptop sent come back without their payload when it already holds
    them; a database restored from before they were made does not, so they are fetched."""
    from tests.conftest import MINI_FRAMEWORKS
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.sync()
    backup = one.services.database.backup(tmp_path / "before.db")
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes",
                                     evidence="Partner named")
    one.sync()
    path = one.services.database.path
    one.services.close()
    for leftover in path.parent.glob(path.name + "-*"):
        leftover.unlink()
    path.write_bytes(backup.read_bytes())
    restored = open_as(path, "inspector.one", MINI_FRAMEWORKS)
    assert "victim" not in {k for k, a in restored.forms.open(case.id).answers.items()
                            if a.value is not None}
    restored.sync.sync(one.url, PASSWORD)
    answer = restored.forms.open(case.id).answers["victim"]
    assert (answer.value, answer.evidence) == ("yes", "Partner named")
    restored.close()


def test_the_central_schema_steps_back_and_forward_keeping_every_outcome(central, tmp_path):
    """Going back a version, applied changes move into ``applied_changes`` (where the earlier
    schema looks for them), so a change re-sent then is still recognised; and again once the
    schema is brought forward (through c009, after which a person's role still cannot log
    in: the service acts in it for them)."""
    from alembic import command

    from app.db import models as m
    from app.sync.apply import apply_change
    from app.sync.central import SERVICE_ROLE, central_migrations
    from app.sync.protocol import APPLIED, Change
    one = laptop(tmp_path, central, "inspector.one")
    case = make_case(one.services, "X1")
    with one.services._db.read() as session:
        sent = [Change(r.change_id, r.entity, r.entity_id, r.op, r.base_rev, r.rev, r.payload,
                       r.device_id) for r in session.query(m.Outbox).order_by(m.Outbox.seq)]
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    one.sync()
    engine = create_engine(central)
    cfg = central_migrations()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "c001")
        recorded = conn.execute(text("SELECT count(*) FROM applied_changes")).scalar()
        logged = conn.execute(text("SELECT count(*) FROM central_changes")).scalar()
    assert recorded == logged > len(sent)

    def resent() -> set[str]:
        """The outcomes of the changes sent again, in the person's own role."""
        with as_person(engine, one.login) as conn:
            outcomes = {apply_change(conn, c).status for c in sent}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM central_changes")).scalar() == logged
        return outcomes

    assert resent() == {APPLIED}
    assert init_central(central) == ["c013"]
    assert resent() == {APPLIED}
    with engine.connect() as conn:
        can_log_in, password, acted_as = conn.execute(text(
            "SELECT rolcanlogin, rolpassword, pg_has_role(:service, oid, 'MEMBER') "
            "FROM pg_authid WHERE rolname = :login"),
            {"service": SERVICE_ROLE, "login": one.login}).one()
    engine.dispose()
    assert (can_log_in, password, acted_as) == (False, None, True)


def test_a_sync_soon_after_reuses_its_session_but_only_with_the_same_password(central,
                                                                              tmp_path):
    from app.sync.central import CentralError
    from tests.integration.sync_fixtures import PASSWORD, laptop

    one = laptop(tmp_path, central, "inspector.one")
    one.sync()
    [link] = one.services.sync._links.values()
    token = link._token
    assert link._password == ""  # forgotten between syncs
    one.sync()
    assert link._token == token  # no second sign-in
    with pytest.raises(CentralError, match="did not accept your login and password"):
        one.services.sync.sync(one.url, "not the password")
    assert one.sync(PASSWORD).refused == 0
