"""Laptops and people for the central store's tests."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.bootstrap import build_services
from app.services.registry import Services
from app.sync.apply import next_sequence
from app.sync.central import add_user
from tests.conftest import MINI_FRAMEWORKS, new_database, opened
from tests.service import service_in_thread

PASSWORD = "correct horse battery"


@dataclass
class Laptop:
    login: str
    services: Services
    #: the central service's address
    url: str
    #: the central database, as its superuser (for looking underneath)
    central: str = ""

    def sync(self, password: str = PASSWORD):
        return self.services.sync.sync(self.url, password)


def made_up_device(device_id: uuid.UUID | None = None):
    """A device key held in memory only (for a laptop whose database keeps none, or a
    person signing in from a device of the test's own)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from app.db.device_key import DeviceKey

    private = Ed25519PrivateKey.generate()
    return DeviceKey(device_id or uuid.uuid4(), private.public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw), private)


def person_url(central_url: str, login: str, password: str | None = PASSWORD) -> str:
    return make_url(central_url).set(username=login, password=password).render_as_string(
        hide_password=False)


def laptop(tmp_path: Path, central_url: str, login: str, role: str = "inspector",
           inspections=()) -> Laptop:
    add_user(central_url, login=login, name=login.title(), role=role, password=PASSWORD,
             inspections=inspections)
    db = new_database(tmp_path / f"{login}.db", login)
    return Laptop(login, opened(build_services(db, MINI_FRAMEWORKS)),
                  service_in_thread(central_url), central_url)


def two_laptops_on_one_case(tmp_path: Path, central_url: str, *answers: tuple[str, object]):
    """inspector.one creates an inspection with case X1 (giving ``answers`` first) and
    syncs; inspector.two, on its team, syncs it down. Returns (one, two, case)."""
    from tests.integration.helpers import make_case, make_inspection

    one = laptop(tmp_path, central_url, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    for key, value in answers:
        one.services.forms.record_answer(case_id=case.id, question_key=key, value=value)
    one.sync()
    two = laptop(tmp_path, central_url, "inspector.two", inspections=[inspection.id])
    two.sync()
    return one, two, case


def forge(central: str, inspection_id: uuid.UUID | None, entity: str, payload: object,
          entity_id: uuid.UUID | None = None) -> None:
    """Write a change straight into the central change log, as a database login once could
    (``inspection_id`` None: seen by everyone)."""
    engine = create_engine(central)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO central_changes (seq, change_id, entity, entity_id, inspection_id, "
                "op, rev, payload, changed_by, at, device_id) VALUES (:seq, :c, :e, :i, :n, "
                "'insert', 1, CAST(:p AS json), 'sup.visor', now(), :d)"),
                {"seq": next_sequence(conn), "c": uuid.uuid4(), "e": entity,
                 "i": entity_id or uuid.UUID(payload["id"]), "n": inspection_id,
                 "p": json.dumps(payload),
                 "d": uuid.uuid4()})
    finally:
        engine.dispose()
