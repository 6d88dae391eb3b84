"""Health of the local database: integrity check, online backup, and the screen lock's
check of who is coming back."""

from __future__ import annotations

import uuid
from pathlib import Path

from app.core.dto import DatabaseReport
from app.db import repositories as repo
from app.db.backup import backup_database
from app.db.engine import Database
from app.db.keys import KeySource, derive, keyring_key
from app.errors import DatabaseError


class DatabaseService:
    def __init__(self, db: Database):
        self._db = db

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def device_id(self) -> uuid.UUID:
        """This laptop's id at the central store (an administrator withdraws it by this)."""
        return self._db.device_id

    def check(self) -> DatabaseReport:
        with self._db.read() as session:
            integrity, fk_problems = repo.integrity_check(session)
            counts = repo.table_counts(session)
            return DatabaseReport(
                path=str(self._db.path), integrity=integrity,
                foreign_key_problems=fk_problems, schema_revision=repo.schema_revision(session),
                counts=counts, pending_changes=counts.get("outbox", 0),
            )

    def backup(self, target: Path, *, overwrite: bool = False) -> Path:
        target = target.expanduser()
        if target.exists() and not overwrite:
            raise DatabaseError(f"The file {target} already exists.",
                                "Choose a new file name, or allow it to be replaced.")
        return backup_database(self._db.path, target, self._db.key)

    @property
    def unlock_kind(self) -> str:
        """How the screen lock is lifted: "passphrase", "keyring" (reading the key again,
        so the keyring may show its own prompt) or "none" (a plain database)."""
        key = self._db.key
        return "none" if key is None else key.source.value

    def unlock(self, passphrase: str | None = None) -> bool:
        """Whether the person at the screen may see the data again. Never raises for a
        wrong passphrase; takes about 0.1 s for a passphrase (the key derivation)."""
        key = self._db.key
        if key is None:
            return True
        if key.source is KeySource.KEYRING:
            again = keyring_key(self._db.path)
            return again is not None and again.matches(key)
        if not passphrase or key.salt is None:
            return False
        return derive(passphrase, key.salt).matches(key)
