"""This laptop's device key: an Ed25519 key pair made the first time it is needed and kept in
the encrypted local database, beside the device id.

The private key is kept nowhere else: not in a file of its own, not in the keyring, never in
a log (``repr`` shows the device alone). The central service records the public key with the
person and the device, at the laptop's first sign-in or from an administrator's enrolment
code, and from then on knows the laptop by the signatures it makes.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.core import devices as rules
from app.db.engine import Database
from app.db.models import AppMeta
from app.errors import DatabaseError

#: The AppMeta entry holding the private key (its 32 raw bytes, in base64).
PRIVATE_KEY = "device_private_key"

log = logging.getLogger(__name__)


@dataclass(frozen=True, repr=False)
class DeviceKey:
    """The laptop's identity towards the central service: its device id, its public key,
    and signing with the private key, which it never hands out."""

    device_id: uuid.UUID
    public_key: bytes
    _private: Ed25519PrivateKey = field(compare=False)

    def __repr__(self) -> str:
        return f"DeviceKey(device {self.device_id})"

    @property
    def public_key_text(self) -> str:
        return base64.b64encode(self.public_key).decode("ascii")

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of ``data`` (64 bytes)."""
        return self._private.sign(data)

    def sign_in(self, login: str, now: dt.datetime | None = None) -> dict:
        """The ``device`` part of a sign-in to the central service as ``login``: this device,
        its public key and its signature over the sign-in statement made ``now``."""
        signed_at = rules.signed_at_text(now or dt.datetime.now(dt.UTC))
        signature = self.sign(rules.sign_in_statement(login, self.device_id, signed_at))
        return {"id": str(self.device_id), "public_key": self.public_key_text,
                "signed_at": signed_at,
                "signature": base64.b64encode(signature).decode("ascii")}


def device_key(db: Database) -> DeviceKey:
    """This laptop's device key, made and kept in ``db`` the first time it is asked for."""
    if db.key is None:
        raise DatabaseError(
            f"The database {db.path.name} is not encrypted, so it cannot keep this laptop's "
            "device key.", "Open it with its key (the app encrypts it when it opens it).")
    stored = db.meta(PRIVATE_KEY)
    if stored is None:
        with db.write() as session:  # IMMEDIATE: two first uses at once make one key
            row = session.get(AppMeta, PRIVATE_KEY)
            if row is None:
                row = AppMeta(key=PRIVATE_KEY, value=base64.b64encode(
                    Ed25519PrivateKey.generate().private_bytes_raw()).decode("ascii"))
                session.add(row)
                log.info("made the device key of device %s", db.device_id)
            stored = row.value
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(stored))
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return DeviceKey(db.device_id, public, private)
