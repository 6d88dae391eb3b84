"""Opening the local database: look before touching, encrypt, migrate, then hand it over.

Everything that could make the app write to a file that is not ours (another program's
database, a damaged file, a database from a newer version, a wrong key) is found out through a
read-only connection first, so a refused file is left exactly as it was. A plain database of
ours is encrypted the first time it is opened with a key (``app.db.encryption``).
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlcipher3 import dbapi2 as sqlite3

from app.core.faults import fault_words, os_fault
from app.db.encryption import encrypt_plain_database, finish_interrupted
from app.db.engine import APPLICATION_ID, Database, connect, create_sqlite_engine
from app.db.keys import SQLITE_HEADER, DatabaseKey, wrong_key_error
from app.db.migrate import SCHEMA_HEAD, known_revisions, upgrade
from app.db.open_marks import OpenMark, left_open
from app.db.storage_errors import damaged_error, is_fault, storage_error
from app.errors import DatabaseError, KeyNeededError, NewerDatabaseError

log = logging.getLogger(__name__)


HEADER_SIZE = 100


@dataclass(frozen=True)
class FileState:
    exists: bool
    revision: str | None = None
    encrypted: bool = False


def open_database(path: Path, *, user: str, key: DatabaseKey | None,
                  script_location: Path | None = None) -> Database:
    """Open (creating, encrypting or upgrading as needed) the database at ``path``.

    ``key`` None opens a plain file; the app always passes a key (``app.bootstrap``).
    """
    path = path.expanduser().absolute()
    _prepare_folder(path)
    finish_interrupted(path)
    # its pages are checked only if a program ended without closing it (``open_marks``)
    unclosed = left_open(path)
    mark = OpenMark(path)
    if unclosed:
        log.info("the database was not closed properly last time: its pages are checked")
    engine = None
    try:
        state = inspect_file(path, key, check=bool(unclosed) or not mark.made)
        if state.exists and state.revision is not None:
            _refuse_if_newer(path, state.revision, script_location)
        if state.exists and not state.encrypted and key is not None:
            encrypt_plain_database(path, key)
        engine = create_sqlite_engine(path, key)
        if state.revision != SCHEMA_HEAD or script_location is not None:
            upgrade(engine, path, state.revision, key=key, script_location=script_location)
        return Database(path, engine, user=user, key=key, mark=mark)
    except BaseException as exc:
        if engine is not None:
            engine.dispose()
        # a check still owed (the last program left it unclosed, and this opening did not
        # get through): the next opening checks it
        if unclosed:
            mark.abandon()
        else:
            mark.release()
        if isinstance(exc, sqlite3.OperationalError | sa_exc.OperationalError):
            raise _write_error(path, exc) from exc
        raise


def inspect_file(path: Path, key: DatabaseKey | None = None, *,
                 check: bool = True) -> FileState:
    """What is at ``path``, found without writing to it; ``check``: its pages checked too
    (``PRAGMA quick_check``). Raises ``DatabaseError`` if unusable."""
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file.",
                            "Give the path of a database file, for example casework.db.")
    if not path.exists() or path.stat().st_size == 0:
        return FileState(exists=False)
    try:
        with path.open("rb") as handle:
            header = handle.read(HEADER_SIZE)
    except OSError as exc:
        if is_fault(path, exc):
            raise storage_error(path, exc, "read") from exc
        raise DatabaseError(f"The database file {path} cannot be read: {exc.strerror}.",
                            "Check that this account may read the file.") from exc
    plain = header[:len(SQLITE_HEADER)] == SQLITE_HEADER
    if not plain and key is None:
        raise KeyNeededError(
            f"{path} is encrypted, or is not an ASPIRE Casework database. It has not been "
            "changed.",
            "Open it with its passphrase, or choose another file with --db.",
        )
    try:
        if plain:
            _refuse_if_foreign(path, header)
        else:
            _check_key(path, key)
        state = _read_state(path, None if plain else key, check)
        return FileState(state.exists, state.revision, encrypted=not plain)
    except sqlite3.DatabaseError as exc:
        if is_fault(path, exc):
            raise storage_error(path, exc, "opened") from exc
        raise damaged_error(path, exc) from exc


def _refuse_if_foreign(path: Path, header: bytes) -> None:
    """Read from the file header alone, so SQLite never opens (or adds files beside) a
    database that belongs to another program."""
    if len(header) < HEADER_SIZE:
        raise sqlite3.DatabaseError("the file header is incomplete")
    application_id = int.from_bytes(header[68:72], "big")
    pages = int.from_bytes(header[28:32], "big")
    if application_id != APPLICATION_ID and pages > 1:
        raise DatabaseError(
            f"{path} is a database from another program, not ASPIRE Casework. It has not "
            "been changed.",
            "Choose the right file with --db, or a new file name to start a new database.",
        )


def _check_key(path: Path, key: DatabaseKey) -> None:
    """An encrypted file that the key does not open: a wrong passphrase or key, or a file
    that is not a database of ours at all (the two cannot be told apart, by design)."""
    try:
        with contextlib.closing(_read_only(path, key)) as conn:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if is_fault(path, exc):  # a full disk or a held file is not a wrong key
            raise storage_error(path, exc, "opened") from exc
        raise wrong_key_error(path, key) from exc
    if application_id != APPLICATION_ID and tables:
        raise DatabaseError(
            f"{path} is an encrypted database from another program, not ASPIRE Casework. "
            "It has not been changed.",
            "Choose the right file with --db, or a new file name to start a new database.",
        )


def _read_only(path: Path, key: DatabaseKey | None):
    return connect(f"{path.as_uri()}?mode=ro", key, uri=True)


def _read_state(path: Path, key: DatabaseKey | None, check: bool) -> FileState:
    with contextlib.closing(_read_only(path, key)) as conn:
        listed = conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        tables = {row[0] for row in listed}
        found = conn.execute("PRAGMA quick_check").fetchone()[0] if check else "ok"
        if found != "ok":
            raise sqlite3.DatabaseError(f"quick_check reports: {found}")
        if "alembic_version" not in tables:
            return FileState(exists=True, revision=None)
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return FileState(exists=True, revision=row[0] if row else None)


def _refuse_if_newer(path: Path, revision: str, script_location: Path | None) -> None:
    if revision == SCHEMA_HEAD and script_location is None:
        return
    if revision not in known_revisions(script_location):
        raise NewerDatabaseError(
            f"The database {path.name} was last used by a newer version of ASPIRE Casework "
            f"(schema {revision}). This version will not open it, so nothing in it is changed.",
            "Install the newer version of ASPIRE Casework to open this database.",
        )


def _prepare_folder(path: Path) -> None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fault = os_fault(exc, folder)
        happened, advice = (fault_words(fault, str(folder)) if fault is not None else
                            (exc.strerror, "Choose a folder you may write to."))
        raise DatabaseError(
            f"The folder {folder} for the database cannot be created: {happened}.",
            f"{advice} The database can also be kept elsewhere (--db or ASPIRE_DB).",
        ) from exc
    if not os.access(folder, os.W_OK):
        raise DatabaseError(
            f"The folder {folder} is read-only, so the database {path.name} cannot be "
            "opened for writing (answers are saved as you go).",
            "Move the database to a folder you may write to and open it with --db.",
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise DatabaseError(
            f"The database file {path} is read-only, so answers could not be saved.",
            "Make the file writable, or copy it to a folder you may write to.",
        )


def _write_error(path: Path, exc: Exception) -> DatabaseError:
    return storage_error(path, getattr(exc, "orig", exc), "opened")
