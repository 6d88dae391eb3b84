"""Transfer files, for laptops that never reach the network.

Everything the central store has not yet acknowledged goes into one file, sealed with a
passphrase: AES-256-GCM (authenticated: a changed byte or a wrong passphrase is refused
whole) with a key stretched from the passphrase by scrypt. Inside is a manifest (who, which
laptop, counts per kind of record, a hash of the changes) and the changes themselves. At the
office they go through exactly the same apply step as a network sync, as the person who made
them, so a file applied twice, or after the same changes came over the network, changes
nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.db import models as m
from app.db.engine import Database
from app.db.keys import MIN_PASSPHRASE, stretch
from app.errors import UserFacingError, ValidationError
from app.sync.batch import apply_batch
from app.sync.central import central_engine
from app.sync.engine import PUSH_BATCH
from app.sync.protocol import Change, Outcome

MAGIC = b"ASPIRE-TRANSFER-1\n"
SALT_BYTES, NONCE_BYTES = 16, 12


class PackageError(UserFacingError):
    """A transfer file that cannot be used; nothing from it was applied."""


@dataclass(frozen=True)
class Package:
    manifest: dict
    changes: list[Change]


@dataclass(frozen=True)
class SealedPackage:
    """A transfer file written: its manifest, the SHA-256 of the file's bytes, the cases
    whose records it carries and the one inspection they belong to (None if several or
    none)."""

    manifest: dict
    sha256: str
    case_ids: tuple[uuid.UUID, ...]
    inspection_id: uuid.UUID | None


@dataclass(frozen=True)
class PackageReport:
    path: str
    person: str
    changes: int
    applied: int
    conflicts: int
    refused: int


def write_package(db: Database, path: Path, passphrase: str) -> dict:
    """Seal every change not yet acknowledged into ``path``; returns the manifest."""
    return seal_package(db, path, passphrase).manifest


def seal_package(db: Database, path: Path, passphrase: str) -> SealedPackage:
    """Seal every change not yet acknowledged into ``path``."""
    _check_passphrase(passphrase)
    with db.read() as session:
        rows = list(session.scalars(select(m.Outbox).order_by(m.Outbox.seq)))
        changes = [{"change_id": str(r.change_id), "entity": r.entity,
                    "entity_id": str(r.entity_id), "op": r.op, "base_rev": r.base_rev,
                    "rev": r.rev, "payload": r.payload,
                    "device_id": str(r.device_id) if r.device_id else None} for r in rows]
        case_ids, inspection_id = _scope(session, changes)
    body = json.dumps(changes, sort_keys=True).encode()
    manifest = {"format": 1, "person": db.user, "device_id": str(db.device_id),
                "created_at": dt.datetime.now(dt.UTC).isoformat(), "changes": len(changes),
                "counts": dict(Counter(c["entity"] for c in changes)),
                "sha256": hashlib.sha256(body).hexdigest()}
    plain = json.dumps({"manifest": manifest, "changes": changes}).encode()
    salt, nonce = secrets.token_bytes(SALT_BYTES), secrets.token_bytes(NONCE_BYTES)
    sealed = MAGIC + salt + nonce + AESGCM(stretch(passphrase, salt)).encrypt(nonce, plain, MAGIC)
    path = Path(path)
    partial = path.with_name(f".~{path.name}.partial")
    try:
        with partial.open("wb") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PackageError(f"The transfer file cannot be written to {path}: {exc.strerror}.",
                           "Choose a folder you may write to (a USB stick, say).") from exc
    return SealedPackage(manifest, hashlib.sha256(sealed).hexdigest(), case_ids, inspection_id)


#: columns naming the case, inspection or sample a record belongs to
_SCOPE_COLUMNS = {"case_id": "cases", "other_case_id": "cases", "inspection_id": "inspections",
                  "sample_id": "samples"}


def _scope(session: Session, changes: list[dict]) -> tuple[tuple[uuid.UUID, ...], uuid.UUID | None]:
    """The cases whose records the changes carry, and the single inspection every change
    belongs to (None when they span several, or none)."""
    found: dict[str, set[str]] = {"cases": set(), "inspections": set(), "samples": set()}
    for change in changes:
        entity, payload = change["entity"], change["payload"]
        if entity == m.ExportLogEntry.__tablename__:
            continue  # an entry names cases but carries none of their records
        if entity in found:
            found[entity].add(payload["id"])
        for column, table in _SCOPE_COLUMNS.items():
            if payload.get(column):
                found[table].add(payload[column])
    cases = sorted(uuid.UUID(str(c)) for c in found["cases"])
    inspections = {uuid.UUID(str(i)) for i in found["inspections"]}
    samples = [uuid.UUID(str(s)) for s in found["samples"]]
    for model, ids in ((m.Case, cases), (m.Sample, samples)):
        for start in range(0, len(ids), 500):
            inspections.update(session.scalars(select(model.inspection_id).where(
                model.id.in_(ids[start:start + 500]))))
    return tuple(cases), (inspections.pop() if len(inspections) == 1 else None)


def read_package(path: Path, passphrase: str) -> Package:
    """Open and check a transfer file; refused whole if anything is wrong."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PackageError(f"The transfer file {path} cannot be read: {exc.strerror}.",
                           "Check the file name and that the USB stick is still in.") from exc
    head = len(MAGIC) + SALT_BYTES + NONCE_BYTES
    if not data.startswith(MAGIC) or len(data) <= head:
        raise PackageError(f"{Path(path).name} is not an ASPIRE Casework transfer file.",
                           "Choose the file written by 'Export transfer file' on the laptop.")
    salt = data[len(MAGIC):len(MAGIC) + SALT_BYTES]
    nonce = data[len(MAGIC) + SALT_BYTES:head]
    try:
        plain = AESGCM(stretch(passphrase, salt)).decrypt(nonce, data[head:], MAGIC)
    except InvalidTag:
        raise PackageError(
            f"{Path(path).name} cannot be opened: the passphrase is wrong or the file has "
            "been changed or damaged. Nothing from it was applied.",
            "Check the passphrase with the inspector; if it is right, export the file again "
            "on the laptop.") from None
    content = json.loads(plain)
    manifest, changes = content["manifest"], content["changes"]
    body = json.dumps(changes, sort_keys=True).encode()
    if hashlib.sha256(body).hexdigest() != manifest["sha256"] or len(changes) != \
            manifest["changes"]:
        raise PackageError(f"{Path(path).name} does not match its own manifest; nothing "
                           "from it was applied.", "Export the file again on the laptop.")
    return Package(manifest, [Change(
        uuid.UUID(c["change_id"]), c["entity"], uuid.UUID(c["entity_id"]), c["op"],
        c["base_rev"], c["rev"], c["payload"],
        uuid.UUID(c["device_id"]) if c["device_id"] else None) for c in changes])


def apply_package(url: str, path: Path, passphrase: str) -> PackageReport:
    """Apply a transfer file at the central store, as the person who made it (the caller
    must be an administrator able to act for them), through the network sync's apply step."""
    package = read_package(path, passphrase)
    person = package.manifest["person"]
    engine = central_engine(url)
    try:
        with engine.begin() as conn:
            quoted = conn.dialect.identifier_preparer.quote(person)
            known = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :p"), {"p": person})
            if not known:
                raise ValidationError(f"{person}, who made this transfer file, has no login "
                                      "at the central store.",
                                      "Add them with 'aspire central add-user' first.")
            conn.execute(text(f"SET LOCAL ROLE {quoted}"))
            outcomes: list[Outcome] = []
            held: dict[uuid.UUID, Outcome] = {}  # records held back across the batches
            for start in range(0, len(package.changes), PUSH_BATCH):
                outcomes += apply_batch(conn, package.changes[start:start + PUSH_BATCH], held)
    finally:
        engine.dispose()
    count = Counter(o.status for o in outcomes)
    return PackageReport(str(path), person, len(outcomes), count["applied"],
                         count["conflict"], count["refused"])


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise ValidationError("The passphrase is too short.",
                              f"Use at least {MIN_PASSPHRASE} characters, and give it to the "
                              "office separately from the file.")
