"""Recording every export in the export log, and reading the log back.

A file is recorded once it is complete and its SHA-256 known, in a transaction of its own.
If the entry cannot be written the file is deleted and the person told: no file with case
data leaves the protected store unrecorded.

Before a file is written, its folder is noted on this laptop (never synced, since the log
itself names files, never folders): an export that is killed leaves partial files there
(``app.core.atomic_files``), and they are removed at the next start.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from pathlib import Path

from app.core.atomic_files import remove_leftovers
from app.core.dto import ExportLogRecord
from app.core.export_log import ExportKind
from app.db import repositories as repo
from app.db.bookkeeping import utcnow
from app.db.engine import Database
from app.errors import UserFacingError
from app.io.files import fingerprint

log = logging.getLogger(__name__)


class ExportNotLoggedError(UserFacingError):
    """A file was written but could not be recorded in the export log, so it was deleted."""


class ExportLog:
    def __init__(self, db: Database):
        self._db = db

    def record(self, *, kind: ExportKind, path: Path, case_ids: Sequence[uuid.UUID],
               inspection_id: uuid.UUID | None, pseudonymised: bool = False,
               sha256: str | None = None) -> ExportLogRecord:
        """One entry for the complete file at ``path`` (its SHA-256 is read from the file
        unless given). Raises ``ExportNotLoggedError``, the file deleted, if it cannot be
        recorded."""
        path = Path(path)
        try:
            digest = sha256 or fingerprint(path)[1]
            with self._db.write() as session:
                return repo.add_export_log_entry(
                    session, kind=kind, file_name=path.name, sha256=digest,
                    case_ids=list(case_ids), inspection_id=inspection_id,
                    pseudonymised=pseudonymised, exported_at=utcnow())
        except BaseException as exc:
            deleted = _delete(path)
            if not isinstance(exc, Exception):
                raise
            # the file's name is left out: a case form's is made from its case reference
            log.exception("a %s export could not be recorded in the export log; its file "
                          "was %s", kind.value, "deleted" if deleted else "not deleted")
            raise _not_logged(path, exc, deleted) from exc

    def note_folder(self, path: Path) -> None:
        """Note the folder a file is about to be written to, before anything is written."""
        folder = str(Path(path).absolute().parent)
        try:
            folder.encode("utf-8")
        except UnicodeEncodeError:
            return  # a name the database cannot hold: the next export there tidies it
        with self._db.write() as session:
            repo.note_export_folder(session, folder)

    def remove_leftovers(self) -> int:
        """Remove what killed exports and backups left (partial files no live writer
        holds) from every folder exports were written to, and from the database's own
        folder and its backups; returns how many files were removed."""
        with self._db.read() as session:
            folders = set(repo.export_folders(session))
        home = self._db.path.absolute().parent
        folders |= {str(home), str(home / "backups")}
        removed = sum(remove_leftovers(Path(folder)) for folder in sorted(folders))
        if removed:
            log.info("removed %d partial files left by exports that did not finish", removed)
        return removed

    def entries(self, inspection_id: uuid.UUID | None = None) -> list[ExportLogRecord]:
        """Newest first: every entry this database holds (this laptop's, and those of the
        inspection teams it syncs with), or one inspection's."""
        with self._db.read() as session:
            return repo.export_log(session, inspection_id)


def _delete(path: Path) -> bool:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.exception("could not delete an unlogged export in the folder %s", path.parent)
        return False
    return True


def _not_logged(path: Path, exc: Exception, deleted: bool) -> ExportNotLoggedError:
    reason = (exc.problem if isinstance(exc, UserFacingError)
              else (str(exc).splitlines() or [type(exc).__name__])[0])
    if deleted:
        return ExportNotLoggedError(
            f"{path.name} was written but could not be recorded in the export log "
            f"({reason}), so it has been deleted: every file that takes case data out of "
            "ASPIRE Casework is recorded.",
            "Check there is free disk space and that no other program is using the "
            "database, then export again.")
    return ExportNotLoggedError(
        f"{path.name} was written but could not be recorded in the export log ({reason}), "
        "and it could not be deleted either.",
        f"Delete {path} yourself now, then export again once the database can be written.")
