"""Window fixtures: a main window over a real temporary database."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from app.bootstrap import build_services
from app.ui.main_window import MainWindow
from tests.conftest import MINI_FRAMEWORKS, new_database


def focused():
    return QApplication.focusWidget()


@pytest.fixture
def open_window(qtbot, db_path):
    """Opens a window on ``db_path`` (again and again, as after a restart)."""
    opened = []

    def _open(frameworks=MINI_FRAMEWORKS) -> MainWindow:
        services = build_services(new_database(db_path), frameworks)
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        opened.append((window, services))
        return window

    yield _open
    for window, services in opened:
        window.close()
        services.close()


@pytest.fixture(params=["light", "dark"])
def theme(request, qapp):
    """The test drawn in a light and again in a dark theme (``test_contrast``'s palettes)."""
    from tests.ui.test_contrast import dark, light

    before = QApplication.palette()
    QApplication.setPalette({"light": light, "dark": dark}[request.param]())
    yield request.param
    QApplication.setPalette(before)
