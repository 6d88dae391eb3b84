"""Starting the window from the entry point, and refusing what cannot be opened."""

from __future__ import annotations

import gc
import time

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.bootstrap import open_services
from app.config import Settings
from app.errors import DatabaseError
from app.main import passphrase_checks
from app.ui.app import lock_database, run_window
from app.ui.dialogs.passphrase_dialog import PassphraseDialog
from app.ui.main_window import MainWindow


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
    assert gc.isenabled()  # paused only while the database opened


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
    answer_passphrase_dialogs(["short", "a long enough passphrase"], seen)

    def quit_when_open():
        window = next((w for w in QApplication.topLevelWidgets()
                       if isinstance(w, MainWindow) and w.isVisible()), None)
        if window is None or not hasattr(window, "cases_page"):
            QTimer.singleShot(100, quit_when_open)
            return
        seen.append(("opened", window._services.database.unlock_kind))
        window.close()

    QTimer.singleShot(200, quit_when_open)
    assert run_window(settings, open_services, passphrase_checks()) == 0
    assert seen[0] == ("Choose a passphrase", "")
    assert seen[1][0] == "Choose a passphrase" and "at least 10 characters" in seen[1][1]
    assert seen[2] == ("opened", "passphrase")
    services = open_services(settings, "a long enough passphrase")
    services.close()


def test_only_one_window_per_database(tmp_path):
    settings = Settings(tmp_path / "casework.db", "inspector.one")
    first = lock_database(settings)
    try:
        with pytest.raises(DatabaseError, match="already open in another"):
            lock_database(settings)
    finally:
        first.unlock()
    lock_database(settings).unlock()
