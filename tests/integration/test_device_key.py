"""The laptop's device key: made on first use, kept in the encrypted database and nowhere
else, the same after the database is closed and opened again."""

from __future__ import annotations

import base64
import logging

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.core import devices as rules
from app.db.device_key import PRIVATE_KEY, device_key
from app.db.opening import open_database
from app.errors import DatabaseError
from tests.conftest import TEST_KEY
from tests.integration.test_log_hygiene import aspire_log  # noqa: F401  (a fixture)


def test_the_device_key_survives_reopening_and_is_kept_nowhere_in_plain(
        db_path, aspire_log):  # noqa: F811
    engine_log = logging.getLogger("sqlalchemy.engine")
    was = engine_log.level
    engine_log.setLevel(logging.INFO)  # every statement logged: the key must still not be
    try:
        db = open_database(db_path, user="inspector.one", key=TEST_KEY)
        assert db.meta(PRIVATE_KEY) is None  # made on first use, not before
        key = device_key(db)
        private = base64.b64decode(db.meta(PRIVATE_KEY))
        signature = key.sign(b"aspire-sign-in\nsomething signed")
        proof = key.sign_in("inspector.one")
        db.close()

        db = open_database(db_path, user="inspector.one", key=TEST_KEY)
        again = device_key(db)
        db.close()
    finally:
        engine_log.setLevel(was)

    assert (again.device_id, again.public_key) == (key.device_id, key.public_key)
    assert len(key.public_key) == rules.PUBLIC_KEY_BYTES and len(private) == 32
    public = Ed25519PublicKey.from_public_bytes(again.public_key)
    public.verify(signature, b"aspire-sign-in\nsomething signed")  # raises if wrong
    public.verify(base64.b64decode(proof["signature"]),
                  rules.sign_in_statement("inspector.one", key.device_id, proof["signed_at"]))
    assert proof["id"] == str(key.device_id)
    assert base64.b64decode(proof["public_key"]) == key.public_key
    assert str(key.device_id) in repr(key) and base64.b64encode(private).decode() not in repr(key)

    written = {private, base64.b64encode(private), private.hex().encode(),
               private.hex().upper().encode()}
    files = [p for p in db_path.parent.iterdir() if p.is_file()]
    assert db_path in files
    for path in files:
        contents = path.read_bytes()
        for form in written:
            assert form not in contents, f"the private key is in {path.name}"
    logged = aspire_log.read_bytes()
    assert b"made the device key of device" in logged
    assert b"app_meta" in logged  # the statements were logged, their values hidden
    for form in written:
        assert form not in logged


def test_the_key_is_made_once(db):
    first, second = device_key(db), device_key(db)
    assert first.public_key == second.public_key
    assert first.device_id == second.device_id == db.device_id


def test_a_database_that_is_not_encrypted_keeps_no_device_key(tmp_path):
    db = open_database(tmp_path / "plain.db", user="inspector.one", key=None)
    try:
        with pytest.raises(DatabaseError, match="not encrypted"):
            device_key(db)
        assert db.meta(PRIVATE_KEY) is None
    finally:
        db.close()
