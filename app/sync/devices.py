"""Laptops known to the central service: each device, its person and its public key.

A device is recorded at its first sign-in (with the person's right password and a signature
made with the key it presents), or from a one-time enrolment code an administrator issued for
the person, for a laptop that never reaches the network. From then on the device belongs to
that person with that key: a sign-in from it as anyone else, or with another key, is refused
whole. Enrolment codes are kept only as their SHA-256 hash.

Every function works inside the caller's transaction on the central database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, text

from app.core import devices as rules
from app.errors import UserFacingError, ValidationError


class DeviceRefused(UserFacingError):
    """The device cannot be accepted for this person; nothing of the request is kept."""


class EnrolmentRefused(DeviceRefused):
    """The enrolment code cannot enrol this device."""


@dataclasses.dataclass(frozen=True)
class Device:
    device_id: uuid.UUID
    login: str
    public_key: bytes
    enrolled_at: dt.datetime
    enrolled_how: str
    revoked_at: dt.datetime | None
    #: Recorded just now, by the call that returned it.
    new: bool = False


@dataclasses.dataclass(frozen=True)
class EnrolmentCode:
    code: str
    login: str
    expires_at: dt.datetime


def code_hash(code: str) -> bytes:
    """The SHA-256 hash an enrolment code is kept as (of its one written form)."""
    normal = rules.normalised_code(code)
    if normal is None:
        raise ValueError("not an enrolment code")
    return hashlib.sha256(normal.encode("ascii")).digest()


def signature_is_right(public_key: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def sign_in_device(conn: Connection, login: str, proof: rules.DeviceProof,
                   now: dt.datetime) -> Device:
    """The device ``login`` signs in from, checked and (the first time) recorded: the
    statement is current and signed with the key presented, and a known device is this
    person's, with this key, and not withdrawn. Raises ``DeviceRefused`` naming the reason."""
    signed_at = rules.parse_signed_at(proof.signed_at)
    if signed_at is None:
        raise DeviceRefused("The laptop's sign-in does not say when it was signed.",
                            "Update ASPIRE Casework on this laptop.")
    problem = rules.clock_problem(signed_at, now)
    if problem is not None:
        raise DeviceRefused(problem, "Set the laptop's date and time to be set automatically, "
                                     "then sign in again.")
    if not signature_is_right(proof.public_key, proof.signature, proof.statement(login)):
        raise DeviceRefused("The laptop's signature on this sign-in is not right.",
                            "Sign in again from ASPIRE Casework; if it happens again, ask "
                            "your administrator.")
    _use_once(conn, proof.signature, now)
    return record_device(conn, login, proof.device_id, proof.public_key,
                         rules.FIRST_SIGN_IN, now)


def _use_once(conn: Connection, signature: bytes, now: dt.datetime) -> None:
    """Refuse a signed sign-in statement presented before (seen on its way, and sent again
    while still current); statements too old to be current are forgotten."""
    conn.execute(text("DELETE FROM service_used_sign_ins WHERE used_at < :before"),
                 {"before": now - 2 * rules.CLOCK_SKEW})
    fresh = conn.execute(text(
        "INSERT INTO service_used_sign_ins (signature_sha256, used_at) VALUES (:s, :now) "
        "ON CONFLICT (signature_sha256) DO NOTHING"),
        {"s": hashlib.sha256(signature).digest(), "now": now}).rowcount
    if fresh != 1:
        raise DeviceRefused("This laptop's sign-in was presented before.",
                            "Sign in again from ASPIRE Casework; if it happens again, ask "
                            "your administrator.")


def record_device(conn: Connection, login: str, device_id: uuid.UUID, public_key: bytes,
                  how: str, now: dt.datetime) -> Device:
    """Record ``device_id`` with ``public_key`` as ``login``'s, or check that it already is.
    Raises ``DeviceRefused`` if it is someone else's, has another key, or was withdrawn."""
    if len(public_key) != rules.PUBLIC_KEY_BYTES:
        raise DeviceRefused("The laptop's public key is not an Ed25519 key.",
                            "Update ASPIRE Casework on this laptop.")
    inserted = conn.execute(text(
        "INSERT INTO devices (device_id, login, public_key, enrolled_at, enrolled_how) "
        "VALUES (:d, :l, :k, :now, :how) ON CONFLICT (device_id) DO NOTHING"),
        {"d": device_id, "l": login, "k": public_key, "now": now, "how": how}).rowcount
    device = _device(conn, device_id)
    assert device is not None  # just inserted, or there already
    if device.login != login:
        raise DeviceRefused("This laptop is enrolled to another person.",
                            "Sign in on your own laptop. If this laptop has been handed over "
                            "to you, ask your administrator to withdraw its old enrolment.")
    if device.revoked_at is not None:
        raise DeviceRefused("This laptop's device key has been withdrawn.",
                            "Ask your administrator to enrol the laptop again.")
    if device.public_key != public_key:
        raise DeviceRefused("This laptop's device key is not the one the service has for it.",
                            "The laptop's database may have been replaced or copied: ask "
                            "your administrator before signing in from it again.")
    return dataclasses.replace(device, new=inserted == 1)


def known_device(conn: Connection, device_id: uuid.UUID) -> Device | None:
    return _device(conn, device_id, lock=False)


def _device(conn: Connection, device_id: uuid.UUID, *, lock: bool = True) -> Device | None:
    row = conn.execute(text(
        "SELECT device_id, login, public_key, enrolled_at, enrolled_how, revoked_at "
        "FROM devices WHERE device_id = :d" + (" FOR UPDATE" if lock else "")),
        {"d": device_id}).one_or_none()
    if row is None:
        return None
    return Device(row.device_id, row.login, bytes(row.public_key), row.enrolled_at,
                  row.enrolled_how, row.revoked_at)


def store_enrolment_code(conn: Connection, login: str, days: int,
                         now: dt.datetime) -> EnrolmentCode:
    """A new one-time code enrolling a laptop for ``login``, valid for ``days`` days, kept
    only as its hash with who issued it (the administrator's database login)."""
    problem = rules.enrolment_days_problem(days)
    if problem is not None:
        raise ValidationError(problem, f"Give --days from 1 to {rules.MAX_ENROLMENT_DAYS}.")
    if not conn.scalar(text("SELECT 1 FROM people WHERE login = :l"), {"l": login}):
        raise ValidationError(f"There is no person '{login}' at the central store.",
                              "Check the login, or add them with 'aspire central add-user'.")
    code = rules.new_enrolment_code()
    expires = now + dt.timedelta(days=days)
    conn.execute(text(
        "INSERT INTO device_enrolments (code_hash, login, issued_by, issued_at, expires_at) "
        "VALUES (:h, :l, session_user, :now, :e)"),
        {"h": code_hash(code), "l": login, "now": now, "e": expires})
    return EnrolmentCode(code, login, expires)


def enrol_with_code(conn: Connection, login: str, code: str, device_id: uuid.UUID,
                    public_key: bytes, now: dt.datetime) -> Device:
    """Record ``device_id`` with ``public_key`` as ``login``'s from an enrolment code, and
    mark the code used. The code must be right, issued for ``login``, unused and unexpired;
    otherwise ``EnrolmentRefused`` says which, and nothing is changed."""
    try:
        hashed = code_hash(code)
    except ValueError:
        hashed = None
    row = None if hashed is None else conn.execute(text(
        "SELECT login, expires_at, used_at FROM device_enrolments WHERE code_hash = :h "
        "FOR UPDATE"), {"h": hashed}).one_or_none()
    if row is None:
        raise EnrolmentRefused("The enrolment code is not right.",
                               "Check it with your administrator, who can issue a new one.")
    if row.login != login:
        raise EnrolmentRefused("The enrolment code was issued for another person.",
                               "Each person needs a code issued for them.")
    if row.used_at is not None:
        raise EnrolmentRefused("The enrolment code has already been used.",
                               "A code enrols one laptop once: ask your administrator for a "
                               "new one.")
    if row.expires_at <= now:
        raise EnrolmentRefused(
            f"The enrolment code expired on {row.expires_at.astimezone(dt.UTC):%d/%m/%Y}.",
            "Ask your administrator for a new one.")
    enrolled = record_device(conn, login, device_id, public_key, rules.ENROLMENT_CODE, now)
    conn.execute(text("UPDATE device_enrolments SET used_at = :now, device_id = :d "
                      "WHERE code_hash = :h"), {"now": now, "d": device_id, "h": hashed})
    return enrolled
