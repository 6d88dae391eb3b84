"""The encrypted local database: nothing readable on disk, a wrong key changes nothing, the
key is never written anywhere, and a plain database is moved across once, whole."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlcipher3 import dbapi2 as sqlcipher

from app.bootstrap import open_services
from app.config import ENV_DB_PASSPHRASE, Settings
from app.db import encryption
from app.db.keys import KEYRING_SERVICE, derive, file_salt, keyring_key
from app.db.opening import SQLITE_HEADER, open_database
from app.errors import KeyNeededError, ValidationError, WrongKeyError
from tests.conftest import MINI_FRAMEWORKS, TEST_KEY, open_as, raw_connection
from tests.integration.helpers import make_case, make_inspection, sha
from tests.keyring_backend import MemoryKeyring

ROOT = Path(__file__).resolve().parents[2]
PLANTED = "Planted-Secret-Evidence-7731"


def everything_under(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def plant(services) -> None:
    inspection = make_inspection(services)
    case = make_case(services, "X7731", inspection=inspection)
    services.forms.record_answer(case_id=case.id, question_key="victim", value="yes",
                                 evidence=PLANTED)


def table_counts(path: Path, key) -> dict[str, int]:
    from app.db.engine import connect

    with contextlib.closing(connect(path, key)) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


@pytest.fixture(autouse=True)
def _mini_frameworks(monkeypatch):
    monkeypatch.setenv("ASPIRE_FRAMEWORKS_DIR", str(MINI_FRAMEWORKS))


@pytest.fixture
def no_keyring():
    keyring.set_keyring(fail.Keyring())


# -- on disk ---------------------------------------------------------------------------------

def test_nothing_readable_in_the_file_its_log_or_its_backups(mini, db, db_path, tmp_path):
    plant(mini)
    assert (db_path.parent / (db_path.name + "-wal")).stat().st_size > 0  # the answer is in it
    mini.database.backup(tmp_path / "copy.db")
    files = everything_under(db_path.parent)
    files[tmp_path / "copy.db"] = (tmp_path / "copy.db").read_bytes()
    assert db_path in files and tmp_path / "copy.db" in files
    for path, data in files.items():
        assert not data.startswith(SQLITE_HEADER), path
        for needle in (PLANTED, "X7731", "victim"):
            assert needle.encode() not in data, (path, needle)
            assert needle.encode("utf-16-le") not in data, (path, needle)
    # and yet it is all there for the key holder
    with contextlib.closing(raw_connection(tmp_path / "copy.db")) as conn:
        assert conn.execute("SELECT count(*) FROM answers WHERE evidence = ?",
                            (PLANTED,)).fetchone()[0] == 1


def test_upgrade_backups_are_encrypted(mini, db, db_path):
    from app.db import migrate
    from app.db.engine import create_sqlite_engine

    plant(mini)
    db.close()
    engine = create_sqlite_engine(db_path, TEST_KEY)
    migrate.downgrade(engine, "0003")
    engine.dispose()
    open_database(db_path, user="t", key=TEST_KEY).close()
    backups = list((db_path.parent / "backups").glob("*before-upgrade-from-0003.db"))
    assert len(backups) == 1
    data = backups[0].read_bytes()
    assert not data.startswith(SQLITE_HEADER) and PLANTED.encode() not in data


# -- the wrong key ---------------------------------------------------------------------------

def test_a_wrong_key_is_refused_and_the_file_is_left_byte_identical(mini, db, db_path):
    plant(mini)
    db.close()
    before = {p.name: sha(p) for p in db_path.parent.iterdir() if p.is_file()}
    wrong = derive("not the passphrase at all", file_salt(db_path))
    with pytest.raises(WrongKeyError, match="cannot be opened with this passphrase") as info:
        open_database(db_path, user="t", key=wrong)
    assert "has not been changed" in info.value.problem
    assert "central store" in info.value.advice
    assert {p.name: sha(p) for p in db_path.parent.iterdir() if p.is_file()} == before


def test_an_encrypted_file_opened_without_a_key_is_refused_untouched(mini, db, db_path):
    from app.errors import KeyNeededError

    db.close()
    before = sha(db_path)
    with pytest.raises(KeyNeededError, match="encrypted"):
        open_database(db_path, user="t", key=None)
    assert sha(db_path) == before


def test_a_small_file_that_is_no_database_is_refused_before_any_passphrase(tmp_path):
    from app.errors import DatabaseError

    path = tmp_path / "cases.db"
    path.write_text("not a database")
    with pytest.raises(DatabaseError, match="not an ASPIRE Casework database"):
        open_services(settings_for(path))
    assert path.read_text() == "not a database"


# -- where the key comes from ----------------------------------------------------------------

def settings_for(path: Path) -> Settings:
    return Settings(db_path=path, user="inspector.one")


def test_a_new_database_gets_a_random_key_kept_in_the_keyring(tmp_path):
    path = tmp_path / "casework.db"
    services = open_services(settings_for(path))
    try:
        plant(services)
        assert services.database.unlock_kind == "keyring"
        assert services.database.unlock() is True
    finally:
        services.close()
    backend = keyring.get_keyring()
    assert isinstance(backend, MemoryKeyring)
    (entry, stored), = backend.items.items()
    assert entry == (KEYRING_SERVICE, str(path.absolute()))
    assert len(bytes.fromhex(stored)) == 32
    assert not path.read_bytes().startswith(SQLITE_HEADER)
    again = open_services(settings_for(path))  # opened with the keyring's key, nothing asked
    again.close()
    # a keyring whose entry is gone cannot be lifted by the screen lock, nor open the file
    backend.items.clear()
    assert keyring_key(path) is None
    with pytest.raises(KeyNeededError, match="passphrase"):
        open_services(settings_for(path))


def test_without_a_keyring_a_passphrase_is_chosen_then_asked_for(tmp_path, no_keyring):
    path = tmp_path / "casework.db"
    with pytest.raises(KeyNeededError) as info:
        open_services(settings_for(path))
    assert info.value.new is True and "no keyring" in info.value.problem
    assert not path.exists()
    with pytest.raises(ValidationError, match="at least 10 characters"):
        open_services(settings_for(path), "short")
    services = open_services(settings_for(path), "a long enough passphrase")
    try:
        plant(services)
        assert services.database.unlock_kind == "passphrase"
        assert services.database.unlock("a long enough passphrase") is True
        assert services.database.unlock("A long enough passphrase") is False
        assert services.database.unlock("") is False
    finally:
        services.close()
    before = sha(path)
    with pytest.raises(KeyNeededError) as info:
        open_services(settings_for(path))
    assert info.value.new is False
    with pytest.raises(WrongKeyError):
        open_services(settings_for(path), "a wrong passphrase here")
    assert sha(path) == before
    services = open_services(settings_for(path), "a long enough passphrase")
    services.close()


def test_the_key_is_in_no_log_setting_or_temporary_file(tmp_path, caplog, no_keyring):
    """Everything the app writes while opening, filling and backing up a database, and while
    a wrong key is tried, is searched for the key and the passphrase."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    passphrase = "kestrel-lantern-orchard-42"
    env = {**os.environ, "ASPIRE_DATA_DIR": str(tmp_path / "userdata"),
           "ASPIRE_FRAMEWORKS_DIR": "", "TMPDIR": str(tmp_path / "tmp"),
           ENV_DB_PASSPHRASE: passphrase,
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path / "home")}
    (tmp_path / "tmp").mkdir()
    for args in (["demo", "--cases", "3"], ["db", "backup", str(tmp_path / "copy.db")],
                 ["db", "check"], ["inspections", "list"]):
        done = subprocess.run([sys.executable, "-m", "app", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs = done.stdout + done.stderr
        assert passphrase not in outputs
    db_path = tmp_path / "userdata" / "casework.db"
    key = derive(passphrase, file_salt(db_path))
    wrong = subprocess.run([sys.executable, "-m", "app", "inspections", "list"],
                           env={**env, ENV_DB_PASSPHRASE: "some other passphrase"}, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert wrong.returncode != 0 and "cannot be opened" in wrong.stderr
    services = open_services(settings_for(db_path), passphrase)  # in-process, fully logged
    services.database.check()
    services.close()
    secrets = [key.raw.hex(), key.raw.hex().upper(), passphrase]
    files = everything_under(tmp_path)
    assert any(p.suffix == ".log" for p in files), "the app writes a log"
    for path, data in files.items():
        for secret in secrets:
            assert secret.encode() not in data, path
        assert key.raw not in data, path
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    for secret in secrets:
        assert secret not in logged
    assert "<hidden>" in repr(key) and key.raw.hex() not in repr(key)


# -- moving a plain database across ----------------------------------------------------------

def test_a_plain_database_is_encrypted_once_keeping_every_row(tmp_path):
    path = tmp_path / "data" / "casework.db"
    plain = build_plain(path)
    before = table_counts(path, None)
    assert path.read_bytes().startswith(SQLITE_HEADER)
    assert sum(before.values()) > 15 and before["answers"] == 1
    plain_bytes = {p: p.read_bytes() for p in path.parent.glob("casework.db*")}
    assert any(PLANTED.encode() in data for data in plain_bytes.values())

    services = open_as(path, "inspector.one", MINI_FRAMEWORKS)
    try:
        inspection, = services.inspections.list()
        case, = services.cases.list(inspection.id)
        assert services.forms.open(case.id).answers["victim"].evidence == PLANTED
    finally:
        services.close()
    assert table_counts(path, TEST_KEY) == before
    backup, = (path.parent / "backups").glob("casework-*-before-encryption.db")
    assert table_counts(backup, TEST_KEY) == before
    leftovers = sorted(p.name for p in path.parent.iterdir() if p.is_file())
    assert leftovers == ["casework.db", "casework.db-shm", "casework.db-wal"] or \
        leftovers == ["casework.db"]
    for file, data in everything_under(path.parent).items():
        assert PLANTED.encode() not in data, file
        assert not data.startswith(SQLITE_HEADER), file
    assert plain.device_id == open_database(path, user="t", key=TEST_KEY).device_id


def build_plain(path: Path):
    from app.bootstrap import build_services

    db = open_database(path, user="inspector.one", key=None)
    plant(build_services(db, MINI_FRAMEWORKS))
    db.close()
    return db


@pytest.mark.parametrize("stopped", ["before the copy went into place",
                                     "after the copy went into place"])
def test_an_encryption_stopped_half_way_is_finished_at_the_next_start(tmp_path, stopped):
    path = tmp_path / "data" / "casework.db"
    build_plain(path)
    before = table_counts(path, None)
    partial = path.with_name(path.name + encryption.PARTIAL)
    aside = path.with_name(path.name + encryption.ASIDE)
    if stopped == "before the copy went into place":
        encryption._encrypted_copy(path, partial, TEST_KEY)
        os.replace(path, aside)  # set aside; the app stopped here
    else:
        encryption._encrypted_copy(path, tmp_path / "copy.db", TEST_KEY)
        os.replace(path, aside)
        os.replace(tmp_path / "copy.db", path)  # in place; the plain copy not yet removed
    services = open_as(path, "inspector.one", MINI_FRAMEWORKS)
    services.close()
    assert table_counts(path, TEST_KEY) == before
    assert not aside.exists() and not partial.exists()
    for file, data in everything_under(path.parent).items():
        assert PLANTED.encode() not in data, file


def test_plain_side_files_not_yet_set_aside_are_removed_too(tmp_path):
    path = tmp_path / "data" / "casework.db"
    build_plain(path)
    partial = path.with_name(path.name + encryption.PARTIAL)
    encryption._encrypted_copy(path, partial, TEST_KEY)
    os.replace(path, path.with_name(path.name + encryption.ASIDE))
    wal = path.with_name(path.name + "-wal")
    wal.write_bytes(PLANTED.encode())  # the app stopped before the plain WAL was moved
    encryption.finish_interrupted(path)
    assert sorted(p.name for p in path.parent.iterdir() if p.is_file()) == ["casework.db"]
    assert not path.read_bytes().startswith(SQLITE_HEADER)


def test_a_plain_database_that_cannot_be_copied_is_left_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "data" / "casework.db"
    build_plain(path)
    before = sha(path)

    def fails(*_args):
        raise sqlcipher.DatabaseError("database or disk is full")

    monkeypatch.setattr(encryption, "_counts", fails)
    from app.errors import DatabaseError

    with pytest.raises(DatabaseError, match="could not be encrypted") as info:
        open_database(path, user="t", key=TEST_KEY)
    assert "has not been changed" in info.value.problem
    assert sha(path) == before
    assert not list((path.parent / "backups").glob("*before-encryption.db"))
    assert not path.with_name(path.name + encryption.PARTIAL).exists()


def test_cli_with_no_keyring_and_no_one_to_ask_says_what_to_set(tmp_path):
    env = {**os.environ, "ASPIRE_DATA_DIR": str(tmp_path / "userdata")}
    env.pop(ENV_DB_PASSPHRASE)
    done = subprocess.run([sys.executable, "-m", "app", "inspections", "list"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode != 0
    assert "no keyring" in done.stderr and "ASPIRE_DB_PASSPHRASE" in done.stderr
    assert not (tmp_path / "userdata" / "casework.db").exists()


def test_what_the_window_asks_before_opening(tmp_path, no_keyring):
    from app.db.keys import passphrase_needed, passphrase_problem_for

    path = tmp_path / "casework.db"
    assert passphrase_needed(path) == "new"
    assert "at least 10" in passphrase_problem_for(path, "short", new=True)
    assert passphrase_problem_for(path, "a long enough passphrase", new=True) is None
    open_services(settings_for(path), "a long enough passphrase").close()
    assert passphrase_needed(path) == "existing"
    before = sha(path)
    assert "cannot be opened with this passphrase" in passphrase_problem_for(
        path, "not the right one", new=False)
    assert passphrase_problem_for(path, "a long enough passphrase", new=False) is None
    assert sha(path) == before
    keyring.set_keyring(MemoryKeyring())
    assert passphrase_needed(tmp_path / "another.db") is None  # a key will go in the keyring
