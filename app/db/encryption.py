"""Moving a plain (unencrypted) database into an encrypted one, once, losing nothing.

Steps, each checked before the next:

1. an encrypted backup of the plain database is written to the ``backups`` folder;
2. an encrypted copy is written beside the database and checked: integrity, and the same
   number of rows in every table as the plain file;
3. the plain files (database, and its WAL if any) are renamed aside, the encrypted copy is
   renamed into place, and only then are the plain files overwritten and removed.

The plain file is only ever opened read-only, so until step 3 it is exactly as it was. If the
app stops in the middle of step 3, the next start finishes it: plain files set aside are put
back if the encrypted copy never made it into place, and removed if it did.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlite3

from app.db.backup import backup_path
from app.db.engine import APPLICATION_ID, connect
from app.db.keys import DatabaseKey
from app.errors import DatabaseError

log = logging.getLogger(__name__)

ASIDE = ".plain-removing"
PARTIAL = ".encrypting"
SIDE_FILES = ("", "-wal", "-shm", "-journal")
_CHUNK = 1 << 20


def encrypt_plain_database(path: Path, key: DatabaseKey) -> Path:
    """Encrypt the plain database at ``path`` in place; returns the backup written first."""
    backup = backup_path(path, "before-encryption")
    partial = path.with_name(path.name + PARTIAL)
    try:
        counts = _encrypted_copy(path, backup, key)
        log.info("encrypted backup of the plain database written (%d tables)", len(counts))
        _encrypted_copy(path, partial, key)
    except sqlite3.Error as exc:
        for leftover in (backup, partial):
            leftover.unlink(missing_ok=True)
        raise DatabaseError(
            f"The database {path.name} could not be encrypted ({exc}). It has not been "
            "changed.",
            "Check there is free disk space (about twice the database's size) and try again.",
        ) from exc
    aside = _set_plain_aside(path)
    os.replace(partial, path)
    _sync_folder(path.parent)
    for plain in aside:
        shred(plain)
    log.info("the database is now encrypted; the plain copy was overwritten and removed")
    return backup


def finish_interrupted(path: Path) -> None:
    """Complete or undo an encryption that stopped half-way (see the module's step 3)."""
    aside = [path.with_name(path.name + suffix + ASIDE) for suffix in SIDE_FILES]
    aside = [p for p in aside if p.exists()]
    partial = path.with_name(path.name + PARTIAL)
    if aside and not path.exists():
        if partial.exists():  # the checked copy was about to go into place
            aside += _set_plain_aside(path)  # the plain side files not yet set aside
            os.replace(partial, path)
        else:
            for plain in aside:
                os.replace(plain, Path(str(plain)[: -len(ASIDE)]))
            return
    for plain in aside:
        shred(plain)
    partial.unlink(missing_ok=True)


def shred(path: Path) -> None:
    """Overwrite a file with zeros, flush it to disk, then remove it.

    On solid-state disks and copy-on-write file systems old blocks may survive elsewhere;
    this is why the laptop's disk must also be encrypted (BitLocker), as policy requires.
    """
    size = path.stat().st_size
    with path.open("r+b") as handle:
        zeros = bytes(min(size, _CHUNK))
        left = size
        while left > 0:
            left -= handle.write(zeros[:left])
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()


def _encrypted_copy(plain: Path, target: Path, key: DatabaseKey) -> dict[str, int]:
    target.unlink(missing_ok=True)
    source = f"{plain.absolute().as_uri()}?mode=ro"
    with contextlib.closing(connect(target, key, uri=True)) as conn:
        conn.isolation_level = None
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (source,))
        conn.execute("SELECT sqlcipher_export('main', 'plain')")
        version = conn.execute("PRAGMA plain.user_version").fetchone()[0]
        conn.execute(f"PRAGMA main.user_version={int(version)}")
        conn.execute(f"PRAGMA main.application_id={APPLICATION_ID}")
        expected = _counts(conn, "plain")
        conn.execute("DETACH DATABASE plain")
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"the encrypted copy failed its check: {check}")
        copied = _counts(conn, "main")
        if copied != expected:
            raise sqlite3.DatabaseError("the encrypted copy does not hold every row")
    return copied


def _counts(conn, schema: str) -> dict[str, int]:
    names = [row[0] for row in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type='table' "
        "AND name NOT LIKE 'sqlite_%'")]
    return {name: conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0]
            for name in names}


def _set_plain_aside(path: Path) -> list[Path]:
    moved = []
    for suffix in SIDE_FILES:
        plain = path.with_name(path.name + suffix)
        if plain.exists():
            aside = plain.with_name(plain.name + ASIDE)
            os.replace(plain, aside)
            moved.append(aside)
    return moved



def _sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
