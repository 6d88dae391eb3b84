"""Health of the local database: integrity check and online backup."""

from __future__ import annotations

from pathlib import Path

from app.core.dto import DatabaseReport
from app.db import repositories as repo
from app.db.backup import backup_database
from app.db.engine import Database
from app.errors import DatabaseError


class DatabaseService:
    def __init__(self, db: Database):
        self._db = db

    @property
    def path(self) -> Path:
        return self._db.path

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
        return backup_database(self._db.path, target)
