"""People's accounts at the central service: passwords kept as argon2id hashes, sign-in with
back-off and lock-out (``app.core.accounts``), and sessions known only by their token's hash,
each with the device it was made from when the laptop proved which it is (``devices``).

Every function takes the service's engine (or an administrator's connection) and keeps its
state in the central database, so any number of service instances share it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, text

from app.core import accounts as rules
from app.core.devices import DeviceProof
from app.errors import UserFacingError, ValidationError
from app.sync import devices

#: argon2id with the library's defaults (RFC 9106's second recommended settings: 3 passes
#: over 64 MiB, 4 lanes), above OWASP's minimum.
_hasher = PasswordHasher()
#: Checked when the login is unknown, so that an unknown login takes as long as a known one.


class SignInRefused(UserFacingError):
    """The login or the password is not right (which of the two is not said)."""

    def __init__(self) -> None:
        super().__init__("The login or password is not right.",
                         "Check both and try again; after several wrong passwords in a row "
                         "each try must wait a little longer.")


class TryLater(UserFacingError):
    """Too many wrong passwords in a row: the next try must wait."""

    def __init__(self, seconds: int):
        super().__init__(f"Too many wrong passwords in a row. Try again in "
                         f"{_duration(seconds)}.",
                         "If you have forgotten your password, ask your administrator to "
                         "reset it.")
        self.retry_after = seconds


class LockedOut(UserFacingError):
    """Locked until an administrator resets the password."""

    def __init__(self) -> None:
        super().__init__("This account is locked after too many wrong passwords.",
                         "Ask your administrator to reset your password.")


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    role: str
    must_change: bool
    #: The device the session was made from, if the laptop proved which it is.
    device_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Session:
    token: str
    expires_at: dt.datetime
    account: Account
    #: The device was recorded for the person by this sign-in (its first).
    device_enrolled: bool = False


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def store_password(conn: Connection, login: str, password: str, *,
                   must_change: bool = False) -> None:
    """Set ``login``'s password (checked against the rules), clear its wrong tries, and end
    its sessions. ``login`` must be one of ``people``."""
    problem = rules.password_problem(password, login)
    if problem is not None:
        raise ValidationError(problem, "Choose another password.")
    conn.execute(text(
        "INSERT INTO service_credentials (login, password_hash, must_change) "
        "VALUES (:l, :h, :m) ON CONFLICT (login) DO UPDATE SET password_hash = :h, "
        "failures = 0, last_failure_at = NULL, changed_at = now(), must_change = :m"),
        {"l": login, "h": _hasher.hash(password), "m": must_change})
    conn.execute(text("DELETE FROM service_sessions WHERE login = :l"), {"l": login})


def sign_in(engine: Engine, login: str, password: str, now: dt.datetime,
            device: DeviceProof | None = None) -> Session:
    """A new session for ``login``, or the reason there is none (``SignInRefused``,
    ``TryLater``, ``LockedOut``). A wrong password is counted even as the error is raised.

    With ``device``, the right password is not enough: the device must be recorded as this
    person's with this key, or be recorded now if it is new (``devices.sign_in_device``);
    otherwise ``devices.DeviceRefused`` and nothing of the sign-in is kept."""
    if len(password) > rules.MAX_PASSWORD_LENGTH:
        raise SignInRefused()
    # The password is checked (argon2id: tens of milliseconds, 64 MiB) outside any
    # transaction, so sign-ins hold neither a pooled connection nor a row lock meanwhile.
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT c.password_hash, c.failures, c.last_failure_at, c.must_change, p.name, "
            "p.role FROM service_credentials c JOIN people p USING (login) "
            "WHERE c.login = :l"), {"l": login}).one_or_none()
    if row is None:
        _unknown_login(engine, login, password, now)
    _refuse_while_waiting(row.failures, row.last_failure_at, now)
    right = _verify(row.password_hash, password)
    with engine.begin() as conn:
        if not right:
            # counted in one statement, so tries made at once on several services all count
            failures = conn.scalar(text(
                "UPDATE service_credentials SET failures = failures + 1, last_failure_at = :now "
                "WHERE login = :l RETURNING failures"), {"now": now, "l": login})
            refusal: UserFacingError = (LockedOut() if rules.locked_out(failures or 0)
                                        else SignInRefused())
        else:
            # tries that failed meanwhile, elsewhere, still count
            current = conn.execute(text(
                "SELECT failures, last_failure_at FROM service_credentials WHERE login = :l "
                "FOR UPDATE"), {"l": login}).one()
            if current.failures != row.failures:
                _refuse_while_waiting(current.failures, current.last_failure_at, now)
            conn.execute(text("UPDATE service_credentials SET failures = 0, "
                              "last_failure_at = NULL WHERE login = :l"), {"l": login})
            device_id, enrolled = None, False
            if device is not None:
                known = devices.sign_in_device(conn, login, device, now)
                device_id, enrolled = known.device_id, known.new
            conn.execute(text("DELETE FROM service_sessions WHERE expires_at < :now"),
                         {"now": now})
            token = secrets.token_urlsafe(32)
            expires = now + rules.SESSION_LENGTH
            conn.execute(text("INSERT INTO service_sessions (token_hash, login, created_at, "
                              "expires_at, device_id) VALUES (:t, :l, :now, :e, :d)"),
                         {"t": token_hash(token), "l": login, "now": now, "e": expires,
                          "d": device_id})
            session = Session(token, expires, Account(login, row.name, row.role,
                                                      row.must_change, device_id), enrolled)
    if not right:
        raise refusal  # after the transaction, so the wrong try is counted
    if _hasher.check_needs_rehash(row.password_hash):  # stronger settings since: rehashed
        with engine.begin() as conn:
            conn.execute(text("UPDATE service_credentials SET password_hash = :h "
                              "WHERE login = :l AND password_hash = :old"),
                         {"l": login, "h": _hasher.hash(password), "old": row.password_hash})
    return session


def _unknown_login(engine: Engine, login: str, password: str, now: dt.datetime) -> NoReturn:
    """Refuse a login the service does not know exactly as a known one with a wrong
    password: the same check of a password, the same count of tries, the same answers
    (refused, then wait, then locked), so the answers tell no one which logins exist."""
    key = hashlib.sha256(login.strip().lower().encode()).digest()
    with engine.connect() as conn:
        seen = conn.execute(text("SELECT failures, last_failure_at FROM service_unknown_tries "
                                 "WHERE login_hash = :k"), {"k": key}).one_or_none()
    if seen is not None:
        _refuse_while_waiting(seen.failures, seen.last_failure_at, now)
    _verify(_nobody(), password)
    with engine.begin() as conn:
        failures = conn.scalar(text(
            "INSERT INTO service_unknown_tries (login_hash, failures, last_failure_at) "
            "VALUES (:k, 1, :now) ON CONFLICT (login_hash) DO UPDATE SET "
            "failures = service_unknown_tries.failures + 1, last_failure_at = :now "
            "RETURNING failures"), {"k": key, "now": now})
    raise LockedOut() if rules.locked_out(failures or 0) else SignInRefused()


def _refuse_while_waiting(failures: int, last_failure_at: dt.datetime | None,
                          now: dt.datetime) -> None:
    """``LockedOut`` or ``TryLater`` while wrong tries in a row say so."""
    if rules.locked_out(failures):
        raise LockedOut()
    wait = rules.wait_after(failures)
    if last_failure_at is not None and last_failure_at + wait > now:
        raise TryLater(max(1, int((last_failure_at + wait - now).total_seconds())))


def account_for(engine: Engine, token: str, now: dt.datetime) -> Account | None:
    """The account signed in with ``token``, if the session is still current."""
    if not token or len(token) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT p.login, p.name, p.role, c.must_change, s.device_id "
            "FROM service_sessions s JOIN people p ON p.login = s.login "
            "JOIN service_credentials c ON c.login = s.login "
            "LEFT JOIN devices d ON d.device_id = s.device_id "
            "WHERE s.token_hash = :t AND s.expires_at > :now AND d.revoked_at IS NULL"),
            {"t": token_hash(token), "now": now}).one_or_none()
    return None if row is None else Account(row.login, row.name, row.role, row.must_change,
                                            row.device_id)


def count_request(engine: Engine, login: str, now: dt.datetime) -> int | None:
    """Count one request of ``login``'s; the seconds to wait if they have made more than
    ``rules.REQUESTS_PER_MINUTE`` in the current minute, else None. Counted in the store,
    so every instance of the service counts alike."""
    with engine.begin() as conn:
        requests, started = conn.execute(text(
            "INSERT INTO service_rates (login, window_start, requests) VALUES (:l, :now, 1) "
            "ON CONFLICT (login) DO UPDATE SET "
            "requests = CASE WHEN service_rates.window_start <= :now - interval '1 minute' "
            "THEN 1 ELSE service_rates.requests + 1 END, "
            "window_start = CASE WHEN service_rates.window_start <= :now - interval '1 minute' "
            "THEN :now ELSE service_rates.window_start END "
            "RETURNING requests, window_start"), {"l": login, "now": now}).one()
    if requests <= rules.REQUESTS_PER_MINUTE:
        return None
    return max(1, int((started + dt.timedelta(minutes=1) - now).total_seconds()) + 1)


def sign_out(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM service_sessions WHERE token_hash = :t"),
                     {"t": token_hash(token)})


def change_password(engine: Engine, account: Account, current: str, new: str,
                    now: dt.datetime) -> None:
    """The person's own change: the current password first. A wrong one counts as a wrong
    sign-in (the same back-off and lock-out, which also ends the person's sessions), so a
    session someone else has taken cannot be used to guess the password. Every session of
    theirs ends, this one included: they sign in again with the new password."""
    wrong = ValidationError("The current password is not right.",
                            "Give your current password, then the new one.")
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT password_hash, failures, last_failure_at FROM service_credentials "
            "WHERE login = :l"), {"l": account.login}).one_or_none()
    if row is None:
        raise wrong
    _refuse_while_waiting(row.failures, row.last_failure_at, now)
    if len(current) > rules.MAX_PASSWORD_LENGTH or not _verify(row.password_hash, current):
        with engine.begin() as conn:
            failures = conn.scalar(text(
                "UPDATE service_credentials SET failures = failures + 1, last_failure_at = :now "
                "WHERE login = :l RETURNING failures"), {"now": now, "l": account.login})
            if rules.locked_out(failures or 0):
                conn.execute(text("DELETE FROM service_sessions WHERE login = :l"),
                             {"l": account.login})
        raise LockedOut() if rules.locked_out(failures or 0) else wrong
    if new == current:
        raise ValidationError("The new password is the same as the current one.",
                              "Choose a different password.")
    with engine.begin() as conn:
        current_row = conn.execute(text(
            "SELECT failures, last_failure_at FROM service_credentials WHERE login = :l "
            "FOR UPDATE"), {"l": account.login}).one()
        if current_row.failures != row.failures:  # wrong tries meanwhile, elsewhere, count
            _refuse_while_waiting(current_row.failures, current_row.last_failure_at, now)
        store_password(conn, account.login, new)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        return False


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def ready() -> None:
    """Make now what a refusal of an unknown login checks against, so that no refusal takes
    longer than another (the service calls it as it starts)."""
    _nobody()


@functools.cache
def _nobody() -> str:
    """A hash no password matches, checked against when the login is unknown so that a
    refusal takes as long as for a known one (made when first needed: it takes as long as
    any hash, which the program's start need not wait for)."""
    return _hasher.hash("nobody has this password " + secrets.token_hex(16))
