"""Syncing from the window: quiet when offline, conflicts shown and resolved."""

from __future__ import annotations

import socket

from PySide6.QtWidgets import QApplication, QInputDialog

from app.ui.dialogs.conflicts_dialog import ConflictsDialog
from app.ui.main_window import MainWindow
from tests.integration.helpers import make_case
from tests.integration.sync_fixtures import PASSWORD, forge, two_laptops_on_one_case


def answers_from(monkeypatch, *replies):
    queue = list(replies)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (queue.pop(0), True))


def test_offline_is_said_quietly_and_work_goes_on(qtbot, open_window, monkeypatch):
    import app.sync.client

    monkeypatch.setattr(app.sync.client, "FIRST_PAUSE_S", 0.01)  # its retries, quickly
    window = open_window()
    make_case(window._services)
    window.cases_page.reload()
    with socket.socket() as held:  # a port held, not listened on: nothing answers there
        held.bind(("127.0.0.1", 0))
        answers_from(monkeypatch, f"http://127.0.0.1:{held.getsockname()[1]}", "a password")
        window.store.sync_now()
        qtbot.waitUntil(lambda: "cannot be reached just now" in
                        window.statusBar().currentMessage(), timeout=15000)
    assert QApplication.activeModalWidget() is None  # no alarm: a message in the status bar
    assert "change(s) waiting" in window.store.status_label.text()
    assert "never" in window.store.status_label.text()


def test_the_central_database_address_is_refused_before_any_password_is_asked(
        qtbot, open_window, monkeypatch):
    from PySide6.QtCore import QSettings

    from app.ui import store_actions

    window = open_window()
    make_case(window._services)
    kept = QSettings().value("central/url", "")
    asked, shown = [], []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: asked.append(a) or (
        "postgresql://someone@127.0.0.1:9/central", True))
    monkeypatch.setattr(store_actions, "show_error", lambda _parent, exc, *a: shown.append(exc))
    window.store.sync_now()
    assert len(asked) == 1  # the address only: no password is asked for
    [refused] = shown
    assert refused.problem == "Laptops sync with the central service, not with its database."
    assert "https://" in refused.advice
    assert QSettings().value("central/url", "") == kept  # not kept as the address to offer
    window.store.show_sync_status()
    assert "change(s) waiting" in window.store.status_label.text()
    assert "never" in window.store.status_label.text()


def test_sync_then_resolve_a_conflict_in_the_window(qtbot, central, tmp_path,
                                                    monkeypatch):
    one, two, case = two_laptops_on_one_case(tmp_path, central, ("victim", "yes"))
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
    answers_from(monkeypatch, two.url, PASSWORD)
    window.store.sync_now()
    qtbot.waitUntil(lambda: bool(seen), timeout=15000)
    assert "Synced" in window.statusBar().currentMessage()
    assert seen == [(1, True, 0)]
    assert two.services.forms.open(case.id).answers["victim"].value == "yes"
    window.store.show_sync_status()
    assert "1 change(s) waiting" in window.store.status_label.text()
    assert "conflict" not in window.store.status_label.text()
    window.close()


def test_export_a_transfer_file_from_the_window(qtbot, open_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from app.sync.package import content_changes, open_package
    window = open_window()
    make_case(window._services)
    target = tmp_path / "usb.aspire"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    shown = []
    monkeypatch.setattr("app.ui.store_actions.show_error",
                        lambda _parent, exc, *_a: shown.append(exc.problem))
    answers_from(monkeypatch, "password1234")  # too easy to guess: said before anything else
    window.store.export_package()
    assert shown and "too easy to guess" in shown[0] and not target.exists()
    # a laptop that never synced is asked for an enrolment code, which may be left out
    answers_from(monkeypatch, "orange kettle river", "orange kettle river", "")
    window.store.export_package()  # sealed off the window's thread
    qtbot.waitUntil(lambda: "Sealed" in window.statusBar().currentMessage(), timeout=10000)
    package = open_package(target, "orange kettle river")
    assert package.head.person == "inspector.one"
    assert package.head.changes == len(list(content_changes(package.content,
                                                            package.head))) > 0
    answers_from(monkeypatch, "orange kettle river", "something else")
    window.store.export_package()
    assert "differ" in window.statusBar().currentMessage()


def test_an_administrator_applies_a_colleagues_transfer_file_from_the_window(
        qtbot, central, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from tests.integration.sync_fixtures import laptop

    one, two, case = two_laptops_on_one_case(tmp_path, central, ("victim", "yes"))
    two.services.forms.record_answer(case_id=case.id, question_key="victim", value="no",
                                     evidence="Risk to the partner not assessed")
    usb = tmp_path / "two.aspire"
    two.services.sync.export_package(usb, "orange kettle river")
    admin = laptop(tmp_path, central, "central.admin", role="admin")
    window = MainWindow(admin.services)
    qtbot.addWidget(window)
    window.show()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(usb), ""))
    answers_from(monkeypatch, "orange kettle river", admin.url, PASSWORD)
    window.store.apply_package()  # applied off the window's thread
    qtbot.waitUntil(lambda: "Applied" in window.statusBar().currentMessage(), timeout=20000)
    assert "from inspector.two" in window.statusBar().currentMessage()
    assert "0 refused" in window.statusBar().currentMessage()
    one.sync()
    assert one.services.forms.open(case.id).answers["victim"].value == "no"
    window.close()


def test_a_change_that_cannot_be_applied_here_is_shown_and_can_be_acknowledged(
        qtbot, central, tmp_path, monkeypatch):
    import uuid

    from PySide6.QtWidgets import QLabel

    _one, two, case = two_laptops_on_one_case(tmp_path, central, ("victim", "yes"))
    forge(central, case.inspection_id, "answers", {
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
    answers_from(monkeypatch, two.url, PASSWORD)
    window.store.sync_now()
    qtbot.waitUntil(lambda: bool(seen), timeout=15000)
    assert "1 change(s) received could not be applied here" in (
        window.statusBar().currentMessage())
    ((label, notes, offered, left),) = seen
    assert label == "No case here · victim (not applied here)"
    assert offered == (True, False) and left == 0
    assert len(notes) == 1 and "tried again at each sync" in notes[0]
    window.close()


def test_after_a_reset_the_person_changes_their_password_from_the_window(
        qtbot, central, tmp_path, monkeypatch):
    from app.sync.central import reset_password
    from app.sync.client import ServiceLink
    from tests.integration.sync_fixtures import laptop

    one = laptop(tmp_path, central, "inspector.one")
    reset_password(central, login="inspector.one", password="given by the admin")
    import pytest

    from app.sync.central import CentralError

    with pytest.raises(CentralError, match="must be changed") as refused:
        one.services.sync.sync(one.url, "given by the admin")
    assert "Change central password" in refused.value.advice
    window = MainWindow(one.services)
    qtbot.addWidget(window)
    window.show()
    answers_from(monkeypatch, one.url, "given by the admin", "my own new password",
                 "my own new password")
    window.store.change_password()
    qtbot.waitUntil(lambda: "password is changed" in window.statusBar().currentMessage(),
                    timeout=15000)
    from app.db.device_key import device_key

    with ServiceLink(one.url, "inspector.one", "my own new password",
                     device_key(one.services._db).sign_in) as link:
        assert link.changes_after(0, 1) is not None
    assert one.services.sync.sync(one.url, "my own new password").refused == 0


def test_an_inspection_joined_shows_in_the_window_as_the_sync_brings_it(qtbot, central,
                                                                       tmp_path, monkeypatch):
    """Every screen showing what a sync changed shows it at once: the inspection list, its
    cases, and the dashboard."""
    from app.core.dto import NewInspection
    from app.sync.central import add_user

    one, two, _case = two_laptops_on_one_case(tmp_path, central)
    joined = one.services.inspections.create(NewInspection(
        name="Southshire", programme="adult_probation", organisation="Southshire CRC",
        framework_key="mini"))
    make_case(one.services, "S1", inspection=joined)
    one.sync()
    add_user(central, login="inspector.two", name="Inspector.Two", role="inspector",
             password=PASSWORD, inspections=[joined.id])
    window = MainWindow(two.services)
    qtbot.addWidget(window)
    window.show()
    window.open_dashboard()
    refreshed = []
    monkeypatch.setattr(window.dashboard, "refresh", lambda: refreshed.append(True))
    shown = [window.cases_page.current_inspection().name]
    answers_from(monkeypatch, two.url, PASSWORD)
    window.store.sync_now()
    qtbot.waitUntil(lambda: "Synced" in window.statusBar().currentMessage(), timeout=15000)
    names = sorted(i.name for i in window.cases_page._inspections.rows())
    assert names == ["Northshire", "Southshire"]
    assert window.cases_page.current_inspection().name == shown[0]  # the choice is kept
    assert refreshed  # the dashboard worked its figures out again
    assert "change(s) waiting" in window.store.status_label.text()
