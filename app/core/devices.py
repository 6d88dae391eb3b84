"""The rules for laptops as devices of the central service: what a laptop signs when its
person signs in, how far its clock may be from the service's, and the enrolment codes an
administrator gives for a laptop that never reaches the network. Pure: the laptop and the
service both apply them."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

#: A device key is Ed25519: its public key is this many bytes.
PUBLIC_KEY_BYTES = 32
#: An Ed25519 signature is this many bytes.
SIGNATURE_BYTES = 64
#: How far the moment a laptop signed its sign-in may be from the service's clock, either way.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: What a sign-in statement starts with, so that nothing else a device signs can pass for one.
SIGN_IN_PURPOSE = "aspire-sign-in"
#: What the statement a laptop signs for a transfer file starts with.
TRANSFER_PURPOSE = "aspire-transfer-2"

#: Enrolment codes: Crockford's base32 (no I, L, O or U), read back forgiving the letters it
#: leaves out. 16 characters of 32 are 80 bits, shown as four groups of four.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
CODE_GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
#: How long an enrolment code is valid unless the administrator says otherwise, and at most.
ENROLMENT_DAYS = 14
MAX_ENROLMENT_DAYS = 90

#: How a device came to be known to the service.
FIRST_SIGN_IN = "first sign-in"
ENROLMENT_CODE = "enrolment code"


@dataclass(frozen=True)
class DeviceProof:
    """What a laptop sends with a sign-in: which device it is, its public key, and its
    signature over the sign-in statement made at ``signed_at`` (as the laptop wrote it)."""

    device_id: uuid.UUID
    public_key: bytes
    signed_at: str
    signature: bytes

    def statement(self, login: str) -> bytes:
        return sign_in_statement(login, self.device_id, self.signed_at)


def sign_in_statement(login: str, device_id: uuid.UUID | str, signed_at: str) -> bytes:
    """The bytes a device signs to sign in as ``login``: the purpose, the person, the device
    and the moment, one to a line."""
    return f"{SIGN_IN_PURPOSE}\n{login}\n{device_id}\n{signed_at}".encode()


def transfer_statement(login: str, device_id: uuid.UUID | str, sha256: str) -> bytes:
    """The bytes a device signs for a transfer file made as ``login``: the purpose, the
    person, the device and the SHA-256 (hex) of everything in the file before its end."""
    return f"{TRANSFER_PURPOSE}\n{login}\n{device_id}\n{sha256}".encode()


def signed_at_text(moment: dt.datetime) -> str:
    """A moment as a device writes it in a sign-in: ISO 8601 in UTC, to the microsecond
    (each sign-in statement is different, and the service takes each one once)."""
    return moment.astimezone(dt.UTC).isoformat()


def parse_signed_at(text: str) -> dt.datetime | None:
    """The moment in a sign-in statement, or None if it is not an ISO 8601 time in UTC."""
    if len(text) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() != dt.timedelta(0):
        return None
    return moment


def clock_problem(signed_at: dt.datetime, now: dt.datetime) -> str | None:
    """Why a statement signed at ``signed_at`` is not current at ``now``, or None."""
    if abs(now - signed_at) <= CLOCK_SKEW:
        return None
    minutes = int(CLOCK_SKEW.total_seconds() // 60)
    signed, clock = (signed_at_text(m.replace(microsecond=0)) for m in (signed_at, now))
    return (f"The laptop signed its sign-in at {signed}, more than {minutes} minutes from "
            f"the service's clock ({clock}).")


def new_enrolment_code() -> str:
    """A fresh enrolment code, as shown to the administrator: ``XXXX-XXXX-XXXX-XXXX``."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(code[i:i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalised_code(text: str) -> str | None:
    """An enrolment code as typed (any case, with or without dashes or spaces, O for 0 and
    I or L for 1) in its one written form, or None if it cannot be one."""
    if len(text) > 4 * CODE_LENGTH:
        return None
    code = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def enrolment_days_problem(days: int) -> str | None:
    if not 1 <= days <= MAX_ENROLMENT_DAYS:
        return (f"An enrolment code is valid for 1 to {MAX_ENROLMENT_DAYS} days, "
                f"not {days}.")
    return None
