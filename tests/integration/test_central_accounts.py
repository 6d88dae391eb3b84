"""Signing in to the central service: passwords, sessions, back-off and lock-out, a person's
own password change and an administrator's reset; over HTTP to the real service, and in the
central database underneath."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from app.core import accounts as rules
from app.sync import accounts
from app.sync.central import add_user, central_engine
from tests.cli import aspire
from tests.integration.sync_fixtures import person_url
from tests.service import in_thread

LOGIN, PASSWORD = "j.smith", "a long enough password"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def central(central):
    add_user(central, login=LOGIN, name="Jo Smith", role="inspector", password=PASSWORD)
    return central


@pytest.fixture
def service(central):
    return in_thread(central)


def sign_in(service, login=LOGIN, password=PASSWORD):
    return service.call("POST", "/session", {"login": login, "password": password})


def query(url: str, sql: str, **params) -> list:
    """The rows a statement returns ([] for one that returns none)."""
    engine = central_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def opens_no_database_session(central: str, login: str, password: str) -> None:
    """``login`` and ``password`` open no session in the central database: the person's role
    is there (the service acts in it) but can never log in and has no password."""
    with pytest.raises(sa_exc.OperationalError,
                       match=r"password authentication failed|not permitted to log in"):
        query(person_url(central, login, password), "SELECT 1")
    (role,) = query(central, "SELECT rolcanlogin, rolpassword FROM pg_authid "
                             "WHERE rolname = :login", login=login)
    assert (role.rolcanlogin, role.rolpassword) == (False, None)


def refused_in_role(central: str, role: str, sql: str) -> None:
    """``sql`` is refused in ``role`` (the database role the service runs a person's
    requests in), stepped into from the superuser's session."""
    engine = central_engine(central)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"SET LOCAL ROLE {conn.dialect.identifier_preparer.quote(role)}"))
            with pytest.raises(sa_exc.ProgrammingError, match="permission denied"):
                conn.execute(text(sql))
    finally:
        engine.dispose()


def test_signing_in_gives_a_short_session_that_signing_out_ends(service):
    status, answer, _ = sign_in(service)
    assert status == 200
    assert (answer["login"], answer["name"], answer["role"], answer["must_change"]) == (
        LOGIN, "Jo Smith", "inspector", False)
    expires = dt.datetime.fromisoformat(answer["expires_at"])
    left = expires - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=14) < left <= rules.SESSION_LENGTH
    token = answer["token"]
    assert service.get("/me", token=token) == (200, {"login": LOGIN, "name": "Jo Smith",
                                                     "role": "inspector",
                                                     "must_change": False,
                                                     "device": None})
    assert service.call("DELETE", "/session", token=token)[0] == 204
    status, answer = service.get("/me", token=token)
    assert status == 401 and answer["error"] == "The sign-in has expired or is not known."


def test_a_wrong_password_and_an_unknown_login_are_refused_alike(service):
    wrong = sign_in(service, password="not the password at all")
    unknown = sign_in(service, login="nobody.here")
    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1]
    assert wrong[1]["error"] == "The login or password is not right."
    assert service.get("/me")[0] == 401  # no token
    assert service.get("/me", token="made-up")[0] == 401


def test_tries_at_an_unknown_login_are_answered_as_at_a_known_one(central, service):
    """Try after try, the answers (refused, then wait, then how long) are the same whether
    the login exists or not, so they tell no one which logins exist."""
    def answers(login: str) -> list[tuple[int, str]]:
        seen = []
        for _ in range(rules.FREE_FAILURES + 2):
            status, answer, headers = sign_in(service, login=login,
                                              password="not the password at all")
            seen.append((status, answer["error"][:40], "retry-after" in headers))
        return seen

    known, unknown = answers(LOGIN), answers("nobody.here")
    assert known == unknown
    assert [status for status, _, _ in known] == [401] * (rules.FREE_FAILURES + 1) + [429]
    kept = query(central, "SELECT login_hash FROM service_unknown_tries")
    assert len(kept) == 1 and b"nobody" not in bytes(kept[0].login_hash)


def test_passwords_are_kept_as_argon2id_hashes_and_tokens_only_as_their_hash(central,
                                                                              service):
    token = sign_in(service)[1]["token"]
    (stored,) = query(central, "SELECT password_hash FROM service_credentials WHERE login = :l",
                      l=LOGIN)
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    sessions = query(central, "SELECT token_hash FROM service_sessions WHERE login = :l", l=LOGIN)
    assert [bytes(s.token_hash) for s in sessions] == [accounts.token_hash(token)]


def test_a_release_hashes_passwords_at_full_strength_and_only_the_tests_do_not():
    """argon2id at RFC 9106's second settings (64 MiB, three passes, four lanes) in the app
    as it is installed; the lowest cost only where the test run asks for it."""
    show = ("from app.sync import accounts; h = accounts._hasher; "
            "print(h.memory_cost, h.time_cost, h.parallelism, accounts._nobody().split('$')[3])")

    def settings(pythonpath: str | None) -> list[str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        return subprocess.run([sys.executable, "-c", show], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True).stdout.split()

    assert settings(None) == ["65536", "3", "4", "m=65536,t=3,p=4"]
    assert settings(os.environ["PYTHONPATH"]) == ["8", "1", "1", "m=8,t=1,p=1"]
    assert accounts._hasher.memory_cost == 8  # this test run's own


def test_a_persons_password_opens_no_database_session(central, service):
    """The password that signs a person in to the service is no way into the database; and
    their role, in which the service acts for them, reads none of the service's accounts."""
    assert sign_in(service)[0] == 200
    opens_no_database_session(central, LOGIN, PASSWORD)
    for table in ("service_credentials", "service_sessions", "service_unknown_tries"):
        refused_in_role(central, LOGIN, f"SELECT * FROM {table}")


def test_wrong_passwords_in_a_row_make_the_next_try_wait(service):
    for _ in range(rules.FREE_FAILURES):
        assert sign_in(service, password="not the password at all")[0] == 401
    assert sign_in(service)[0] == 200  # the free tries cost nothing, and the count starts over
    for _ in range(rules.FREE_FAILURES + 1):
        assert sign_in(service, password="not the password at all")[0] == 401
    status, answer, headers = sign_in(service)  # even the right password must wait now
    assert status == 429
    assert 0 < int(headers["retry-after"]) <= 60
    assert answer["error"].startswith("Too many wrong passwords in a row. Try again in")


def test_each_wrong_password_past_the_free_ones_makes_the_next_wait_and_then_locks(central):
    engine = central_engine(central)
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    waits = []
    try:
        for failures in range(1, rules.LOCK_OUT_AFTER):
            with pytest.raises(accounts.SignInRefused):
                accounts.sign_in(engine, LOGIN, "not the password at all", now)
            wait = rules.wait_after(failures)
            if wait:  # even the right password must wait, and is told how long
                with pytest.raises(accounts.TryLater) as told:
                    accounts.sign_in(engine, LOGIN, PASSWORD, now + dt.timedelta(seconds=1))
                waits.append(told.value.retry_after + 1)
            now += wait
        with pytest.raises(accounts.LockedOut):
            accounts.sign_in(engine, LOGIN, "not the password at all", now)
        with pytest.raises(accounts.LockedOut):  # however long they wait, right or wrong
            accounts.sign_in(engine, LOGIN, PASSWORD, now + dt.timedelta(days=30))
    finally:
        engine.dispose()
    assert waits == [int(rules.wait_after(n).total_seconds())
                     for n in range(rules.FREE_FAILURES + 1, rules.LOCK_OUT_AFTER)]
    assert waits[:3] == [60, 120, 240] and waits[-1] == 3600


def test_wrong_current_passwords_count_as_wrong_sign_ins_and_lock_alike(central):
    """A session someone else has taken cannot be used to guess the password."""
    from app.errors import ValidationError

    engine = central_engine(central)
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    later = now + dt.timedelta(seconds=1)
    try:
        session = accounts.sign_in(engine, LOGIN, PASSWORD, now)
        for _ in range(rules.FREE_FAILURES + 1):
            with pytest.raises(ValidationError, match="current password is not right"):
                accounts.change_password(engine, session.account, "not it at all",
                                         "my own new passphrase", now)
        with pytest.raises(accounts.TryLater):  # even the right one waits now
            accounts.change_password(engine, session.account, PASSWORD,
                                     "my own new passphrase", later)
        with pytest.raises(accounts.TryLater):  # and so does signing in: one count
            accounts.sign_in(engine, LOGIN, PASSWORD, later)
        query(central, "UPDATE service_credentials SET failures = :f, last_failure_at = NULL "
                       "WHERE login = :l", f=rules.LOCK_OUT_AFTER - 1, l=LOGIN)
        with pytest.raises(accounts.LockedOut):
            accounts.change_password(engine, session.account, "not it at all",
                                     "my own new passphrase", later)
        assert accounts.account_for(engine, session.token, later) is None  # sessions ended
        with pytest.raises(accounts.LockedOut):
            accounts.sign_in(engine, LOGIN, PASSWORD, later + dt.timedelta(days=1))
    finally:
        engine.dispose()


def reset(central: str, login: str, password: str) -> subprocess.CompletedProcess:
    return aspire("central", "reset-password", "--url", central, "--login", login,
                  env={"ASPIRE_NEW_PASSWORD": password,
                       "ASPIRE_CENTRAL_PASSWORD": "unused-on-trusted-loopback"})


def test_after_an_administrators_reset_the_person_signs_in_and_changes_it(central, service):
    old_token = sign_in(service)[1]["token"]
    query(central, "UPDATE service_credentials SET failures = :f WHERE login = :l",
          f=rules.LOCK_OUT_AFTER, l=LOGIN)
    status, answer, _ = sign_in(service)
    assert status == 423 and "locked" in answer["error"]

    done = reset(central, LOGIN, "a temporary password 4821")
    assert done.returncode == 0, done.stderr
    assert "must then change it" in done.stdout
    assert service.get("/me", token=old_token)[0] == 401  # the reset ended every session
    status, answer, _ = sign_in(service, password="a temporary password 4821")
    assert status == 200 and answer["must_change"] is True
    token = answer["token"]

    status, answer, _ = service.call("POST", "/password", {"current": "not it at all",
                                                           "new": "my own new passphrase"},
                                     token=token)
    assert status == 400 and answer["error"] == "The current password is not right."
    status, answer, _ = service.call("POST", "/password", {"current": "a temporary password 4821",
                                                           "new": "short"}, token=token)
    assert status == 400 and "too short" in answer["error"]
    status, _, _ = service.call("POST", "/password", {"current": "a temporary password 4821",
                                                      "new": "my own new passphrase"},
                                token=token)
    assert status == 204
    assert service.get("/me", token=token)[0] == 401  # signed in again with the new one
    status, answer, _ = sign_in(service, password="my own new passphrase")
    assert status == 200 and answer["must_change"] is False
    assert sign_in(service, password="a temporary password 4821")[0] == 401


def test_a_reset_for_someone_unknown_says_so(central):
    done = reset(central, "no.such.person", "a temporary password 4821")
    assert done.returncode != 0
    assert "There is no person 'no.such.person'" in done.stderr


def test_a_password_the_rules_refuse_is_not_set(central):
    with pytest.raises(Exception, match="must not contain the login name"):
        add_user(central, login="k.jones", name="Kim Jones", role="inspector",
                 password="k.jones-password-2026")
    assert query(central, "SELECT 1 FROM people WHERE login = 'k.jones'") == []


def test_bad_requests_are_refused_early_and_clearly(service):
    status, answer, _ = service.call("POST", "/session", raw=b"x" * (64 * 1024))
    assert status == 413 and "larger than" in answer["error"]
    status, answer, _ = service.call("POST", "/session", raw=b"not json")
    assert status == 400 and answer["error"] == "The request is not JSON."
    status, answer, _ = service.call("POST", "/session", [LOGIN, PASSWORD])
    assert status == 400 and answer["error"] == "The request is not a JSON object."
    status, answer, _ = service.call("POST", "/session", {"login": LOGIN})
    assert status == 400 and answer["error"] == "The request has no 'password'."
    status, answer, _ = sign_in(service, password="p" * (rules.MAX_PASSWORD_LENGTH + 1))
    assert status == 401
