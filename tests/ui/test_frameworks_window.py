"""Tools → Question frameworks, as an author uses it: the frameworks listed, a workbook with
mistakes checked (its problems in a table, nothing installed), corrected and installed, and a
framework tried out as a blank case form for a case profile, with nothing kept."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from app.config import frameworks_dir
from app.ui.dialogs.frameworks_dialog import FormPreviewDialog, FrameworksDialog
from tests.conftest import raw_connection


def frameworks_dialog(qtbot, window) -> FrameworksDialog:
    """Tools → Question frameworks, shown without its own event loop (the dialog tour opens
    it from the menu and closes it as a person does)."""
    services = window._services
    dialog = FrameworksDialog(services.frameworks, services.user, window.tasks, window)
    qtbot.addWidget(dialog)
    dialog.show()
    # the window never waits for the workbooks: the dialog is up while they are read
    assert dialog.listing and dialog.listing_label.isVisibleTo(dialog)
    assert dialog.table.rowCount() == 0 and not dialog.preview_button.isEnabled()
    listed(qtbot, dialog)
    return dialog


def listed(qtbot, dialog) -> None:
    """Wait for the list, read off the window's thread."""
    qtbot.waitUntil(lambda: not dialog.listing, timeout=10000)
    assert dialog.listing_label.isHidden()


def imported(qtbot, dialog, path: Path, *, dry_run: bool = False) -> None:
    """Import (or check) a workbook from the dialog and wait for it, read off the window's
    thread, with the buttons held meanwhile."""
    dialog.import_workbook(path=path, dry_run=dry_run)
    assert dialog.working and not dialog.import_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.working, timeout=10000)
    assert dialog.import_button.isEnabled()
    listed(qtbot, dialog)  # the list again, if a version was installed


def edit(path: Path, key: str, column: str, value: object) -> None:
    workbook = load_workbook(path)
    sheet = workbook["questions"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == key:
            row[headers.index(column)].value = value
    workbook["settings"]["B3"].value = "2.0"  # the version row
    workbook.save(path)


def test_an_author_checks_corrects_and_installs_a_workbook(qtbot, open_window, tmp_path,
                                                           db_path):
    window = open_window(frameworks_dir())
    dialog = frameworks_dialog(qtbot, window)
    try:
        shown = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
        assert shown == ["adult-case-supervision", "adult-probation", "approved-premises",
                         "court-work", "public-protection", "rar", "through-the-gate",
                         "unpaid-work", "women", "youth-court-disposals", "youth-offending",
                         "youth-out-of-court-disposals"]
        assert {dialog.table.item(r, 5).text() for r in range(len(shown))} == {
            "Shipped with the app"}
        workbook = tmp_path / "adult-2.xlsx"
        window._services.frameworks.export_workbook("adult-probation", None, workbook)
        assert load_workbook(workbook)["settings"]["A3"].value == "version"
        edit(workbook, "victim_planning", "applies_if", "${victim_identifed} = yes")

        imported(qtbot, dialog, workbook)
        assert dialog.problems.isVisible() and dialog.problems.rowCount() == 1
        row = [dialog.problems.item(0, c).text() for c in range(5)]
        assert row[0] == "questions" and row[2] == "Q (applies_if)"
        assert row[3] == "${victim_identifed} = yes"
        assert "'victim_identifed' is not an earlier question" in row[4]
        assert "nothing was installed" in dialog.result.text()
        assert dialog.table.rowCount() == len(shown)

        edit(workbook, "victim_planning", "applies_if", "${victim_identified} = yes")
        imported(qtbot, dialog, workbook, dry_run=True)
        assert not dialog.problems.isVisible()
        assert "has no problems" in dialog.result.text() and dialog.table.rowCount() == len(shown)
        imported(qtbot, dialog, workbook)
        assert dialog.result.text().startswith("Installed 'adult-probation' version 2.0")
        listed = {(dialog.table.item(r, 1).text(), dialog.table.item(r, 5).text())
                  for r in range(dialog.table.rowCount())}
        assert ("2.0", "Imported on this laptop") in listed
    finally:
        dialog.reject()
    # the new inspection dialog offers it
    offered = [f.version for f in window._services.frameworks.available()
               if f.key == "adult-probation"]
    assert offered == ["1.0", "2.0"]


def test_a_preview_answers_as_a_case_form_for_the_chosen_case_and_keeps_nothing(
        qtbot, open_window, db_path):
    window = open_window(frameworks_dir())
    framework = window._services.frameworks.framework("adult-probation")
    preview = FormPreviewDialog(framework, "inspector.one", window.tasks, window)
    qtbot.addWidget(preview)
    preview.show()
    page = preview.page
    assert set(preview.fields) == {"phase", "gender"}  # what its rules read of a case
    assert "nothing is kept" in page.locked_banner.text()
    for action in (page.pdf_action, page.examples_action, page.profile_action):
        assert not action.isEnabled()
    release = page.question_widget("release_rosh_planning")
    assert not release.isEnabled()  # community, until the case is said to be in custody
    preview.fields["phase"].set_code("custody")
    release = page.question_widget("release_rosh_planning")
    assert release.isEnabled()

    victim = page.question_widget("victim_identified")
    victim.control._buttons["yes"].click()
    assert preview.form_preview.open(preview.form_preview.case_id).answers[
        "victim_identified"].value == "yes"
    assert page.question_widget("victim_assessment").isEnabled()
    # answers stay with the preview when the case changes, and nothing reached the store
    preview.fields["gender"].set_code("female")
    assert page.form.answers["victim_identified"].value == "yes"
    page.back_action.trigger()
    assert not preview.isVisible()
    with raw_connection(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM answers").fetchone()[0] == 0
        assert connection.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
        assert connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_a_refused_import_says_why_and_leaves_the_dialog_ready(qtbot, open_window, tmp_path,
                                                               monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window = open_window(frameworks_dir())
    dialog = frameworks_dialog(qtbot, window)
    try:
        workbook = tmp_path / "ttg.xlsx"
        window._services.frameworks.export_workbook("through-the-gate", None, workbook)
        edit(workbook, "pp_identified", "text", "Reworded under the same version?")
        book = load_workbook(workbook)
        book["settings"]["B3"].value = "2017.1"  # the version shipped: it cannot change
        book.save(workbook)
        said: list[str] = []
        monkeypatch.setattr(QMessageBox, "exec", lambda box: said.append(box.text()) or 0)
        imported(qtbot, dialog, workbook)
        assert said and "already here, with different content" in said[0]
        assert dialog.result.text() == "ttg.xlsx: nothing was installed."
        assert dialog.check_button.isEnabled() and dialog.table.rowCount() == 12
    finally:
        dialog.reject()
