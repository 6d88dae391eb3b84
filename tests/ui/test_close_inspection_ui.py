"""Closing an inspection from the window, and the sync that then removes its cases."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QMessageBox

from app.ui.main_window import MainWindow
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, laptop


def test_close_the_inspection_after_confirming_then_sync(qtbot, central, tmp_path,
                                                         monkeypatch):
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.sync()
    window = MainWindow(one.services)
    qtbot.addWidget(window)
    window.show()
    asked, replies = [], [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question",
                        lambda _parent, _title, text, *a, **k: asked.append(text)
                        or replies.pop(0))
    assert window.close_inspection_action.isEnabled()

    window.close_inspection_action.trigger()  # answered No
    assert one.services.inspections.get(inspection.id).status == "open"
    assert "removed from every team member's laptop once everything on it is synced" \
        in asked[0]
    window.open_case(case.id)
    assert not window.form_page.locked_banner.isVisibleTo(window)
    window.close_inspection_action.trigger()  # answered Yes, with the case form open
    assert one.services.inspections.get(inspection.id).status == "closed"
    assert "closed" in window.statusBar().currentMessage()
    assert window.form_page.locked_banner.isVisibleTo(window)  # readable, not changeable
    assert "inspection is closed" in window.form_page.locked_banner.text()
    window.show_cases()

    assert window.cases_page.case_table.model().rowCount() == 1
    window.open_case(case.id)
    assert window.form_page.locked_banner.isVisibleTo(window)
    assert "inspection is closed" in window.form_page.locked_banner.text()
    window.show_cases()

    answers = [one.url, PASSWORD]
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (answers.pop(0), True))
    window.store.sync_now()
    qtbot.waitUntil(lambda: "removed from this laptop" in window.statusBar().currentMessage(),
                    timeout=15000)
    assert window.cases_page.case_table.model().rowCount() == 0
    window.close()
    one.services.close()
