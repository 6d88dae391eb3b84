"""Starting the window from the entry point, and refusing what cannot be opened."""

from __future__ import annotations

import ctypes
import gc
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.bootstrap import open_services
from app.config import Settings, user_log_dir
from app.errors import DatabaseError
from app.main import passphrase_checks
from app.ui.app import PassphraseChecks, lock_database, run_window
from app.ui.dialogs.passphrase_dialog import PassphraseDialog
from app.ui.main_window import MainWindow
from app.ui.qt_runtime import binding_problem


def test_window_opens_on_a_new_database_and_closes_cleanly(qtbot, tmp_path):
    settings = Settings(tmp_path / "new" / "casework.db", "inspector.one")
    seen = {}

    deadline = time.monotonic() + 20

    def hint_shown(window: MainWindow) -> bool:
        # the screens come in once the database is open, and are shown a moment later
        return hasattr(window, "cases_page") and window.cases_page.empty_hint.isVisible()

    def look_and_quit():
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        if windows and not hint_shown(windows[0]) and time.monotonic() < deadline:
            QTimer.singleShot(100, look_and_quit)
            return
        seen["windows"] = len(windows)
        seen["hint"] = hint_shown(windows[0]) if windows else None
        for window in windows:
            window.close()  # closing the last window ends the application's event loop

    QTimer.singleShot(300, look_and_quit)
    assert run_window(settings, open_services, passphrase_checks()) == 0
    assert seen == {"windows": 1, "hint": True}
    assert settings.db_path.exists()
    assert gc.isenabled()  # the window never switches the collector off


def answer_passphrase_dialogs(answers: list[str | None], seen: list[tuple]) -> None:
    """Answer each passphrase dialog in turn (None cancels), noting what each one said."""
    def look():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PassphraseDialog):
            QTimer.singleShot(50, look)
            return
        seen.append((dialog.windowTitle(), dialog.problem.text()))
        given = answers.pop(0)
        if given is None:
            dialog.reject()
            return
        dialog.passphrase.setText(given)
        dialog.again.setText(given)
        dialog.accept()
        if answers:
            QTimer.singleShot(50, look)

    QTimer.singleShot(100, look)


def test_a_file_no_passphrase_opens_is_explained_and_left_alone(qtbot, tmp_path):
    bogus = tmp_path / "cases.db"
    bogus.write_text("not a database\n" * 600)
    seen: list[tuple] = []
    answer_passphrase_dialogs(["a guess at the passphrase", None], seen)
    assert run_window(Settings(bogus, "inspector.one"), open_services, passphrase_checks()) == 1
    assert seen[0] == ("Unlock the database", "")
    title, problem = seen[1]
    assert title == "Unlock the database"
    assert "cannot be opened with this passphrase" in problem
    assert "not an ASPIRE Casework database" in problem
    assert bogus.read_text() == "not a database\n" * 600
    assert gc.isenabled()


def test_without_a_keyring_a_passphrase_is_chosen_and_protects_the_database(qtbot, tmp_path):
    keyring.set_keyring(fail.Keyring())
    settings = Settings(tmp_path / "new" / "casework.db", "inspector.one")
    seen: list[tuple] = []
    answer_passphrase_dialogs(["short", "".join(PASSPHRASE_PARTS)], seen)

    def quit_when_open():
        window = next((w for w in QApplication.topLevelWidgets()
                       if isinstance(w, MainWindow) and w.isVisible()), None)
        if window is None or not hasattr(window, "cases_page"):
            QTimer.singleShot(100, quit_when_open)
            return
        seen.append(("opened", window._services.database.unlock_kind))
        QApplication.processEvents()
        gc.collect()
        seen.append(("kept by", holders_of_passphrase()))
        window.close()

    QTimer.singleShot(200, quit_when_open)
    assert run_window(settings, open_services, passphrase_checks()) == 0
    assert seen[0] == ("Choose a passphrase", "")
    assert seen[1][0] == "Choose a passphrase" and "at least 10 characters" in seen[1][1]
    assert seen[2] == ("opened", "passphrase")
    assert seen[3] == ("kept by", [])  # the open window holds no copy of the passphrase
    services = open_services(settings, "".join(PASSPHRASE_PARTS))
    services.close()


#: Joined only when used, so no constant of the test holds the whole passphrase.
PASSPHRASE_PARTS = ("a long enough", " passphrase")


def holders_of_passphrase() -> list[str]:
    """The kinds of object that hold the passphrase the tests type."""
    typed = "".join(PASSPHRASE_PARTS)  # plain loops: a closure would hold it in a cell
    holders = []
    for holder in gc.get_objects():
        for held in gc.get_referents(holder):
            if isinstance(held, str) and held == typed:
                holders.append(type(holder).__name__)
    return holders


def test_only_one_window_per_database(tmp_path):
    settings = Settings(tmp_path / "casework.db", "inspector.one")
    first = lock_database(settings)
    try:
        with pytest.raises(DatabaseError, match="already open in another"):
            lock_database(settings)
    finally:
        first.unlock()
    lock_database(settings).unlock()


def test_a_qt_binding_that_loses_references_is_refused_with_what_to_install(qtbot, tmp_path):
    settings = Settings(tmp_path / "casework.db", "inspector.one")
    seen = []

    def read_and_close():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(20, read_and_close)
            return
        seen.append((box.windowTitle(), box.text()))
        box.accept()

    QTimer.singleShot(20, read_and_close)
    problem = binding_problem(probe=lose_references_of_none)
    assert run_window(settings, open_services, binding_check=lambda: problem) == 1
    assert seen == [("ASPIRE Casework cannot start", problem)]
    assert "6.11.3" in problem and "constraints.txt" in problem
    assert not settings.db_path.exists()  # nothing was opened
    assert not any(isinstance(w, MainWindow) for w in QApplication.topLevelWidgets())


def lose_references_of_none() -> None:
    """What a faulty binding does on every call returning nothing: one reference of None
    taken and never given back (the check gives them back once it has seen them go)."""
    for _ in range(8):
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))


def test_after_an_unexpected_close_the_next_start_says_so_and_where_the_log_is(
        qtbot, tmp_path):
    log_dir = user_log_dir()
    crashed = subprocess.run(
        [sys.executable, "-c", "import os, sys; from pathlib import Path; "
         "from app.ui.run_marker import RunMarker; "
         "marker = RunMarker.start(Path(sys.argv[1])); assert marker.marked; os._exit(3)",
         str(log_dir)], cwd=Path(__file__).resolve().parents[2])
    assert crashed.returncode == 3
    seen = []
    waiting = {}

    def read_notice_then_quit():
        box = QApplication.activeModalWidget()
        if box is None or box.objectName() != "unexpected-close":
            if time.monotonic() < waiting["until"]:
                QTimer.singleShot(20, read_notice_then_quit)
            else:
                close_once_open()  # no notice came: end the run, and the test says so
            return
        seen.append(box.text())
        box.accept()
        close_once_open()

    waiting["until"] = time.monotonic() + 15
    QTimer.singleShot(20, read_notice_then_quit)
    settings = Settings(tmp_path / "casework.db", "inspector.one")
    assert run_window(settings, open_services, passphrase_checks()) == 0
    assert "closed unexpectedly" in seen[0] and str(log_dir) in seen[0]
    assert list(log_dir.glob("running-*.lock")) == []  # this run ended cleanly
    seen.clear()
    waiting["until"] = time.monotonic() + 1
    QTimer.singleShot(20, read_notice_then_quit)
    assert run_window(settings, open_services, passphrase_checks()) == 0
    assert seen == []  # told once


def close_once_open() -> None:
    """Close the window once its database is open and its screens are in."""
    window = next((w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()), None)
    if window is None or not hasattr(window, "cases_page"):
        QTimer.singleShot(50, close_once_open)
        return
    window.close()


def test_closing_the_window_while_the_keyring_is_slow_to_answer_is_not_held_up(qtbot,
                                                                              tmp_path):
    """A keyring waiting on a prompt of its own: the window closes at once, and the database
    is free for the next start."""
    settings = Settings(tmp_path / "casework.db", "inspector.one")
    slow = PassphraseChecks(needed=lambda _path: time.sleep(6) or None,
                            problem=lambda *_a: None)

    def close():
        for window in QApplication.topLevelWidgets():
            if isinstance(window, MainWindow) and window.isVisible():
                window.close()

    QTimer.singleShot(300, close)
    began = time.monotonic()
    assert run_window(settings, open_services, slow) == 0
    assert time.monotonic() - began < 4
    lock = lock_database(settings)  # the first start let go of the database
    lock.unlock()


def test_a_passphrase_that_cannot_be_checked_ends_the_start_with_what_went_wrong(
        qtbot, tmp_path, monkeypatch):
    settings = Settings(tmp_path / "casework.db", "inspector.one")

    def unreadable(*_args):
        raise PermissionError(13, "Permission denied", str(settings.db_path))

    told: list[str] = []
    monkeypatch.setattr("app.ui.app.show_error",
                        lambda _parent, exc, _title: told.append(str(exc)))
    answer_passphrase_dialogs(["a passphrase long enough"], [])
    checks = PassphraseChecks(needed=lambda _path: "existing", problem=unreadable)
    assert run_window(settings, open_services, checks) == 1
    assert told and "Permission denied" in told[0]
