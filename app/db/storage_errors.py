"""The local database's faults as the person should hear them (``app.core.faults``): a full,
read-only or failing disk, a file another program holds; never a wrong passphrase or a
damaged file, and never the advice to start a new database."""

from __future__ import annotations

import logging
from pathlib import Path

from app.core.faults import fault_words, os_fault, sqlite_fault
from app.errors import DatabaseError

log = logging.getLogger(__name__)

#: the database keeps every change whole: a failed one leaves nothing of itself behind
HALF_SAVED = {"saved": " Nothing was half-saved."}
#: what a fault with the disk never means
KEPT = "What was saved before is kept: do not start a new database."



def is_fault(path: Path, exc: BaseException) -> bool:
    """Whether SQLite's error is the disk's or another program's doing (and not, say, a
    wrong key or a damaged file)."""
    return (sqlite_fault(getattr(exc, "sqlite_errorname", None), path)
            or os_fault(exc, path)) is not None


def storage_error(path: Path, exc: BaseException, doing: str) -> DatabaseError:
    """SQLite's failure to read or write the database at ``path`` as the person should hear
    it: a full, read-only or failing disk, a file another program holds. ``doing`` is
    "saved", "read" or "opened"."""
    name = getattr(exc, "sqlite_errorname", None)
    # SQLite's code, not its message, which could quote what was being written
    log.warning("database %s failed: %s", doing, name or type(exc).__name__)
    fault = sqlite_fault(name, path) or os_fault(exc, path)
    what = (f"Nothing could be saved to the database {path.name}" if doing == "saved" else
            f"The database {path.name} could not be {doing}")
    if fault is None:
        return DatabaseError(f"{what}: it reports “{exc}”." + HALF_SAVED.get(doing, ""),
                             "Try again; if it happens again, ask your IT team.")
    happened, advice = fault_words(fault, "it")
    return DatabaseError(f"{what}: {happened}." + HALF_SAVED.get(doing, ""),
                         f"{advice} {KEPT}")



def damaged_error(path: Path, exc: BaseException) -> DatabaseError:
    """A database whose pages SQLite cannot read as it wrote them: what to do about it."""
    return DatabaseError(
        f"The database {path} is damaged and cannot be read ({exc}). It has not been "
        "changed.",
        f"Restore the newest backup from {path.parent / 'backups'} (or the copy your "
        "administrator keeps) and sync again; keep the damaged file for investigation.",
    )
