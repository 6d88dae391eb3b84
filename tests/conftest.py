"""Shared fixtures. Every test gets its own data folder and database under ``tmp_path``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.bootstrap import build_services
from app.config import ENV_DATA_DIR, ENV_DB, ENV_USER, frameworks_dir
from app.db.opening import open_database
from app.services.registry import Services

FIXTURES = Path(__file__).parent / "fixtures"
MINI_FRAMEWORKS = FIXTURES / "frameworks"


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path, monkeypatch):
    """Nothing a test does may touch the real per-user folders."""
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "userdata"))
    monkeypatch.setenv(ENV_USER, "inspector.one")
    monkeypatch.delenv(ENV_DB, raising=False)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "casework.db"


@pytest.fixture
def db(db_path):
    database = open_database(db_path, user="inspector.one")
    yield database
    database.close()


@pytest.fixture
def mini(db) -> Services:
    """Services over the small test framework in ``tests/fixtures/frameworks``."""
    return build_services(db, MINI_FRAMEWORKS)


@pytest.fixture
def services(db) -> Services:
    """Services over the frameworks shipped with the app."""
    return build_services(db, frameworks_dir())
