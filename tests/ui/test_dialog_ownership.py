"""Dialogs are owned and deleted properly: once closed, none lingers under the window, and
the window can be closed cleanly after any of them."""

from __future__ import annotations

from app.ui.main_window import MainWindow
from tests.integration.helpers import make_case
from tests.ui.dialog_tour import dialogs_left, visit, visit_every_dialog

EVERY_DIALOG = ["InspectionDialog", "CaseDialog", "TeamDialog", "InspectionDetailsDialog",
                "SampleDialog", "ReviewQueueDialog", "ModerationDialog", "ConflictsDialog",
                "ExportOptionsDialog", "ExportOptionsDialog",
                "FrameworksDialog", "QMessageBox", "DashboardDialog", "RatingDecisionDialog",
                "ImportDialog",
                "ProblemsDialog", "PracticeExamplesDialog", "ExportOptionsDialog", "CaseDialog",
                "HistoryDialog"]


def test_no_dialog_lingers_once_closed(qtbot, open_window, tmp_path):
    window = open_window()
    make_case(window._services, "X1")
    window.cases_page.reload()
    case_list = tmp_path / "cases.csv"
    case_list.write_text("CRN,Sex\nX2,M\nX3,F\n")
    met = visit_every_dialog(window, case_list)
    assert met == EVERY_DIALOG
    assert dialogs_left(window) == []


def test_about_works_while_the_database_is_still_opening(qtbot):
    window = MainWindow()  # shown before the database is open, as at start-up
    qtbot.addWidget(window)
    window.show()
    texts = []
    from PySide6.QtWidgets import QApplication, QMessageBox

    def read() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            texts.append(box.text())

    from PySide6.QtCore import QTimer
    QTimer.singleShot(10, read)  # read before the tour's closer, which looks after 20 ms
    assert visit(window.about_action.trigger) == "QMessageBox"
    assert "still opening" in texts[0]
    assert dialogs_left(window) == []


def test_about_names_this_laptops_device_id_for_the_administrator(qtbot, open_window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    window = open_window()
    shown = []

    def read():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, read)
            return
        shown.append(box.text())
        box.accept()

    QTimer.singleShot(0, read)
    window.about_action.trigger()
    assert str(window._services.database.device_id) in shown[0]


def test_while_the_database_is_still_opening_only_help_and_quit_can_be_chosen(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    usable = sorted(action.text().replace("&", "") for menu in window.menuBar().actions()
                    for action in menu.menu().actions()
                    if not action.isSeparator() and action.isEnabled())
    assert usable == ["About ASPIRE Casework", "Guide and shortcuts", "Quit"]
    tools = [a for m in window.menuBar().actions() if m.text() == "&Tools"
             for a in m.menu().actions() if not a.isSeparator()]
    assert window.store.password_action in tools and window.store.sync_action in tools
