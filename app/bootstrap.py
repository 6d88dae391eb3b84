"""Wiring: open the database and build the services on it (used by both entry points)."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings, frameworks_dir, rating_rules_file
from app.db.engine import Database
from app.db.keys import resolve_key
from app.db.opening import open_database
from app.services.export_log import ExportLog
from app.services.registry import Services


def build_services(db: Database, frameworks_folder: Path | None = None) -> Services:
    """The services on ``db``, each made when first used."""
    return Services(db, frameworks_folder or frameworks_dir(), rating_rules_file())


def open_services(settings: Settings, passphrase: str | None = None) -> Services:
    """Open the encrypted database: its key from the keyring, or from ``passphrase``.

    Raises ``KeyNeededError`` when a passphrase is needed and was not given, and
    ``WrongKeyError`` when the one given does not open the file.
    """
    key = resolve_key(settings.db_path.expanduser().absolute(), passphrase)
    db = open_database(settings.db_path, user=settings.user, key=key)
    # What exports killed part-way left (case data in the clear): gone at the next start.
    # A few milliseconds (a folder listing per export folder); the window opens the
    # database off its own thread.
    try:
        ExportLog(db).remove_leftovers()
    except BaseException:
        db.close()
        raise
    return build_services(db)
