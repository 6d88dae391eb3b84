"""Exports from the window: the choice to pseudonymise, and the message that the file is now
outside the encrypted store; each export recorded once in the export log."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox

from app.ui.dialogs.export_dialog import ExportOptionsDialog
from tests.integration.helpers import make_case, make_inspection

OUTSIDE = "outside ASPIRE Casework's encrypted store"


def choose(monkeypatch, target, *, pseudonymise: bool, provisional: bool = False) -> None:
    """The inspector ticks (or not) Pseudonymise (and, for a workbook, Provisional ratings),
    continues, and picks ``target``."""
    def exec_(dialog) -> int:
        dialog.pseudonymise.setChecked(pseudonymise)
        if provisional:
            dialog.provisional.click()
        return 1

    monkeypatch.setattr(ExportOptionsDialog, "exec", exec_)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))


def workbook_exported(qtbot, window, monkeypatch, reference: str, target, **choices):
    """An inspection of one case ``reference`` exported from the window as a workbook to
    ``target``, with the ``choices`` of ``choose``; (window, target), the notice shown."""
    services = window._services
    inspection = make_inspection(services)
    make_case(services, reference, inspection=inspection)
    window.cases_page.reload(select=inspection.id)
    choose(monkeypatch, target, **choices)
    window.export_action.trigger()
    qtbot.waitUntil(lambda: notice(window) is not None, timeout=10000)
    return window, target


def notice(window) -> QMessageBox | None:
    return next((box for box in window.findChildren(QMessageBox) if box.isVisible()), None)


def test_a_pseudonymised_workbook_from_the_window(qtbot, open_window, tmp_path, monkeypatch):
    window, target = workbook_exported(qtbot, open_window(), monkeypatch, "CRN-QZ1",
                                       tmp_path / "shared.xlsx", pseudonymise=True)
    services = window._services
    box = notice(window)
    assert "pseudonymised" in box.text() and OUTSIDE in box.informativeText()
    assert "Exported 1 cases" in window.statusBar().currentMessage()
    [entry] = services.exports.log()
    assert (entry.kind, entry.file_name, entry.pseudonymised) == ("workbook", "shared.xlsx",
                                                                  True)
    assert b"CRN-QZ1" not in target.read_bytes()
    box.close()


def test_a_case_form_pdf_from_the_window(qtbot, open_window, tmp_path, monkeypatch):
    window = open_window()
    services = window._services
    case = make_case(services, "X1")
    window.cases_page.reload()
    window.open_case(case.id)
    target = tmp_path / "X1.pdf"
    choose(monkeypatch, target, pseudonymise=False)
    window.form_page.pdf_action.trigger()  # written off the window's thread
    qtbot.waitUntil(lambda: notice(window) is not None, timeout=10000)
    box = notice(window)
    assert box is not None and "Saved the case form" in box.text()
    assert OUTSIDE in box.informativeText()
    [entry] = services.exports.log()
    assert (entry.kind, entry.case_ids, entry.pseudonymised) == ("pdf", (case.id,), False)
    box.close()


def test_cancelling_the_choice_exports_nothing(qtbot, open_window, tmp_path, monkeypatch):
    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    window.cases_page.reload(select=inspection.id)
    monkeypatch.setattr(ExportOptionsDialog, "exec", lambda dialog: 0)
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(1))
    window.export_action.trigger()
    assert asked == [] and services.exports.log() == []


def test_the_choice_says_the_file_leaves_the_store(qtbot):
    dialog = ExportOptionsDialog("Export workbook for analysts")
    qtbot.addWidget(dialog)
    about, what = dialog.findChildren(QLabel)
    assert OUTSIDE in about.text()
    assert "export log" in about.text()
    assert "pseudonym" in what.text() and "age band" in what.text()
    assert not dialog.pseudonymised
    dialog.pseudonymise.click()
    assert dialog.pseudonymised


def test_a_workbook_with_provisional_ratings_says_so(qtbot, open_window, tmp_path,
                                                     monkeypatch):
    from openpyxl import load_workbook

    window, target = workbook_exported(qtbot, open_window(), monkeypatch, "CRN-QZ2",
                                       tmp_path / "provisional.xlsx", pseudonymise=False,
                                       provisional=True)
    notice(window).close()
    about = {r[0]: r[1] for r in load_workbook(target)["About"].iter_rows(values_only=True)}
    assert about["Reading the Ratings sheet"].startswith("Provisional")


def test_tables_for_r_from_the_window_in_a_folder_of_their_own(qtbot, open_window, tmp_path,
                                                                monkeypatch):
    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    make_case(services, "CRN-T1", inspection=inspection)
    window.cases_page.reload(select=inspection.id)

    def exec_(dialog) -> int:
        dialog.file_format.setCurrentIndex(dialog.file_format.findData("csv"))
        dialog.pseudonymise.setChecked(True)
        return 1

    monkeypatch.setattr(ExportOptionsDialog, "exec", exec_)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    window.export_tables_action.trigger()
    qtbot.waitUntil(lambda: notice(window) is not None, timeout=10000)
    box = notice(window)
    assert "6 tables" in box.text() and OUTSIDE in box.informativeText()
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir() and "tables" in p.name]
    assert folder.name == "Northshire tables (pseudonymised)"
    assert sorted(p.suffix for p in folder.iterdir()) == [".csv"] * 6
    assert "CRN-T1" not in (folder / "cases.csv").read_text(encoding="utf-8")
    assert {e.kind for e in services.exports.log()} == {"table"}
    box.close()
