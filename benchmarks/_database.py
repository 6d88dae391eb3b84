"""Opening a database for a benchmark the way the app does: encrypted with a random key (one
for the whole run, so a copy of a benchmark's database opens too)."""

from __future__ import annotations

from pathlib import Path

from app.bootstrap import build_services
from app.db.keys import random_key
from app.db.opening import open_database
from app.services.registry import Services

KEY = random_key()


def open_services(path: Path, frameworks: Path, user: str = "benchmark") -> Services:
    return build_services(open_database(path, user=user, key=KEY), frameworks)
