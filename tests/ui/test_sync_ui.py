"""Syncing from the window: quiet when offline, conflicts shown and resolved."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QInputDialog

from app.sync.central import init_central
from app.ui.dialogs.conflicts_dialog import ConflictsDialog
from app.ui.main_window import MainWindow
from tests.integration.helpers import make_case
from tests.integration.sync_fixtures import (
    PASSWORD,
    forge,
    person_url,
    two_laptops_on_one_case,
)


def answers_from(monkeypatch, *replies):
    queue = list(replies)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (queue.pop(0), True))


def test_offline_is_said_quietly_and_work_goes_on(qtbot, open_window, monkeypatch):
    window = open_window()
    make_case(window._services)
    window.cases_page.reload()
    answers_from(monkeypatch, "postgresql://someone@127.0.0.1:9/central", "a password")
    window.sync_now()
    qtbot.waitUntil(lambda: "cannot be reached just now" in
                    window.statusBar().currentMessage(), timeout=15000)
    assert QApplication.activeModalWidget() is None  # no alarm: a message in the status bar
    assert "change(s) waiting" in window.sync_status.text()
    assert "never" in window.sync_status.text()


def test_sync_then_resolve_a_conflict_in_the_window(qtbot, central_url, tmp_path,
                                                    monkeypatch):
    init_central(central_url)
    one, two, case = two_laptops_on_one_case(tmp_path, central_url, ("victim", "yes"))
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="no")
    one.sync()
    two.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes",
                                     evidence="Partner named")
    window = MainWindow(two.services)
    qtbot.addWidget(window)
    window.show()
    seen = []

    def keep_mine(dialog):  # the person reads the open dialog and keeps their own answer
        listed, offered = dialog.list.count(), dialog.mine_button.isEnabled()
        dialog.mine_button.click()
        seen.append((listed, offered, dialog.list.count()))
        return 0

    monkeypatch.setattr(ConflictsDialog, "exec", keep_mine)
    answers_from(monkeypatch, person_url(central_url, "inspector.two", None), PASSWORD)
    window.sync_now()
    qtbot.waitUntil(lambda: bool(seen), timeout=15000)
    assert "Synced" in window.statusBar().currentMessage()
    assert seen == [(1, True, 0)]
    assert two.services.forms.open(case.id).answers["victim"].value == "yes"
    window.show_sync_status()
    assert "1 change(s) waiting" in window.sync_status.text()
    assert "conflict" not in window.sync_status.text()
    window.close()


def test_export_a_transfer_file_from_the_window(qtbot, open_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from app.sync.package import read_package
    window = open_window()
    make_case(window._services)
    target = tmp_path / "usb.aspire"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    answers_from(monkeypatch, "orange kettle river", "orange kettle river")
    window.export_package()  # sealed off the window's thread
    qtbot.waitUntil(lambda: "Sealed" in window.statusBar().currentMessage(), timeout=10000)
    package = read_package(target, "orange kettle river")
    assert package.manifest["changes"] == len(package.changes) > 0
    answers_from(monkeypatch, "orange kettle river", "something else")
    window.export_package()
    assert "differ" in window.statusBar().currentMessage()


def test_a_change_that_cannot_be_applied_here_is_shown_and_can_be_acknowledged(
        qtbot, central_url, tmp_path, monkeypatch):
    import uuid

    from PySide6.QtWidgets import QLabel

    init_central(central_url)
    _one, two, case = two_laptops_on_one_case(tmp_path, central_url, ("victim", "yes"))
    forge(central_url, case.inspection_id, "answers", {
        "id": str(uuid.uuid4()), "case_id": str(uuid.uuid4()), "question_key": "victim",
        "value": "no", "reasons": [], "evidence": "", "respondent": "inspector"})
    window = MainWindow(two.services)
    qtbot.addWidget(window)
    window.show()
    seen = []

    def read_and_acknowledge(dialog):
        label = dialog.list.item(0).text()
        notes = [w.text() for w in dialog.findChildren(QLabel) if "could not be" in w.text()]
        offered = dialog.ok_button.isEnabled(), dialog.mine_button.isEnabled()
        dialog.ok_button.click()
        seen.append((label, notes, offered, dialog.list.count()))
        return 0

    monkeypatch.setattr(ConflictsDialog, "exec", read_and_acknowledge)
    answers_from(monkeypatch, person_url(central_url, "inspector.two", None), PASSWORD)
    window.sync_now()
    qtbot.waitUntil(lambda: bool(seen), timeout=15000)
    assert "1 change(s) received could not be applied here" in (
        window.statusBar().currentMessage())
    ((label, notes, offered, left),) = seen
    assert label == "No case here · victim (not applied here)"
    assert offered == (True, False) and left == 0
    assert len(notes) == 1 and "tried again at each sync" in notes[0]
    window.close()
