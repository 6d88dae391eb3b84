"""The laptop's database: checking it and backing it up."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import DatabaseError

if TYPE_CHECKING:
    from app.services.registry import Services


def add_commands(sub, common) -> None:
    """Add this group's commands to ``sub``, each taking the ``common`` options."""
    dbp = sub.add_parser("db", parents=[common], help="database health")
    db_sub = dbp.add_subparsers(dest="action", metavar="ACTION", required=True)
    db_sub.add_parser("check", parents=[common], help="check the database's integrity")
    backup = db_sub.add_parser("backup", parents=[common], help="online backup to a file")
    backup.add_argument("path", type=Path, metavar="PATH")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")


def _db_check(s: Services, _args) -> tuple[object, str]:
    report = s.database.check()
    result = {**dataclasses.asdict(report), "ok": report.ok}
    if not report.ok:
        found = (f"integrity: {report.integrity}; foreign key problems: "
                 f"{report.foreign_key_problems}")
        raise DatabaseError(f"The database {report.path} has problems ({found}).",
                            "Restore the newest backup, or ask your administrator for help.")
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items())
    return result, (f"{report.path}: integrity ok, schema {report.schema_revision}.\n{counts}; "
                    f"{report.pending_changes} changes waiting to sync.")


def _db_backup(s: Services, args) -> tuple[object, str]:
    target = s.database.backup(args.path, overwrite=args.force)
    return {"path": str(target), "bytes": target.stat().st_size}, f"Backed up to {target}"


#: What each command does, by (command, action).
HANDLERS: dict[tuple[str, str | None], Callable] = {
    ("db", "check"): _db_check,
    ("db", "backup"): _db_backup,
}
#: Commands that open no database.
NO_DATABASE = frozenset()
