"""The window started on a laptop's screen, in a process of its own (the screen is the
platform's, fixed when Qt starts): ``QT_QPA_PLATFORM=offscreen:configfile=...``.

    python -m tests.ui.laptop_window FOLDER

Opens the window twice on the database in FOLDER (moving and resizing it the first time) and
prints one JSON line: the screen, where the window opened each time, and any text cut.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.bootstrap import build_services
from app.config import frameworks_dir
from app.db.keys import derive
from app.db.opening import open_database
from app.ui.main_window import MainWindow
from tests.ui.dialog_tour import pump
from tests.ui.test_fit import cut

KEY = derive("correct horse battery staple", b"aspire-test-salt")


def opened(services) -> MainWindow:
    window = MainWindow(services)
    window.show()
    pump(timeout=0.2)
    return window


def main(folder: Path) -> None:
    app = QApplication.instance() or QApplication([])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    services = build_services(open_database(folder / "casework.db", user="inspector.one",
                                            key=KEY), frameworks_dir())
    inspection = services.demo.create(cases=2, seed=3)
    window = opened(services)
    window.cases_page.reload()
    pump(timeout=0.1)
    first = window.frameGeometry().getRect()
    problems = cut(window)
    window.open_case(services.cases.list(inspection.id)[0].id)
    pump(timeout=0.1)
    problems += cut(window)
    window.setGeometry(40, 30, 900, 520)  # where the person leaves it
    pump(timeout=0.1)
    left = window.geometry().getRect()
    window.close()
    again = opened(services)
    reopened = again.geometry().getRect()
    again.close()
    services.close()
    screen = app.primaryScreen().availableGeometry().getRect()
    sys.stdout.write(json.dumps({"screen": screen, "first": first, "left": left,
                                 "reopened": reopened, "cut": problems}) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
