"""The lead inspector imports a case list, draws the sample and shares out the cases."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from app.core.sampling import sample_size
from app.ui.dialogs.export_dialog import ExportOptionsDialog
from app.ui.dialogs.import_dialog import ImportDialog
from app.ui.dialogs.sample_dialog import SampleDialog
from tests.integration.case_list_builders import simple_xlsx
from tests.integration.helpers import make_inspection

ROWS = [[f"X{i:03d}", "F" if i % 7 == 0 else "M", "31/01/1990", ("L", "M", "H")[i % 3], ""]
        for i in range(40)]


def test_import_with_errors_then_fixed(qtbot, open_window, tmp_path, monkeypatch):
    window = open_window()
    inspection = make_inspection(window._services)
    window.cases_page.reload(select=inspection.id)
    broken = [r[:] for r in ROWS]
    broken[3][1] = "Q"
    broken[8][2] = "1990/31/01"
    path = simple_xlsx(tmp_path / "caseload.xlsx", broken)
    seen = {}

    def read_dialog(record_as, press_import=False):
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ImportDialog):
            QTimer.singleShot(50, lambda: read_dialog(record_as, press_import))
            return
        table = dialog.problems
        seen[record_as] = {
            "problems": [[table.item(r, c).text() for c in range(4)]
                         for r in range(table.rowCount())] if table.isVisibleTo(dialog) else [],
            "import_enabled": dialog.import_button.isEnabled(),
            "copied": dialog.problems_text(),
        }
        dialog.copy_problems()
        if press_import:
            dialog.import_button.click()
        else:
            dialog.reject()

    monkeypatch.setattr("app.ui.main_window.choose_case_list", lambda _parent: path)
    QTimer.singleShot(0, lambda: read_dialog("broken"))
    window.import_action.trigger()
    qtbot.waitUntil(lambda: "broken" in seen, timeout=10000)
    assert seen["broken"]["problems"] == [
        ["5", "Sex", "Q", seen["broken"]["problems"][0][3]],
        ["10", "DOB", "1990/31/01", seen["broken"]["problems"][1][3]]]
    assert not seen["broken"]["import_enabled"]
    assert QApplication.clipboard().text().startswith("Row\tColumn\tValue\tExpected\n5\tSex\tQ")
    assert window._services.cases.list(inspection.id) == []

    simple_xlsx(path, ROWS)  # the inspector corrects the file and imports again
    QTimer.singleShot(0, lambda: read_dialog("fixed", press_import=True))
    window.import_action.trigger()
    qtbot.waitUntil(lambda: len(window._services.cases.list(inspection.id)) == 40,
                    timeout=10000)
    assert seen["fixed"]["problems"] == [] and seen["fixed"]["import_enabled"]
    qtbot.waitUntil(lambda: window.cases_page._cases.rowCount() == 40)


def test_draw_the_sample_assign_and_withdraw(qtbot, open_window, tmp_path, monkeypatch):
    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    services.imports.import_file(inspection_id=inspection.id,
                                 path=simple_xlsx(tmp_path / "c.xlsx", ROWS))
    services.inspections.add_member(inspection_id=inspection.id, person="A. Khan",
                                    role="inspector")
    dialog = SampleDialog(services.samples, inspection.id, window)
    qtbot.addWidget(dialog)
    default, wider = sample_size(40, 0.80, 0.05), sample_size(40, 0.80, 0.10)
    assert "Caseload 40 cases" in dialog.plan_label.text()
    assert f"is {default} cases" in dialog.plan_label.text()
    dialog.margin.setValue(10)  # the size follows the settings before anything is drawn
    assert f"is {wider} cases" in dialog.plan_label.text()
    dialog.seed.setText("99")
    dialog.draw()
    assert dialog.summary is not None and dialog.summary.seed == 99
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "Allocation", "Caseload and sample", "Cases and reserve", "History"]
    window.cases_page.reload(select=inspection.id)
    page = window.cases_page
    assert page.sample_filter.currentData() == "in_sample"
    assert page._case_filter.rowCount() == wider

    flags = QItemSelectionModel.SelectionFlag
    for row, flag in ((0, flags.ClearAndSelect), (1, flags.Select)):
        page.case_table.selectionModel().select(page._case_filter.index(row, 0),
                                                flag | flags.Rows)
    chosen = {c.reference for c in page.selected_cases()}
    assert len(chosen) == 2
    [khan] = [a for a in page.assign_menu.actions() if a.text() == "A. Khan"]
    khan.trigger()
    assert {c.reference for c in services.cases.list(inspection.id, assignee="A. Khan")} == chosen
    page.inspector_filter.setCurrentIndex(page.inspector_filter.findData("A. Khan"))
    assert page._case_filter.rowCount() == 2

    page.inspector_filter.setCurrentIndex(0)
    page.case_table.selectRow(0)
    target = page.current_case()
    monkeypatch.setattr(QInputDialog, "getText",
                        lambda *a, **k: ("Transferred to another area", True))
    page.withdraw_button.click()
    statuses = {c.reference: c.sample_status for c in services.cases.list(inspection.id)}
    assert statuses[target.reference] == "withdrawn"
    assert "withdrawn" in window.statusBar().currentMessage()
    assert sum(1 for v in statuses.values() if v == "in_sample") in (wider - 1, wider)
    assert page.sample_filter.currentData() == "in_sample"
    assert target.reference not in {page._case_filter.index(r, 0).data(Qt.ItemDataRole.DisplayRole)
                                    for r in range(page._case_filter.rowCount())}


def test_export_runs_with_progress_and_can_be_cancelled(qtbot, open_window, tmp_path,
                                                         monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QProgressDialog, QPushButton
    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    services.imports.import_file(inspection_id=inspection.id,
                                 path=simple_xlsx(tmp_path / "c.xlsx", ROWS))
    window.cases_page.reload(select=inspection.id)
    target = tmp_path / "analysis.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(ExportOptionsDialog, "exec", lambda dialog: 1)  # not pseudonymised
    window.export_action.trigger()
    qtbot.waitUntil(lambda: target.exists() and "Exported 40 cases"
                    in window.statusBar().currentMessage(), timeout=10000)

    target.unlink()
    gate = __import__("threading").Event()

    def slow_export(**kwargs):  # the real export, held until the inspector has pressed Cancel
        gate.wait(5)
        return services.exports.__class__.export(services.exports, **kwargs)

    monkeypatch.setattr(services.exports, "export", slow_export)
    window.export_action.trigger()
    qtbot.waitUntil(lambda: any(isinstance(w, QProgressDialog) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=5000)
    [dialog] = [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QProgressDialog) and w.isVisible()]
    [cancel] = [b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel"]
    cancel.click()  # what the inspector presses
    gate.set()
    # the export, cancelled too late to stop, ends (and reports) in its own time: once it
    # has, nothing of it is left, neither the workbook nor a partial one
    qtbot.waitUntil(lambda: not window.tasks.busy(), timeout=10000)
    assert not target.exists() and not list(tmp_path.glob(".~*"))
