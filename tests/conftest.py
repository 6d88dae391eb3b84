"""Shared fixtures. Every test gets its own data folder and database under ``tmp_path``."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from app.bootstrap import build_services
from app.config import ENV_DATA_DIR, ENV_DB, ENV_DB_PASSPHRASE, ENV_USER, frameworks_dir
from app.db.engine import Database
from app.db.keys import derive
from app.db.opening import open_database
from app.services.registry import Services
from tests.keyring_backend import MemoryKeyring
from tests.postgres import PostgresUnavailable, ThrowawayServer, start_server
from tests.service import start_service  # noqa: F401  (a fixture: the central service)

FIXTURES = Path(__file__).parent / "fixtures"

# The window is drawn offscreen (before the application starts, which reads this), on a
# screen of a desktop's size: the offscreen platform's own is 800×800; laptop screens are
# tried in tests/ui/test_fit.py.
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = (
        f"offscreen:configfile={FIXTURES / 'screens' / 'desktop.json'}")

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
    _own_settings(tmp_path / "settings")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


def _own_settings(folder: Path) -> None:
    """The window's settings (its place on the screen, the lock's minutes) in the test's own
    folder, not the person's."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


#: Services a test opened through the helpers here, closed when it ends (see ``opened``).
_opened: list[Services] = []


def opened(services: Services) -> Services:
    """``services``, to be closed when the test ends if the test has not closed them itself:
    a laptop keeps its session with the central service open between syncs, and its
    connection must not be left for the garbage collector."""
    _opened.append(services)
    return services


def _close_opened() -> None:
    while _opened:
        _opened.pop().close()


@pytest.fixture(autouse=True)
def _services_closed() -> Iterator[None]:
    yield
    _close_opened()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "casework.db"


# -- laptop databases ------------------------------------------------------------------------
# A new laptop database is made by running every migration, a tenth of a second or more; the
# tests make hundreds. So the migrations are run once per run, into a template that each new
# test database is copied from (the migrations themselves are tested in test_migrations and
# by every database the command line or the window makes).

_template_folder: Path | None = None
_template: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def _laptop_template_folder(tmp_path_factory) -> None:
    global _template_folder
    _template_folder = tmp_path_factory.mktemp("laptop-template")


def _laptop_template() -> Path:
    """A laptop database at the newest schema, encrypted with the test key, made as
    ``open_database`` makes a new one up to the point where the device takes its id."""
    global _template
    if _template is None:
        from app.db.engine import create_sqlite_engine
        from app.db.migrate import upgrade

        assert _template_folder is not None, "made only while the tests run"
        path = _template_folder / "migrated.db"
        engine = create_sqlite_engine(path, TEST_KEY)
        try:
            upgrade(engine, path, None, key=TEST_KEY)
            with engine.connect() as conn:  # everything into the file itself, to be copied
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        _template = path
    return _template


def new_database(path: Path, user: str = "inspector.one") -> Database:
    """Open the test database at ``path``, made first (when there is none) as a copy of the
    migrated template; it takes its own device id when opened, as a new database does."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_laptop_template(), path)
    return open_database(path, user=user, key=TEST_KEY)


@pytest.fixture
def db(db_path):
    database = new_database(db_path)
    yield database
    database.close()


@pytest.fixture
def mini(db) -> Services:
    """Services over the small test framework in ``tests/fixtures/frameworks``."""
    return opened(build_services(db, MINI_FRAMEWORKS))


@pytest.fixture
def services(db) -> Services:
    """Services over the frameworks shipped with the app."""
    return opened(build_services(db, frameworks_dir()))


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


#: The database holding the central schema made once for the run, which ``central`` copies.
CENTRAL_TEMPLATE = "template_central"


@pytest.fixture(scope="session")
def central_template(postgres_server) -> str:
    """The name of a database with the central schema, made by ``init_central`` once for the
    run; never connected to afterwards, so that it can be copied."""
    from app.sync.central import init_central

    init_central(postgres_server.create_database(CENTRAL_TEMPLATE))
    return CENTRAL_TEMPLATE


@pytest.fixture
def central(postgres_server, central_template) -> Iterator[str]:
    """A fresh central store for one test, its schema in place (a copy of the template, as
    ``init_central`` leaves an empty database); yields its superuser URL, dropped afterwards."""
    yield from _fresh_database(postgres_server, central_template)


@pytest.fixture
def central_url(request, postgres_server) -> Iterator[str]:
    """A fresh, empty central database for one test; yields its superuser URL and drops it
    afterwards. A test that also uses ``central`` is given that same database here."""
    if "central" in request.fixturenames:
        yield request.getfixturevalue("central")
        return
    yield from _fresh_database(postgres_server)


def _fresh_database(server: ThrowawayServer, template: str | None = None) -> Iterator[str]:
    name = f"central_{uuid.uuid4().hex[:12]}"
    url = server.create_database(name, template)
    yield url
    from tests.service import stop_services_for

    _close_opened()  # signed out while the service still answers
    stop_services_for(url)
    server.drop_database(name)


def raw_connection(path, **kwargs):
    """A bare DB-API connection to a test database, with its key (for looking underneath)."""
    from app.db.engine import connect

    return connect(path, TEST_KEY, **kwargs)


def open_as(path, user: str, frameworks: Path = MINI_FRAMEWORKS) -> Services:
    """Services on the test database at ``path``, as another person on the same laptop."""
    return opened(build_services(open_database(path, user=user, key=TEST_KEY), frameworks))
