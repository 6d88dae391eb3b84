"""Shared fixtures. Every test gets its own data folder and database under ``tmp_path``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.bootstrap import build_services
from app.config import ENV_DATA_DIR, ENV_DB, ENV_DB_PASSPHRASE, ENV_USER, frameworks_dir
from app.db.keys import derive
from app.db.opening import open_database
from app.services.registry import Services
from tests.keyring_backend import MemoryKeyring
from tests.postgres import PostgresUnavailable, ThrowawayServer, start_server
from tests.service import start_service  # noqa: F401  (a fixture: the central service)

FIXTURES = Path(__file__).parent / "fixtures"
MINI_FRAMEWORKS = FIXTURES / "frameworks"

#: The test databases are encrypted like the app's, with a key from this passphrase and one
#: fixed salt, derived once for the whole run.
TEST_PASSPHRASE = "correct horse battery staple"
TEST_KEY = derive(TEST_PASSPHRASE, b"aspire-test-salt")


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path, monkeypatch):
    """Nothing a test does may touch the real per-user folders or the real keyring.

    In this process the keyring is an empty one in memory; programs a test starts see no
    keyring at all and take the database passphrase from the environment.
    """
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "userdata"))
    monkeypatch.setenv(ENV_USER, "inspector.one")
    monkeypatch.delenv(ENV_DB, raising=False)
    monkeypatch.setenv(ENV_DB_PASSPHRASE, TEST_PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "casework.db"


@pytest.fixture
def db(db_path):
    database = open_database(db_path, user="inspector.one", key=TEST_KEY)
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


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory) -> Iterator[ThrowawayServer]:
    """One throwaway PostgreSQL server for the whole run, stopped at the end.

    CI must run the central store's tests, so there a missing or broken server fails the run;
    elsewhere those tests are skipped with the reason.
    """
    server, reason = None, ""
    try:
        server = start_server(tmp_path_factory.mktemp("postgres"))
    except PostgresUnavailable as exc:
        reason = f"throwaway PostgreSQL server unavailable: {exc}"
    if server is None:
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    yield server
    server.stop()


@pytest.fixture
def central_url(postgres_server) -> Iterator[str]:
    """A fresh central database for one test; yields its superuser URL and drops it afterwards."""
    name = f"central_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    yield url
    from tests.service import stop_services_for

    stop_services_for(url)
    postgres_server.drop_database(name)



def raw_connection(path, **kwargs):
    """A bare DB-API connection to a test database, with its key (for looking underneath)."""
    from app.db.engine import connect

    return connect(path, TEST_KEY, **kwargs)


def open_as(path, user: str, frameworks: Path = MINI_FRAMEWORKS) -> Services:
    """Services on the test database at ``path``, as another person on the same laptop."""
    return build_services(open_database(path, user=user, key=TEST_KEY), frameworks)
