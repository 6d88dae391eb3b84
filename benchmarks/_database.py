"""Opening a database for a benchmark the way the app does: encrypted with a random key (one
for the whole run, so a copy of a benchmark's database opens too; a database kept from one
run to the next has a key of its own, kept beside it)."""

from __future__ import annotations

from pathlib import Path

from app.bootstrap import build_services
from app.db.keys import DatabaseKey, KeySource, random_key
from app.db.opening import open_database
from app.services.registry import Services

KEY = random_key()


def open_services(path: Path, frameworks: Path, user: str = "benchmark") -> Services:
    return build_services(open_database(path, user=user, key=KEY), frameworks)


def open_kept(path: Path, frameworks: Path, user: str = "benchmark") -> tuple[Services, bool]:
    """Services over a database kept from one run to the next (slow to fill, so filled
    once), and whether it is new. Its key is kept beside it, in ``NAME.key`` (the
    benchmark's made-up cases only); a kept database without one is made again."""
    key_file = path.with_name(path.name + ".key")
    if path.exists() and not key_file.exists():
        for stale in (path, path.with_name(path.name + "-wal"),
                      path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
    fresh = not path.exists()
    if fresh:
        key = random_key()
        key_file.write_bytes(key.raw)
    else:
        key = DatabaseKey(key_file.read_bytes(), KeySource.KEYRING)
    return build_services(open_database(path, user=user, key=key), frameworks), fresh
