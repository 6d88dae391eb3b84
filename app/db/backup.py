"""Online backups through SQLite's backup API (safe while the database is in use).

A backup is encrypted with the same key as the database it copies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlite3

from app.core.atomic_files import atomic_write
from app.db.engine import connect
from app.db.keys import DatabaseKey
from app.errors import DatabaseError

KEEP_UPGRADE_BACKUPS = 5


def backup_database(source: Path, target: Path, key: DatabaseKey | None) -> Path:
    """Copy ``source`` to ``target`` whole or not at all, and check the copy.

    The copy is written beside the target (``app.core.atomic_files``) and moved into place
    only once it passes ``PRAGMA integrity_check``, so a failed backup never leaves a
    half-written file.
    """
    target = target.resolve()
    if target == source.resolve():
        raise DatabaseError(
            f"The backup file {target} is the database itself.",
            "Choose a different file name for the backup.",
        )
    if not target.parent.is_dir():
        raise DatabaseError(
            f"The folder {target.parent} does not exist.",
            "Create the folder first or choose another place for the backup.",
        )
    try:
        # SQLite takes its own locks on the copy, so the partial file is held open, unlocked
        with atomic_write(target, lock=False) as partial:
            _copy(source, partial.path, key)
            _check_copy(partial.path, key)
    except sqlite3.Error as exc:
        raise DatabaseError(
            f"The backup to {target} failed: {exc}.",
            "Check there is space on the disk and that you may write to that folder.",
        ) from exc
    except OSError as exc:
        raise DatabaseError(
            f"The backup cannot be written to {target}: {exc.strerror}.",
            "Choose a folder you may write to, with enough free space.",
        ) from exc
    return target


def restore_database(backup: Path, live: Path, key: DatabaseKey | None) -> None:
    """Put a backup's content back into the live file, through SQLite (WAL-safe)."""
    _copy(backup, live, key)


def backup_path(db_path: Path, label: str) -> Path:
    """A new file in the database's ``backups`` folder, named for the database, the time and
    ``label`` ("before-encryption")."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = db_path.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{db_path.stem}-{stamp}-{label}.db"


def upgrade_backup_path(db_path: Path, from_revision: str) -> Path:
    return backup_path(db_path, f"before-upgrade-from-{from_revision}")


def prune_upgrade_backups(db_path: Path, keep: int = KEEP_UPGRADE_BACKUPS) -> None:
    """Keep the newest few upgrade backups of this database (never another database's)."""
    mine = re.compile(rf"^{re.escape(db_path.stem)}-\d{{8}}-\d{{6}}-before-upgrade-from-.+\.db$")
    folder = db_path.parent / "backups"
    old = sorted(p for p in folder.glob("*.db") if mine.match(p.name))
    for path in old[:-keep]:
        path.unlink(missing_ok=True)


def _copy(source: Path, target: Path, key: DatabaseKey | None) -> None:
    with contextlib.closing(connect(source, key)) as src, \
            contextlib.closing(connect(target, key)) as dst:
        src.backup(dst)


def _check_copy(path: Path, key: DatabaseKey | None) -> None:
    with contextlib.closing(connect(path, key)) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        # a copy is a single file: take it out of WAL so it stands alone
        conn.execute("PRAGMA journal_mode=DELETE")
    if result != "ok":
        raise sqlite3.DatabaseError(f"integrity check of the copy failed: {result}")
