"""Opening the local database: durable settings, and clear refusals that change nothing."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.db.engine import APPLICATION_ID
from app.db.opening import open_database
from app.errors import DatabaseError
from app.services.database import DatabaseService
from tests.conftest import TEST_KEY, raw_connection
from tests.integration.helpers import sha

ROOT = Path(__file__).resolve().parents[2]


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


#: a program that has the database open and ends without closing it (a crash, a kill)
ENDS_WITHOUT_CLOSING = """
import os, sys
from pathlib import Path
from app.db.opening import open_database
from tests.conftest import TEST_KEY
open_database(Path(sys.argv[1]), user="a", key=TEST_KEY)
os._exit(0)
"""


def ended_without_closing(db_path) -> None:
    done = subprocess.run([sys.executable, "-c", ENDS_WITHOUT_CLOSING, str(db_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def scribble_over_a_table_page(db_path) -> None:
    data = bytearray(db_path.read_bytes())
    page = 4096
    data[page * 2: page * 2 + 2000] = b"\xff" * 2000
    db_path.write_bytes(bytes(data))


def marks(db_path) -> list[str]:
    return sorted(p.name for p in db_path.parent.iterdir() if p.name.endswith(".open"))


def test_damaged_database_is_refused_untouched_when_last_left_unclosed(db, db_path):
    db.close()
    ended_without_closing(db_path)
    assert len(marks(db_path)) == 1  # the mark the program left
    scribble_over_a_table_page(db_path)
    before = sha(db_path)
    for _again in range(2):  # refused each time: the check stays owed until it passes
        with pytest.raises(DatabaseError, match="damaged") as info:
            open_database(db_path, user="a", key=TEST_KEY)
        assert "backup" in info.value.advice
        assert sha(db_path) == before
        assert len(marks(db_path)) == 1  # the left one gone, this opening's left instead


def test_a_database_closed_properly_opens_without_reading_every_page(db, db_path, caplog):
    """Closed properly, the database opens without its pages checked (which grows with the
    database), even damaged where opening does not read; 'aspire db check' finds it. Its
    mark is there while it is open and gone once it is closed."""
    assert len(marks(db_path)) == 1
    db.close()
    assert marks(db_path) == []
    scribble_over_a_table_page(db_path)
    with caplog.at_level(logging.INFO, logger="app.db.opening"):
        again = open_database(db_path, user="a", key=TEST_KEY)
    try:
        assert "not closed properly" not in caplog.text
        with pytest.raises(DatabaseError):
            DatabaseService(again).check()
    finally:
        again.close()
    ended_without_closing(db_path)
    with caplog.at_level(logging.INFO, logger="app.db.opening"), \
            pytest.raises(DatabaseError, match="damaged"):
        open_database(db_path, user="a", key=TEST_KEY)
    assert "not closed properly last time" in caplog.text


def test_two_programs_open_at_once_leave_each_others_marks(db, db_path):
    """A second program opening the database while the first has it open does not take the
    first's mark for one left behind."""
    second = open_database(db_path, user="b", key=TEST_KEY)
    assert len(marks(db_path)) == 2
    second.close()
    assert len(marks(db_path)) == 1
    db.close()
    assert marks(db_path) == []


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


def test_where_files_cannot_be_locked_no_mark_is_kept_and_every_opening_checks(
        db, db_path, monkeypatch):
    """A network share without file locks: a mark nobody could tell held from left is not
    kept, so every opening checks the pages, as before marks."""
    import errno

    import app.core.atomic_files as atomic_files

    db.close()
    if atomic_files.fcntl is None:
        pytest.skip("Windows holds files without locks")

    def no_locks(_fd, _how):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(atomic_files.fcntl, "flock", no_locks)
    again = open_database(db_path, user="a", key=TEST_KEY)
    try:
        assert marks(db_path) == []
    finally:
        again.close()
    scribble_over_a_table_page(db_path)
    with pytest.raises(DatabaseError, match="damaged"):
        open_database(db_path, user="a", key=TEST_KEY)
