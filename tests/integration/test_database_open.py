"""Opening the local database: durable settings, and clear refusals that change nothing."""

from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest

from app.db.engine import APPLICATION_ID
from app.db.opening import open_database
from app.errors import DatabaseError
from tests.conftest import TEST_KEY, raw_connection
from tests.integration.helpers import sha


def test_every_connection_gets_the_durable_settings(db):
    seen = {}

    def read(name):
        with db.engine.connect() as conn:
            seen[name] = tuple(conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                               for p in ("journal_mode", "synchronous", "foreign_keys",
                                         "busy_timeout", "secure_delete"))
    read("main")
    worker = threading.Thread(target=read, args=("worker",))
    worker.start()
    worker.join()
    assert seen["main"] == seen["worker"] == ("wal", 2, 1, 5000, 1)
    assert db.pragma("application_id") == APPLICATION_ID


def test_device_id_is_stable(db_path):
    first = open_database(db_path, user="a", key=TEST_KEY)
    device = first.device_id
    first.close()
    again = open_database(db_path, user="a", key=TEST_KEY)
    assert again.device_id == device
    again.close()


def test_new_database_in_a_new_folder(tmp_path):
    path = tmp_path / "deep" / "er" / "cases.db"
    open_database(path, user="a", key=TEST_KEY).close()
    assert path.exists()


def test_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("Inspection notes, not a database.\n" * 50)
    before = sha(path)
    with pytest.raises(DatabaseError, match="not an ASPIRE Casework database"):
        open_database(path, user="a", key=TEST_KEY)
    assert sha(path) == before


def test_another_programs_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('soup')")
        conn.commit()
    before = sha(path)
    with pytest.raises(DatabaseError, match="another program"):
        open_database(path, user="a", key=TEST_KEY)
    assert sha(path) == before


def test_damaged_database_is_refused_untouched(db, db_path):
    db.close()
    data = bytearray(db_path.read_bytes())
    page = 4096
    data[page * 2: page * 2 + 2000] = b"\xff" * 2000  # scribble over a table page
    db_path.write_bytes(bytes(data))
    before = sha(db_path)
    with pytest.raises(DatabaseError, match="damaged") as info:
        open_database(db_path, user="a", key=TEST_KEY)
    assert "backup" in info.value.advice
    assert sha(db_path) == before


def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(DatabaseError, match="is a folder"):
        open_database(tmp_path, user="a", key=TEST_KEY)


def test_a_refused_database_gains_no_files_beside_it(tmp_path):
    path = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.commit()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(DatabaseError, match="another program"):
        open_database(path, user="a", key=TEST_KEY)
    assert sorted(p.name for p in tmp_path.iterdir()) == before == ["other.db"]


def test_a_locked_database_is_a_clear_error_not_a_crash(mini, db, db_path):
    from tests.integration.helpers import make_case
    case = make_case(mini)
    with contextlib.closing(raw_connection(db_path, uri=False)) as other:
        other.execute("BEGIN EXCLUSIVE")  # another program holds the database
        with pytest.raises(DatabaseError, match=r"Nothing could be saved to the database "
                           r"casework\.db: another program is using it") as info:
            mini.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
        assert "Close the other program" in info.value.advice
        assert "do not start a new database" in info.value.advice
        other.rollback()
    assert "victim" not in mini.forms.open(case.id).answers
    mini.forms.record_answer(case_id=case.id, question_key="victim", value="yes")


def test_upgrade_backups_of_another_database_are_not_pruned(tmp_path):
    from app.db.backup import prune_upgrade_backups
    backups = tmp_path / "backups"
    backups.mkdir()
    names = [f"casework-2026010{i}-120000-before-upgrade-from-0001.db" for i in range(1, 8)]
    other = "casework-old-20260101-120000-before-upgrade-from-0001.db"
    for name in [*names, other]:
        (backups / name).write_bytes(b"")
    prune_upgrade_backups(tmp_path / "casework.db", keep=5)
    assert sorted(p.name for p in backups.iterdir()) == sorted([*names[2:], other])
