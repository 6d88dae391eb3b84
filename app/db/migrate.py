"""Run Alembic migrations from inside the app, safely.

The database is backed up before an upgrade and restored if the upgrade fails; a database
whose schema is newer than this version of the app is refused, never downgraded.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from app.config import migrations_dir
from app.db.backup import backup_database as _backup
from app.db.backup import prune_upgrade_backups, restore_database, upgrade_backup_path
from app.db.engine import APPLICATION_ID
from app.db.keys import DatabaseKey
from app.errors import MigrationError

log = logging.getLogger(__name__)

#: The newest schema revision this version of the app knows. A test checks it matches the
#: head of ``migrations/versions``, so start-up can skip loading Alembic when nothing changed.
SCHEMA_HEAD = "0010"


def _config(script_location: Path | None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location or migrations_dir()))
    return cfg


def known_revisions(script_location: Path | None = None) -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config(script_location))
    return {rev.revision for rev in script.walk_revisions()}


def upgrade(engine: Engine, db_path: Path, current: str | None, *,
            key: DatabaseKey | None, script_location: Path | None = None) -> Path | None:
    """Bring the database to the head revision. Returns the backup made, if any.

    On failure the database is restored from that backup and ``MigrationError`` says so.
    """
    backup = None
    if current is not None:
        backup = _backup(db_path, upgrade_backup_path(db_path, current), key)
        log.info("backed up %s to %s before upgrading from %s", db_path, backup, current)
    try:
        _run_upgrade(engine, script_location)
    except Exception as exc:
        log.exception("database upgrade failed")
        engine.dispose()
        if backup is not None:
            restore_database(backup, db_path, key)
            raise MigrationError(
                f"Upgrading the database {db_path.name} failed ({exc}). It has been restored "
                "to how it was before the upgrade; nothing was lost.",
                f"A copy is kept at {backup}. Report this problem to your administrator.",
            ) from exc
        raise MigrationError(
            f"Creating the tables in {db_path.name} failed ({exc}).",
            "Check there is space on the disk and try again, or choose another file with --db.",
        ) from exc
    if backup is not None:
        prune_upgrade_backups(db_path)
    return backup


def _run_upgrade(engine: Engine, script_location: Path | None) -> None:
    from alembic import command

    cfg = _config(script_location)
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        # Batch migrations rebuild tables, so enforcement is off while they run and the
        # whole database is checked before commit instead.
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                # marks the file as ours in the same transaction that creates its tables
                conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign key check failed on {len(broken)} rows")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def downgrade(engine: Engine, revision: str, *, script_location: Path | None = None) -> None:
    """Used by the tests that walk the history down and up again."""
    from alembic import command

    cfg = _config(script_location)
    with engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
