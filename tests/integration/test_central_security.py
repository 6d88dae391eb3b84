"""Who may see and change what at the central store, tried over HTTP as each role would, the
way a hostile colleague would: with their own password and their own laptop's device key,
but not with the app's good manners. Every forbidden action is refused, and the store's
contents are checked to be exactly as they were."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc

from app.core.dto import PoolingDetails
from app.db.bookkeeping import row_values_to_payload
from app.db.device_key import device_key
from app.sync.apply import TABLES
from app.sync.central import central_engine
from app.sync.client import ServiceLink
from app.sync.link import PushedTooSoon
from app.sync.protocol import APPLIED, REFUSED, Change
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, Laptop, laptop, person_url
from tests.integration.test_review import complete


@dataclass
class Store:
    central: str
    address: str
    inspection: uuid.UUID
    case: uuid.UUID  # X1, inspector.one's, answered
    people: dict[str, Laptop]

    def link(self, login: str) -> ServiceLink:
        machine = self.people[login]
        return ServiceLink(self.address, login, PASSWORD,
                           device_key(machine.services._db).sign_in).open()


@pytest.fixture
def store(central, tmp_path) -> Store:
    """Inspector one leads an inspection with one answered case and inspector two on the
    team; a supervisor on the team; an inspector on no team of it; an administrator."""
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection, assignee="inspector.one")
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    one.sync()
    people = {"inspector.one": one,
              "inspector.two": laptop(tmp_path, central, "inspector.two",
                                      inspections=[inspection.id]),
              "other.inspector": laptop(tmp_path, central, "other.inspector"),
              "lead.supervisor": laptop(tmp_path, central, "lead.supervisor",
                                        role="supervisor", inspections=[inspection.id]),
              "central.admin": laptop(tmp_path, central, "central.admin", role="admin")}
    yield Store(central, one.url, inspection.id, case.id, people)
    for machine in people.values():
        machine.services.close()


def contents(central: str) -> dict[str, list]:
    """Everything the store holds that a change could touch, in a comparable form."""
    engine = create_engine(central)
    try:
        with engine.connect() as conn:
            held = {name: sorted(map(repr, conn.execute(text(
                f"SELECT * FROM {name} ORDER BY id")).all())) for name in TABLES}
            for name in ("central_changes", "central_conflicts", "sync_counter",
                         "inspection_members"):
                held[name] = sorted(map(repr, conn.execute(text(f"SELECT * FROM {name}"))))
    finally:
        engine.dispose()
    return held


def row(central: str, table: str, **where) -> dict:
    engine = create_engine(central)
    try:
        with engine.connect() as conn:
            found = conn.execute(text(f"SELECT * FROM {table} WHERE " + " AND ".join(
                f"{k} = :{k}" for k in where)), where).mappings().one()
    finally:
        engine.dispose()
    return row_values_to_payload(found)


def change(entity: str, payload: dict, base_rev: int = 0) -> Change:
    return Change(uuid.uuid4(), entity, uuid.UUID(str(payload["id"])),
                  "insert" if base_rev == 0 else "update", base_rev, base_rev + 1,
                  dict(payload))


def refused_whole(store: Store, login: str, *changes: Change) -> list[str]:
    """Push ``changes`` as ``login``; each must be refused and the store left as it was.
    Returns the reasons."""
    before = contents(store.central)
    with store.link(login) as link:
        outcomes = link.push(list(changes))
    assert [o.status for o in outcomes] == [REFUSED] * len(changes), outcomes
    assert contents(store.central) == before
    return [o.detail for o in outcomes]


def edited(store: Store, table: str, record_id, **values) -> Change:
    """An update of a stored record, made on its current revision."""
    current = row(store.central, table, id=record_id)
    return change(table, {**current, **values}, base_rev=current["rev"])


def submitted_and_approved(store: Store) -> None:
    one, sam = store.people["inspector.one"], store.people["lead.supervisor"]
    complete(one.services, store.case)
    one.services.review.submit(store.case)
    one.sync()
    sam.sync()
    sam.services.review.approve(store.case, "lead.supervisor")
    assert sam.sync().applied > 0
    assert row(store.central, "cases", id=store.case)["status"] == "approved"


# -- reading --------------------------------------------------------------------------------

def test_an_outsider_reads_nothing_of_another_teams_inspection(store):
    with store.link("other.inspector") as link:
        assert not any(link.inspection(store.inspection).values())
        assert not any(link.cases([store.case]).values())
        changes = link.changes_after(0)
        seqs = list(range(1, 200))
        payloads = link.payloads(seqs)
    theirs = {str(store.inspection), str(store.case)}
    assert not [c for c in changes if c["entity_id"] in theirs
                or (c["payload"] or {}).get("inspection_id") in theirs]
    assert not [p for p in payloads.values()
                if isinstance(p, dict) and theirs & {p.get("id"), p.get("inspection_id"),
                                                     p.get("case_id")}]
    with store.link("inspector.two") as link:  # a member sees it
        assert {r["id"] for r in link.inspection(store.inspection)["cases"]} == {
            str(store.case)}


# -- the team -------------------------------------------------------------------------------

def test_nobody_adds_themselves_to_a_team(store):
    payload = {"id": str(uuid.uuid4()), "inspection_id": str(store.inspection),
               "person": "other.inspector", "role": "lead_inspector"}
    [why] = refused_whole(store, "other.inspector", change("inspection_members", payload))
    assert "not on this inspection's team" in why


def test_an_inspector_changes_no_ones_place_on_the_team(store):
    supervisor = row(store.central, "inspection_members", person="lead.supervisor")
    two = row(store.central, "inspection_members", person="inspector.two")
    reasons = refused_whole(
        store, "inspector.two",
        edited(store, "inspection_members", two["id"], role="lead_inspector"))
    reasons += refused_whole(
        store, "inspector.two",
        edited(store, "inspection_members", supervisor["id"], role="inspector"))
    assert all("lead inspector or an administrator" in why for why in reasons)


def test_the_lead_inspector_adds_a_member(store):
    payload = {"id": str(uuid.uuid4()), "inspection_id": str(store.inspection),
               "person": "other.inspector", "role": "inspector"}
    with store.link("inspector.one") as link:
        [outcome] = link.push([change("inspection_members", payload)])
    assert outcome.status == APPLIED


# -- the review workflow --------------------------------------------------------------------

def test_nobody_approves_their_own_case(store):
    one = store.people["inspector.one"]
    complete(one.services, store.case)
    one.services.review.submit(store.case)
    one.sync()
    approve = edited(store, "cases", store.case, status="approved")
    [why] = refused_whole(store, "inspector.one", approve)
    assert "only a supervisor" in why
    event = {"id": str(uuid.uuid4()), "case_id": str(store.case), "action": "approve",
             "from_status": "submitted", "to_status": "approved", "note": "fine"}
    [why] = refused_whole(store, "inspector.one", change("case_events", event))
    assert "review history" in why


def test_a_submission_taken_back_syncs_and_only_its_inspector_may_take_it_back(store):
    one, sam = store.people["inspector.one"], store.people["lead.supervisor"]
    complete(one.services, store.case)
    one.services.review.submit(store.case)
    one.sync()
    back = edited(store, "cases", store.case, status="in_progress")
    [why] = refused_whole(store, "lead.supervisor", back)  # not the supervisor's move
    assert "only the inspector" in why.lower()
    one.services.review.take_back(store.case)
    assert one.sync().refused == 0
    assert row(store.central, "cases", id=store.case)["status"] == "in_progress"
    sam.sync()
    assert sam.services.review.actions(store.case) == []  # nothing to review now


def test_no_one_edits_an_answer_of_an_approved_case(store):
    submitted_and_approved(store)
    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    for login in ("inspector.one", "inspector.two"):
        [why] = refused_whole(store, login, edited(store, "answers", answer["id"],
                                                   value="no"))
        assert "approved" in why.lower()


def test_a_supervisor_never_changes_an_answer(store):
    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    [why] = refused_whole(store, "lead.supervisor",
                          edited(store, "answers", answer["id"], value="no"))
    assert "supervisor reviews answers" in why


def test_answers_stop_when_the_inspection_is_closed(store):
    one = store.people["inspector.one"]
    one.services.inspections.close(store.inspection)
    one.sync()
    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    [why] = refused_whole(store, "inspector.two",
                          edited(store, "answers", answer["id"], value="no"))
    assert "closed" in why


def test_only_the_lead_changes_an_inspections_details(store):
    [why] = refused_whole(store, "inspector.two",
                          edited(store, "inspections", store.inspection, name="Renamed"))
    assert "lead inspector" in why
    [why] = refused_whole(store, "lead.supervisor",
                          edited(store, "inspections", store.inspection, name="Renamed"))
    assert "lead inspector" in why


def test_pooling_details_are_held_to_the_laptops_rules_whoever_sends_them(store):
    own = str(store.inspection)
    for login in ("inspector.one", "central.admin"):
        for field, value, named in (("year", 1066, "year"),
                                    ("organisation_type", "prison_yard", "organisation type"),
                                    ("sample_design", "convenience", "sample"),
                                    ("reinspects_id", own, "re-inspect")):
            [why] = refused_whole(store, login, edited(store, "inspections", store.inspection,
                                                       **{field: value}))
            assert named in why, (login, field, why)
    # the lead inspector's own change, as the laptop makes it, is kept
    one = store.people["inspector.one"]
    earlier = uuid.uuid4()
    one.services.inspections.set_details(store.inspection, PoolingDetails(
        2019, "crc", "wales", "targeted", earlier))
    assert one.sync().refused == 0
    kept = row(store.central, "inspections", id=store.inspection)
    assert (kept["year"], kept["organisation_type"], kept["region"], kept["sample_design"],
            kept["reinspects_id"]) == (2019, "crc", "wales", "targeted", str(earlier))
    # and reaches the team's other laptops
    two = store.people["inspector.two"]
    two.sync()
    assert two.services.inspections.get(store.inspection).details == PoolingDetails(
        2019, "crc", "wales", "targeted", earlier)


def test_a_rating_is_recorded_by_the_lead_in_their_own_name_and_reaches_the_team(store):
    decision = {"rating": "Good", "reason": "The panel weighed the partnership work",
                "by": "inspector.two", "at": "2026-12-08T10:00:00+00:00"}

    def recording(**values) -> Change:
        return edited(store, "inspections", store.inspection,
                      rating_decisions={"overall": {**decision, **values}})

    [why] = refused_whole(store, "inspector.two", recording())
    assert "lead inspector" in why
    [why] = refused_whole(store, "lead.supervisor", recording(by="lead.supervisor"))
    assert "lead inspector" in why
    [why] = refused_whole(store, "inspector.one", recording())  # in another's name
    assert "own name" in why
    [why] = refused_whole(store, "inspector.one", recording(by="inspector.one",
                                                            rating="Splendid"))
    assert "Splendid" in why
    # for a standard the framework does not rate: refused, as the laptop refuses it
    [why] = refused_whole(store, "inspector.one", edited(
        store, "inspections", store.inspection,
        rating_decisions={"zz0": {**decision, "by": "inspector.one"}}))
    assert "rates no standard zz0" in why
    # an administrator is not the inspection's lead inspector
    [why] = refused_whole(store, "central.admin", recording(by="central.admin"))
    assert "only the lead inspector" in why
    # the lead inspector's own, as the laptop records it, is kept and reaches the team
    one, two = store.people["inspector.one"], store.people["inspector.two"]
    one.services.ratings.record(store.inspection, "overall", "Requires improvement",
                                "The panel found the case work short of the arithmetic")
    assert one.sync().refused == 0
    kept = row(store.central, "inspections", id=store.inspection)["rating_decisions"]
    assert (kept["overall"]["rating"], kept["overall"]["by"]) == ("Requires improvement",
                                                                  "inspector.one")
    two.sync()
    assert two.services.ratings.decisions(store.inspection)["overall"].reason == (
        "The panel found the case work short of the arithmetic")
    # withdrawn, it is gone from every laptop
    assert one.services.ratings.withdraw(store.inspection, "overall")
    one.sync()
    two.sync()
    assert two.services.ratings.decisions(store.inspection) == {}


def test_a_rating_recorded_before_the_inspection_first_reaches_the_store_syncs(store):
    """In a person's order: the lead inspector sets an inspection up offline, records its
    rating overall at the ratings panel, and syncs only afterwards."""
    lead = store.people["other.inspector"]
    inspection = make_inspection(lead.services)
    lead.services.ratings.record(inspection.id, "overall", "Good",
                                 "The panel's judgement, recorded before the first sync")
    assert lead.sync().refused == 0
    kept = row(store.central, "inspections", id=inspection.id)["rating_decisions"]
    assert (kept["overall"]["rating"], kept["overall"]["by"]) == ("Good", "other.inspector")


def test_history_is_never_rewritten(store):
    sam = store.people["lead.supervisor"]
    sam.sync()
    sam.services.review.raise_query(case_id=store.case, question_key="victim", text="Why?")
    sam.sync()
    message = row(store.central, "query_messages", case_id=store.case)
    for login in ("lead.supervisor", "inspector.one", "central.admin"):
        [why] = refused_whole(store, login, edited(store, "query_messages", message["id"],
                                                   text="Never asked"))
        assert "never changed" in why


# -- who made a change ----------------------------------------------------------------------

def test_the_author_and_device_are_the_sessions_never_the_changes(store):
    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    forged = edited(store, "answers", answer["id"], value="no",
                    updated_by="lead.supervisor", device_id=str(uuid.uuid4()))
    with store.link("inspector.one") as link:
        [outcome] = link.push([forged])
    assert outcome.status == APPLIED
    stored = row(store.central, "answers", id=answer["id"])
    one_device = store.people["inspector.one"].services._db.device_id
    assert (stored["value"], stored["updated_by"], stored["device_id"]) == (
        "no", "inspector.one", str(one_device))
    logged = row(store.central, "central_changes", change_id=forged.change_id)
    assert (logged["changed_by"], logged["device_id"]) == ("inspector.one", str(one_device))


# -- the question frameworks ----------------------------------------------------------------

def test_a_published_framework_never_changes_and_only_administrators_publish(store):
    framework = row(store.central, "frameworks", framework_key="mini")
    sent = []
    for login in ("inspector.one", "central.admin"):
        rewritten = edited(store, "frameworks", framework["id"], content="{}",
                           content_sha256="0" * 64)
        [why] = refused_whole(store, login, rewritten)
        assert "never changes" in why
        sent.append(rewritten)
    # nor may anyone send a change under the id of someone else's
    [why] = refused_whole(store, "central.admin", Change(
        sent[0].change_id, "answers", uuid.uuid4(), "insert", 0, 1, {}))
    assert "another person's change" in why
    own = {**framework, "id": str(uuid.uuid4()), "version": "9.9", "content": "{}",
           "content_sha256": "1" * 64}
    [why] = refused_whole(store, "inspector.one", change("frameworks", own))
    assert "only an administrator" in why


# -- the change log and malformed requests --------------------------------------------------

def test_the_change_log_is_written_only_by_the_service(store):
    forged = {"id": str(uuid.uuid4()), "seq": 1, "entity": "cases", "payload": {}}
    [why] = refused_whole(store, "inspector.one", change("central_changes", forged))
    assert "not a kind of record" in why
    [why] = refused_whole(store, "inspector.one", change("sync_counter", {
        "id": str(uuid.uuid4()), "value": 0}))
    assert "not a kind of record" in why


def test_a_field_the_laptop_could_not_hold_is_refused(store):
    [why] = refused_whole(store, "inspector.one",
                          edited(store, "inspections", store.inspection, name="N" * 201))
    assert "longer than 200" in why


def _post(address: str, path: str, body: bytes, token: str | None) -> int:
    request = urllib.request.Request(address + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status
    except urllib.error.HTTPError as failed:
        return failed.code
    except (ConnectionError, urllib.error.URLError):
        return 413  # the service may close the connection once it has refused the body


def _token(store: Store, login: str, *, device: bool = True) -> str:
    sign_in = {"login": login, "password": PASSWORD}
    if device:
        sign_in["device"] = device_key(store.people[login].services._db).sign_in(login)
    body = json.dumps(sign_in).encode()
    with urllib.request.urlopen(urllib.request.Request(
            store.address + "/session", data=body, method="POST",
            headers={"Content-Type": "application/json"}), timeout=30) as answer:
        return json.loads(answer.read())["token"]


def test_oversized_malformed_and_unsigned_pushes_are_refused_and_change_nothing(store):
    before = contents(store.central)
    token = _token(store, "inspector.one")
    assert _post(store.address, "/sync/push", b'{"changes": []}', None) == 401
    # a session that did not prove its laptop (a script with the password alone) syncs nothing
    assert _post(store.address, "/sync/push", b'{"changes": []}',
                 _token(store, "inspector.one", device=False)) == 403
    assert _post(store.address, "/sync/push", b"{not json", token) == 400
    assert _post(store.address, "/sync/push", b'{"changes": [1]}', token) == 400
    assert _post(store.address, "/sync/push", b"[" * 100_000 + b"]" * 100_000, token) == 400
    huge = b'{"changes": [], "pad": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    assert _post(store.address, "/sync/push", huge, token) == 413
    too_many = json.dumps({"changes": [{}] * 2001}).encode()
    assert _post(store.address, "/sync/push", too_many, token) == 413
    assert contents(store.central) == before


def test_a_push_that_overtakes_the_one_it_follows_is_not_applied(store):
    """A laptop sends a batch while the one before is on its way; should it arrive first,
    it names a change the store holds no outcome of, and is refused unapplied (409) until
    that one is in."""
    before = contents(store.central)
    first = edited(store, "inspections", store.inspection, name="Northshire, autumn")
    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    later = edited(store, "answers", answer["id"], value="no")
    with store.link("inspector.one") as link:
        with pytest.raises(PushedTooSoon):
            link.push([later], after=first.change_id)
        assert contents(store.central) == before
        assert [o.status for o in link.push([first])] == [APPLIED]
        held = contents(store.central)
        with store.link("other.inspector") as theirs, pytest.raises(PushedTooSoon):
            theirs.push([later], after=first.change_id)  # another's change counts for nothing
        assert contents(store.central) == held
        assert [o.status for o in link.push([later], after=first.change_id)] == [APPLIED]
    token = _token(store, "inspector.one")
    assert _post(store.address, "/sync/push", b'{"after": 7, "changes": []}', token) == 400
    assert _post(store.address, "/sync/push", b'{"after": "not an id", "changes": []}',
                 token) == 400


def test_a_push_waits_for_another_of_the_same_persons_and_is_busy_after_the_lock_timeout(
        store, monkeypatch):
    """Two pushes of one person's are applied one after the other: the second waits for the
    first, up to the service's lock timeout, then is told to try again, and applies nothing."""
    import threading

    from app.sync import central as central_module
    from app.sync import store as store_module

    monkeypatch.setitem(central_module.SERVICE_LIMITS_MS, "lock_timeout", 1500)
    engine = central_engine(store.central, service=True)
    one = store.people["inspector.one"]
    person = store_module.Person("inspector.one", "inspector",
                                 device_key(one.services._db).device_id)
    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    holder = create_engine(store.central)
    key = {"space": store_module._PUSH_LOCKS, "key": store_module._lock_key("inspector.one")}
    try:
        with holder.connect() as conn:  # another push of inspector.one's, being applied
            conn.execute(text("SELECT pg_advisory_lock(:space, :key)"), key)
            before = contents(store.central)
            with pytest.raises(store_module.Busy):
                store_module.PersonAtStore(engine, person).push(
                    [edited(store, "answers", answer["id"], value="no")])
            assert contents(store.central) == before
            done = threading.Timer(0.5, lambda: conn.execute(
                text("SELECT pg_advisory_unlock(:space, :key)"), key))
            done.start()
            [outcome] = store_module.PersonAtStore(engine, person).push(
                [edited(store, "answers", answer["id"], value="no")])
            done.join()
        assert outcome.status == APPLIED
    finally:
        holder.dispose()
        engine.dispose()


# -- no database session for people ---------------------------------------------------------

def test_a_persons_credentials_open_no_database_session(store):
    for login in store.people:
        engine = central_engine(person_url(store.central, login, PASSWORD))
        try:
            with pytest.raises(sa_exc.OperationalError), engine.connect():
                pass
        finally:
            engine.dispose()


def test_a_forged_change_is_refused_alone_and_the_rest_of_the_push_goes_through(store,
                                                                                tmp_path):
    import datetime as dt

    from app.db import models as m
    outsider = store.people["other.inspector"]
    own = make_case(outsider.services, "Y1", inspection=make_inspection(outsider.services))
    forged = uuid.uuid4()
    with outsider.services._db.write() as session:  # a change aimed at someone else's case
        session.add(m.Outbox(
            change_id=uuid.uuid4(), entity="answers", entity_id=forged, op="insert",
            base_rev=0, rev=1, created_at=dt.datetime.now(dt.UTC), created_by="x",
            device_id=uuid.uuid4(), payload={
                "id": str(forged), "case_id": str(store.case), "question_key": "officers",
                "value": 9, "reasons": [], "evidence": "", "respondent": "inspector",
                "device_id": str(uuid.uuid4())}))
    report = outsider.sync()
    assert report.refused == 1 and report.applied == report.pushed - 1
    assert row(store.central, "answers", case_id=store.case,
               question_key="victim")["value"] == "yes"
    [refusal] = outsider.services.conflicts.open()
    assert refusal.kind == "refused" and "not on this inspection's team" in refusal.detail
    assert outsider.services.sync.status().pending_changes == 0
    assert own.reference == "Y1"


def test_tls_settings_pass_through_the_address(central_url):
    demanding = central_url + "?sslmode=require"
    engine = central_engine(demanding)
    with pytest.raises(Exception, match=r"(?i)ssl"), engine.connect():  # no TLS offered here
        pass
    engine.dispose()
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


def test_each_persons_requests_are_limited_and_others_are_not_held_up(store, monkeypatch):
    from app.core import accounts as account_rules

    monkeypatch.setattr(account_rules, "REQUESTS_PER_MINUTE", 5)
    token = _token(store, "inspector.two")
    statuses = []
    for _ in range(7):
        request = urllib.request.Request(store.address + "/sync/changes?after=0",
                                         headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                statuses.append((answer.status, None))
        except urllib.error.HTTPError as failed:
            statuses.append((failed.code, failed.headers.get("Retry-After")))
    assert [s for s, _ in statuses[:5]] == [200] * 5
    assert all(s == 429 and 1 <= int(wait) <= 61 for s, wait in statuses[5:])
    with store.link("inspector.one") as link:  # another person is not held up
        assert link.changes_after(0, 10)


def test_an_inspection_name_the_laptop_accepts_the_store_accepts(store):
    from app.core.dto import NewInspection
    from app.errors import ValidationError

    one = store.people["inspector.one"]
    longest = NewInspection(name="N" * 200, programme="adult_probation",
                            organisation="O" * 200, framework_key="mini")
    created = one.services.inspections.create(longest)
    report = one.sync()
    assert report.refused == 0 and report.applied == report.pushed
    assert row(store.central, "inspections", id=created.id)["name"] == "N" * 200
    with pytest.raises(ValidationError, match="name: at most 200 characters"):
        one.services.inspections.create(NewInspection(
            name="N" * 201, programme="adult_probation", organisation="O",
            framework_key="mini"))


# -- moving records, and changes that only make sense together ------------------------------

def own_inspection(store: Store, login: str) -> uuid.UUID:
    """An inspection of ``login``'s own (they lead it), at the store."""
    machine = store.people[login]
    inspection = make_inspection(machine.services)
    make_case(machine.services, "Y1", inspection=inspection, assignee=login)
    assert machine.sync().refused == 0
    return inspection.id


def pushed(store: Store, login: str, *changes: Change) -> list[str]:
    with store.link(login) as link:
        return [o.status for o in link.push(list(changes))]


def test_a_membership_is_never_moved_into_another_inspection(store):
    theirs = own_inspection(store, "other.inspector")
    own = row(store.central, "inspection_members", inspection_id=theirs,
              person="other.inspector")
    before = contents(store.central)
    moved = edited(store, "inspection_members", own["id"], inspection_id=str(store.inspection))
    joined = change("inspection_members", {
        "id": str(uuid.uuid4()), "inspection_id": str(store.inspection),
        "person": "other.inspector", "role": "lead_inspector"})
    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    assert pushed(store, "other.inspector", moved, joined,
                  edited(store, "answers", answer["id"], value="no")) == [REFUSED] * 3
    assert contents(store.central) == before


def test_nobody_raises_their_own_place_on_the_team(store):
    two = row(store.central, "inspection_members", person="inspector.two")
    lead = row(store.central, "inspection_members", person="inspector.one")
    [why] = refused_whole(store, "inspector.two",
                          edited(store, "inspection_members", two["id"], role="lead_inspector"))
    [why] = refused_whole(store, "inspector.one",
                          edited(store, "inspection_members", lead["id"], role="supervisor"))
    assert "own place on the team" in why
    [why] = refused_whole(store, "inspector.one", change("inspection_members", {
        "id": str(uuid.uuid4()), "inspection_id": str(store.inspection),
        "person": "someone.new", "role": "god"}))
    assert "not a role" in why


def test_an_approved_case_keeps_its_answers_its_inspection_and_its_lock(store):
    submitted_and_approved(store)
    theirs = own_inspection(store, "inspector.two")
    [why] = refused_whole(store, "inspector.two",
                          edited(store, "cases", store.case, inspection_id=str(theirs)))
    assert "cannot change" in why
    y1 = row(store.central, "cases", inspection_id=theirs)
    planted = {"id": str(uuid.uuid4()), "case_id": y1["id"], "question_key": "comment",
               "value": "planted", "reasons": [], "evidence": "", "respondent": "inspector"}
    with store.link("inspector.two") as link:
        [first] = link.push([change("answers", planted)])
    assert first.status == APPLIED
    [why] = refused_whole(store, "inspector.two", change(
        "answers", {**row(store.central, "answers", id=planted["id"]),
                    "case_id": str(store.case)}, base_rev=1))
    assert "case_id" in why or "another inspection" in why
    [why] = refused_whole(store, "inspector.one",
                          edited(store, "cases", store.case, reference="X9"))
    assert "locked" in why


def test_the_review_history_is_not_written_for_moves_never_made(store):
    event = {"id": str(uuid.uuid4()), "case_id": str(store.case), "action": "submit",
             "from_status": "in_progress", "to_status": "submitted", "note": ""}
    [why] = refused_whole(store, "inspector.two", change("case_events", event))
    assert "moves made" in why


def test_second_marks_queries_and_audit_entries_come_from_whom_they_belong(store):
    mark = {"id": str(uuid.uuid4()), "case_id": str(store.case), "question_key": "victim",
            "kind": "mark", "value": "yes", "note": ""}
    [why] = refused_whole(store, "inspector.one", change("second_marks", mark))
    assert "does not second mark" in why
    query_id = str(uuid.uuid4())
    query = {"id": query_id, "case_id": str(store.case), "query_id": query_id,
             "question_key": "victim", "kind": "raise", "text": "Why?"}
    [why] = refused_whole(store, "inspector.two", change("query_messages", query))
    assert "supervisor" in why
    victim = row(store.central, "answers", case_id=store.case, question_key="victim")
    audit = {"id": str(uuid.uuid4()), "case_id": str(store.case), "entity": "answers",
             "entity_id": victim["id"], "question_key": "victim",
             "changes": {"value": ["no", "yes"]}}
    [why] = refused_whole(store, "lead.supervisor", change("audit_entries", audit))
    assert "supervisor" in why


def test_a_query_is_added_to_only_as_it_stands_and_only_on_its_own_answer(store):
    sam = store.people["lead.supervisor"]
    sam.sync()
    query_id = sam.services.review.raise_query(case_id=store.case, question_key="victim",
                                               text="Why?")
    sam.services.review.close_query(query_id, "Fine.")
    sam.sync()

    def message(**values) -> Change:
        return change("query_messages", {
            "id": str(uuid.uuid4()), "case_id": str(store.case), "query_id": str(query_id),
            "question_key": "victim", "kind": "respond", "text": "Because.", **values})

    [why] = refused_whole(store, "inspector.one", message())
    assert "closed" in why
    [why] = refused_whole(store, "lead.supervisor", message(kind="raise"))
    assert "raised by its own first message" in why
    [why] = refused_whole(store, "inspector.one", message(query_id=str(uuid.uuid4())))
    assert "no such query" in why
    open_id = sam.services.review.raise_query(case_id=store.case, question_key="victim",
                                              text="And this?")
    sam.sync()
    [why] = refused_whole(store, "inspector.one", message(query_id=str(open_id),
                                                          question_key="officers"))
    assert "answer its query was raised on" in why
    with store.link("inspector.one") as link:  # a reply, then another, in one push
        outcomes = link.push([message(query_id=str(open_id)), message(query_id=str(open_id))])
    assert [o.status for o in outcomes] == [APPLIED, APPLIED]


def test_a_query_is_raised_as_the_laptop_allows_it_or_not_at_all(store):
    """On a question of the form, on a case not approved, in an inspection not closed."""
    def raised(**values) -> Change:
        query_id = str(uuid.uuid4())
        return change("query_messages", {
            "id": query_id, "case_id": str(store.case), "query_id": query_id,
            "question_key": "victim", "kind": "raise", "text": "Why?", **values})

    [why] = refused_whole(store, "lead.supervisor", raised(question_key="no_such_question"))
    assert "has no question 'no_such_question'" in why
    submitted_and_approved(store)
    [why] = refused_whole(store, "lead.supervisor", raised())
    assert "an approved case is locked: queries cannot be raised" in why
    with store.link("lead.supervisor") as link:  # the lead closes the inspection
        [closing] = link.push([edited(store, "inspections", store.inspection,
                                      status="closed")])
    assert closing.status == APPLIED
    [why] = refused_whole(store, "lead.supervisor", raised())
    assert why.endswith("the inspection is closed")


def test_second_marks_only_when_asked_by_someone_other_than_the_first_marker(store):
    def mark(kind: str = "mark") -> Change:
        return change("second_marks", {
            "id": str(uuid.uuid4()), "case_id": str(store.case), "question_key": "victim",
            "kind": kind, "value": "no", "note": "Agreed" if kind == "agreed" else ""})

    [why] = refused_whole(store, "inspector.two", mark())
    assert why.endswith("the case was not chosen for second marking")
    sam = store.people["lead.supervisor"]
    sam.sync()
    sam.services.moderation.request([store.case])
    assert sam.sync().applied >= 1
    assert pushed(store, "inspector.two", mark()) == [APPLIED]
    [why] = refused_whole(store, "inspector.one", mark())
    assert "does not second mark" in why
    [why] = refused_whole(store, "inspector.two", mark("agreed"))
    assert why.endswith("only a supervisor records the agreed judgement")
    assert pushed(store, "lead.supervisor", mark("agreed")) == [APPLIED]
    [why] = refused_whole(store, "inspector.two", mark())
    assert why.endswith("second marking of the case is finished")


def test_a_closed_inspection_takes_no_new_cases(store):
    one = store.people["inspector.one"]
    one.services.inspections.close(store.inspection)
    one.sync()
    case = {**row(store.central, "cases", id=store.case), "id": str(uuid.uuid4()),
            "reference": "X2", "status": "not_started", "assignee": None}
    [why] = refused_whole(store, "inspector.two", change("cases", case))
    assert "closed" in why


def test_a_framework_is_brought_only_exactly_as_published_and_a_pinned_one_stays(store):
    framework = row(store.central, "frameworks", framework_key="mini")
    forged = {**framework, "id": str(uuid.uuid4()), "framework_key": "forged",
              "version": "6.6", "title": "Forged official"}
    [why] = refused_whole(store, "inspector.two", change("frameworks", forged))
    assert "only an administrator" in why
    [why] = refused_whole(store, "inspector.one", edited(
        store, "inspections", store.inspection, framework_id=str(uuid.uuid4())))
    assert "framework_id" in why


def test_a_sample_names_only_cases_of_its_own_inspection(store):
    theirs = own_inspection(store, "other.inspector")
    outsider = store.people["other.inspector"]
    outsider.services.samples.draw(inspection_id=theirs, seed=1)
    outsider.sync()
    member = row(store.central, "sample_members", case_id=row(
        store.central, "cases", inspection_id=theirs)["id"])
    [why] = refused_whole(store, "other.inspector", change("sample_members", {
        **member, "id": str(uuid.uuid4()), "case_id": str(store.case)}))
    assert "another inspection" in why


@pytest.mark.parametrize("spoilt", [
    {"start_date": "not-a-date"}, {"name": "\ud800"}, {"area": 7}, {"status": None},
    {"name": None}, {"\ud800": 1}, "partial", "damaged on the laptop", "a move half a character"])
def test_a_malformed_change_is_refused_alone_and_never_fails_the_push(store, spoilt):
    record = row(store.central, "inspections", id=store.inspection)
    if spoilt == "partial":
        record = {key: record[key] for key in ("id", "name")}
    elif isinstance(spoilt, dict):
        record.update(spoilt)
    first = change("inspections", record, base_rev=record.get("rev", 1))
    if spoilt == "a move half a character":
        first.op = "\ud800"
    if spoilt == "damaged on the laptop":  # its outbox holds something that is not JSON
        first = Change(first.change_id, first.entity, first.entity_id, first.op,
                       first.base_rev, first.rev, text="{NaN", keys=None)
    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    with store.link("inspector.one") as link:
        outcomes = link.push([first, edited(store, "answers", answer["id"], value="no")])
    assert [o.status for o in outcomes] == [REFUSED, APPLIED], outcomes[0].detail
    outcomes[0].detail.encode("utf-8")  # what it quotes of the change is text


def test_a_value_too_large_for_the_laptop_is_refused(store):
    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    [why] = refused_whole(store, "inspector.one", edited(store, "answers", answer["id"],
                                                         value="x" * (1024 * 1024)))
    assert "larger than" in why


def test_the_store_itself_refuses_a_membership_the_service_would(store):
    """The second wall: were the service's own check passed over, the store's row-level
    security still refuses someone joining a team in their own role."""
    engine = create_engine(store.central)
    try:
        for login in ("other.inspector", "inspector.two"):
            with pytest.raises(sa_exc.ProgrammingError, match="row-level security"), \
                    engine.begin() as conn:
                conn.execute(text(f'SET LOCAL ROLE "{login}"'))
                conn.execute(text(
                    "INSERT INTO inspection_members (id, rev, updated_at, updated_by, "
                    "device_id, inspection_id, person, role) VALUES (:id, 1, now(), :p, :d, "
                    ":i, :p, 'lead_inspector')"),
                    {"id": uuid.uuid4(), "p": login, "d": uuid.uuid4(),
                     "i": store.inspection})
    finally:
        engine.dispose()
    assert len([m for m in contents(store.central)["inspection_members"]]) == 3
