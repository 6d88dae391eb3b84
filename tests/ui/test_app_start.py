"""Starting the window from the entry point, and refusing what cannot be opened."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.bootstrap import open_services
from app.config import Settings
from app.errors import DatabaseError
from app.ui.app import lock_database, run_window
from app.ui.main_window import MainWindow


def test_window_opens_on_a_new_database_and_closes_cleanly(qtbot, tmp_path):
    settings = Settings(tmp_path / "new" / "casework.db", "inspector.one")
    seen = {}

    deadline = time.monotonic() + 20

    def look_and_quit():
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        if (windows and not hasattr(windows[0], "cases_page")
                and time.monotonic() < deadline):
            QTimer.singleShot(100, look_and_quit)  # the database is still opening
            return
        seen["windows"] = len(windows)
        seen["hint"] = windows[0].cases_page.empty_hint.isVisibleTo(windows[0]) if windows \
            else None
        for window in windows:
            window.close()  # closing the last window ends the application's event loop

    QTimer.singleShot(300, look_and_quit)
    assert run_window(settings, open_services) == 0
    assert seen == {"windows": 1, "hint": True}
    assert settings.db_path.exists()


def test_a_database_that_cannot_be_opened_is_explained(qtbot, tmp_path):
    bogus = tmp_path / "cases.db"
    bogus.write_text("not a database")
    seen = {}

    def read_message():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, read_message)
            return
        seen["title"], seen["text"] = box.windowTitle(), box.text()
        box.accept()

    QTimer.singleShot(100, read_message)
    assert run_window(Settings(bogus, "inspector.one"), open_services) == 1
    assert seen["title"] == "ASPIRE Casework cannot start"
    assert "not an ASPIRE Casework database" in seen["text"]
    assert bogus.read_text() == "not a database"


def test_only_one_window_per_database(tmp_path):
    settings = Settings(tmp_path / "casework.db", "inspector.one")
    first = lock_database(settings)
    try:
        with pytest.raises(DatabaseError, match="already open in another"):
            lock_database(settings)
    finally:
        first.unlock()
    lock_database(settings).unlock()
