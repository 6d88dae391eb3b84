"""Opening a database for a benchmark the way the app does: encrypted with a random key."""

from __future__ import annotations

from pathlib import Path

from app.bootstrap import build_services
from app.db.keys import random_key
from app.db.opening import open_database
from app.services.registry import Services


def open_services(path: Path, frameworks: Path, user: str = "benchmark") -> Services:
    return build_services(open_database(path, user=user, key=random_key()), frameworks)
