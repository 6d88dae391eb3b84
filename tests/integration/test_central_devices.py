"""Laptops as devices of the central service: recorded with their person and public key at
their first sign-in, or from an administrator's one-time enrolment code; over HTTP to the
real service, and in the central database underneath."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text

from app.core import devices as rules
from app.db.device_key import DeviceKey, device_key
from app.sync import devices
from app.sync.central import add_user, central_engine
from tests.cli import aspire
from tests.integration.sync_fixtures import PASSWORD as DATABASE_PASSWORD
from tests.integration.test_central_accounts import (
    opens_no_database_session,
    query,
    refused_in_role,
)
from tests.service import in_thread

LOGIN, PASSWORD = "j.smith", "a long enough password"
OTHER, OTHER_PASSWORD = "k.jones", "another long password"


@pytest.fixture
def central(central):
    add_user(central, login=LOGIN, name="Jo Smith", role="inspector", password=PASSWORD)
    add_user(central, login=OTHER, name="Kim Jones", role="inspector",
             password=OTHER_PASSWORD)
    return central


@pytest.fixture
def service(central):
    return in_thread(central)


def a_key(device_id: uuid.UUID | None = None) -> DeviceKey:
    """A laptop's device key made apart from any database: another laptop, or a copy of one
    laptop's device id with a key of its own."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return DeviceKey(device_id or uuid.uuid4(), public, private)


def sign_in(service, login=LOGIN, password=PASSWORD, device=None):
    body = {"login": login, "password": password}
    if device is not None:
        body["device"] = device
    return service.call("POST", "/session", body)[:2]


def recorded(central) -> list:
    return query(central, "SELECT device_id, login, public_key, enrolled_how, revoked_at "
                          "FROM devices ORDER BY login")


def sessions(central, login=LOGIN) -> list:
    return query(central, "SELECT device_id FROM service_sessions WHERE login = :l", l=login)


def test_a_laptops_first_sign_in_records_its_device_and_the_session_knows_it(
        central, service, db):
    key = device_key(db)  # the laptop's own, kept in its encrypted database
    status, answer = sign_in(service, device=key.sign_in(LOGIN))
    assert status == 200, answer
    assert answer["device"] == str(key.device_id) and answer["device_enrolled"] is True
    ((device_id, login, public_key, how, revoked),) = recorded(central)
    assert (device_id, login, bytes(public_key), how, revoked) == (
        key.device_id, LOGIN, key.public_key, "first sign-in", None)
    assert [s.device_id for s in sessions(central)] == [key.device_id]
    status, me = service.get("/me", token=answer["token"])
    assert status == 200 and me["device"] == str(key.device_id)

    status, again = sign_in(service, device=key.sign_in(LOGIN))  # known now: signed in
    assert status == 200 and again["device"] == str(key.device_id)
    assert again["device_enrolled"] is False
    assert len(recorded(central)) == 1

    status, plain = sign_in(service)  # a sign-in that names no device has none
    assert status == 200 and plain["device"] is None
    assert service.get("/me", token=plain["token"])[1]["device"] is None


def test_the_same_device_with_another_key_is_refused_whole(central, service):
    key = a_key()
    assert sign_in(service, device=key.sign_in(LOGIN))[0] == 200
    copy = a_key(key.device_id)  # the same device id, another key
    status, answer = sign_in(service, device=copy.sign_in(LOGIN))
    assert status == 403
    assert answer["error"] == "This laptop's device key is not the one the service has for it."
    assert "token" not in answer
    assert [bytes(d.public_key) for d in recorded(central)] == [key.public_key]
    assert len(sessions(central)) == 1  # the first sign-in's alone


def test_a_device_of_another_person_is_refused(central, service):
    key = a_key()
    assert sign_in(service, device=key.sign_in(LOGIN))[0] == 200
    status, answer = sign_in(service, OTHER, OTHER_PASSWORD, device=key.sign_in(OTHER))
    assert status == 403 and answer["error"] == "This laptop is enrolled to another person."
    assert [(d.device_id, d.login) for d in recorded(central)] == [(key.device_id, LOGIN)]
    assert sessions(central, OTHER) == []


def test_a_sign_in_signed_more_than_five_minutes_from_the_services_clock_is_refused(
        central, service):
    key = a_key()
    now = dt.datetime.now(dt.UTC)
    for off in (dt.timedelta(minutes=-6), dt.timedelta(minutes=6), dt.timedelta(days=-1)):
        status, answer = sign_in(service, device=key.sign_in(LOGIN, now + off))
        assert status == 403, off
        assert "more than 5 minutes from the service's clock" in answer["error"]
    assert recorded(central) == [] and sessions(central) == []
    status, _ = sign_in(service, device=key.sign_in(LOGIN, now - dt.timedelta(minutes=4)))
    assert status == 200  # a laptop's clock a little out is no matter


def test_a_wrong_signature_is_refused(central, service):
    key = a_key()
    for_someone_else = key.sign_in(OTHER)  # signed for another person's sign-in
    by_another_key = {**key.sign_in(LOGIN), "signature": a_key().sign_in(LOGIN)["signature"]}
    moved = {**key.sign_in(LOGIN), "signed_at": rules.signed_at_text(
        dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30))}  # not the moment it signed
    for device in (for_someone_else, by_another_key, moved):
        status, answer = sign_in(service, device=device)
        assert status == 403
        assert answer["error"] == "The laptop's signature on this sign-in is not right."
    assert recorded(central) == [] and sessions(central) == []


def test_a_sign_in_statement_is_taken_once(central, service):
    """One seen on its way (a proxy's log, say) and sent again while current is refused,
    even with the password; a fresh one from the laptop is taken."""
    key = a_key()
    seen = key.sign_in(LOGIN)
    assert sign_in(service, device=seen)[0] == 200
    status, answer = sign_in(service, device=seen)
    assert status == 403 and answer["error"] == "This laptop's sign-in was presented before."
    assert len(sessions(central)) == 1
    assert sign_in(service, device=key.sign_in(LOGIN))[0] == 200


def test_a_device_is_recorded_only_with_the_right_password(central, service):
    key = a_key()
    status, _ = sign_in(service, password="not the password at all", device=key.sign_in(LOGIN))
    assert status == 401
    assert recorded(central) == []


def test_a_malformed_device_is_refused_before_the_password_is_tried(central, service):
    good = a_key().sign_in(LOGIN)
    cases = {
        "The request's 'device' is not a JSON object.": "laptop-1",
        "The request has no 'device.signature'.": {k: v for k, v in good.items()
                                                     if k != "signature"},
        "The request's 'device.id' is not a device id.": {**good, "id": "laptop-1"},
        "The request's 'device.public_key' is not 32 bytes in base64.": {
            **good, "public_key": "not base64!"},
        "The request's 'device.signature' is not 64 bytes in base64.": {
            **good, "signature": good["public_key"]},
    }
    for error, device in cases.items():
        status, answer = sign_in(service, device=device)
        assert (status, answer["error"]) == (400, error)
    status, answer = sign_in(service, device={**good, "signed_at": "08/12/2026 09:30"})
    assert status == 400 and "'device.signed_at' is not a time in UTC" in answer["error"]
    status, answer = sign_in(service, device={**good, "signed_at": "2026-12-08T09:30:00"})
    assert status == 400  # no time zone: not said to be UTC
    assert recorded(central) == []
    assert query(central, "SELECT failures FROM service_credentials WHERE login = :l",
                 l=LOGIN)[0].failures == 0


def test_a_withdrawn_device_is_refused_and_its_sessions_end(central, service):
    key = a_key()
    token = sign_in(service, device=key.sign_in(LOGIN))[1]["token"]
    query(central, "UPDATE devices SET revoked_at = now() WHERE device_id = :d",
          d=key.device_id)
    assert service.get("/me", token=token)[0] == 401
    status, answer = sign_in(service, device=key.sign_in(LOGIN))
    assert status == 403 and answer["error"] == "This laptop's device key has been withdrawn."


def test_a_persons_password_opens_no_database_session_to_devices_or_enrolments(central,
                                                                              service):
    add_user(central, login="a.person", name="A Person", role="supervisor",
             password=DATABASE_PASSWORD)
    assert sign_in(service, "a.person", DATABASE_PASSWORD)[0] == 200
    opens_no_database_session(central, "a.person", DATABASE_PASSWORD)
    for table in ("devices", "device_enrolments"):
        refused_in_role(central, "a.person", f"SELECT * FROM {table}")


# Enrolment codes, for a laptop that never reaches the network


def enrol_device(central, *args: str) -> subprocess.CompletedProcess:
    return aspire("central", "enrol-device", "--url", central, *args,
                  env={"ASPIRE_CENTRAL_PASSWORD": "unused-on-trusted-loopback"})


def issue(central, login=LOGIN, days=rules.ENROLMENT_DAYS) -> str:
    engine = central_engine(central)
    try:
        with engine.begin() as conn:
            return devices.store_enrolment_code(conn, login, days, dt.datetime.now(dt.UTC)).code
    finally:
        engine.dispose()


def enrol(central, login, code, key, now=None) -> devices.Device:
    engine = central_engine(central)
    try:
        with engine.begin() as conn:
            return devices.enrol_with_code(conn, login, code, key.device_id, key.public_key,
                                           now or dt.datetime.now(dt.UTC))
    finally:
        engine.dispose()


def enrolments(central) -> list:
    return query(central, "SELECT * FROM device_enrolments")


def test_an_administrator_issues_a_one_time_code_kept_only_as_its_hash(central):
    before = dt.datetime.now(dt.UTC)
    done = enrol_device(central, "--login", LOGIN, "--json")
    assert done.returncode == 0, done.stderr
    issued = json.loads(done.stdout)
    code = issued["code"]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert issued["login"] == LOGIN
    expires = dt.datetime.fromisoformat(issued["expires_at"])
    assert dt.timedelta(days=14) <= expires - before < dt.timedelta(days=14, minutes=5)

    ((row),) = enrolments(central)
    assert bytes(row.code_hash) == hashlib.sha256(code.replace("-", "").encode()).digest()
    assert (row.login, row.expires_at, row.used_at, row.device_id) == (
        LOGIN, expires, None, None)
    assert row.issued_by == query(central, "SELECT session_user AS who")[0].who
    assert code.replace("-", "") not in repr(row) and code not in repr(row)

    text = enrol_device(central, "--login", LOGIN, "--days", "3")
    assert text.returncode == 0, text.stderr
    assert f"Enrolment code for {LOGIN}'s laptop: " in text.stdout
    assert "it is not shown again" in text.stdout
    assert len(enrolments(central)) == 2


def test_an_enrolment_code_is_not_issued_for_nobody_or_for_too_long(central):
    unknown = enrol_device(central, "--login", "no.such.person")
    assert unknown.returncode != 0
    assert "There is no person 'no.such.person'" in unknown.stderr
    for days in ("0", "91"):
        refused = enrol_device(central, "--login", LOGIN, "--days", days)
        assert refused.returncode != 0 and "valid for 1 to 90 days" in refused.stderr
    assert enrolments(central) == []


def test_the_right_code_enrols_the_laptop_once(central, service):
    code = issue(central)
    key = a_key()
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")  # as read out
    enrolled = enrol(central, LOGIN, typed, key)
    assert (enrolled.device_id, enrolled.login, enrolled.public_key, enrolled.enrolled_how) == (
        key.device_id, LOGIN, key.public_key, "enrolment code")
    ((row),) = enrolments(central)
    assert row.used_at is not None and row.device_id == key.device_id

    with pytest.raises(devices.EnrolmentRefused, match="already been used"):
        enrol(central, LOGIN, code, a_key())
    assert len(recorded(central)) == 1

    status, answer = sign_in(service, device=key.sign_in(LOGIN))  # the laptop, when it can
    assert status == 200 and answer["device"] == str(key.device_id)
    assert answer["device_enrolled"] is False


def test_a_code_for_someone_else_or_not_right_enrols_nothing(central):
    code = issue(central)
    key = a_key()
    with pytest.raises(devices.EnrolmentRefused, match="issued for another person"):
        enrol(central, OTHER, code, key)
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    for not_right in (wrong, "", "ABCD-EFGH", code + "-XXXX"):
        with pytest.raises(devices.EnrolmentRefused, match="The enrolment code is not right"):
            enrol(central, LOGIN, not_right, key)
    assert recorded(central) == []
    assert enrolments(central)[0].used_at is None
    assert enrol(central, LOGIN, code, key).login == LOGIN  # still good for its person


def test_an_expired_code_enrols_nothing(central):
    code = issue(central, days=1)
    key = a_key()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)
    with pytest.raises(devices.EnrolmentRefused, match="The enrolment code expired on"):
        enrol(central, LOGIN, code, key, now=later)
    assert recorded(central) == [] and enrolments(central)[0].used_at is None


def test_a_code_cannot_take_over_another_persons_laptop(central, service):
    key = a_key()
    assert sign_in(service, device=key.sign_in(LOGIN))[0] == 200
    code = issue(central, OTHER)
    with pytest.raises(devices.DeviceRefused, match="enrolled to another person"):
        enrol(central, OTHER, code, key)
    with pytest.raises(devices.DeviceRefused, match="not the one the service has"):
        enrol(central, LOGIN, issue(central), a_key(key.device_id))
    assert [(d.login, bytes(d.public_key)) for d in recorded(central)] == [
        (LOGIN, key.public_key)]
    assert all(e.used_at is None for e in enrolments(central))


def test_an_administrator_withdraws_a_lost_laptop_and_its_sessions_end(tmp_path,
                                                                         central):
    """From the command line, as an administrator would: the laptop's sign-in stops
    working at once, and an unknown device id is named in the error."""
    add_user(central, login="j.smith", name="Jo Smith", role="inspector",
             password="a long enough password")
    device = uuid.uuid4()
    engine = central_engine(central)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO devices (device_id, login, public_key, enrolled_at, "
                          "enrolled_how) VALUES (:d, 'j.smith', :k, now(), 'first sign-in')"),
                     {"d": device, "k": b"k" * 32})
        conn.execute(text("INSERT INTO service_sessions (token_hash, login, expires_at, "
                          "device_id) VALUES (:t, 'j.smith', now() + interval '10 minutes', "
                          ":d)"), {"t": b"t" * 32, "d": device})
    env = {"ASPIRE_CENTRAL_PASSWORD": "unused-on-trusted-loopback",
           "ASPIRE_DATA_DIR": str(tmp_path / "admin")}

    def withdraw(device_id) -> subprocess.CompletedProcess:
        return aspire("central", "withdraw-device", "--url", central, "--device",
                      str(device_id), env=env)

    done = withdraw(device)
    assert done.returncode == 0, done.stderr
    assert f"The laptop {device} of j.smith can no longer sign in." in done.stdout
    with engine.connect() as conn:
        assert conn.execute(text("SELECT revoked_at IS NOT NULL FROM devices")).scalar()
        assert conn.execute(text("SELECT count(*) FROM service_sessions")).scalar() == 0
    engine.dispose()
    unknown = uuid.uuid4()
    refused = withdraw(unknown)
    assert refused.returncode != 0 and f"There is no device {unknown}" in refused.stderr
