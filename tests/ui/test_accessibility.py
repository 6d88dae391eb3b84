"""Every control a keyboard can reach has an accessible name, on every page of both
shipped frameworks and in the dialogs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from app.config import frameworks_dir
from app.ui.dialogs.case_dialog import CaseDialog
from app.ui.dialogs.inspection_dialog import InspectionDetailsDialog, InspectionDialog
from app.ui.dialogs.practice_dialog import PracticeExamplesDialog
from tests.integration.helpers import make_case, make_inspection

INPUTS = (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, QAbstractItemView)


def accessible_name(widget: QWidget) -> str:
    """The name assistive technology reads out: Qt's own accessibility interface, which
    uses the accessible name, a button's text or the label the field is the buddy of."""
    interface = QAccessible.queryAccessibleInterface(widget)
    return (interface.text(QAccessible.Text.Name) if interface else "").strip()


def unnamed_inputs(root: QWidget) -> list[str]:
    """Inputs a keyboard user can reach that a screen reader could not name."""
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INPUTS) or not widget.isVisibleTo(root):
            continue
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if isinstance(widget.parentWidget(), QComboBox):
            continue  # the drop-down's own list
        if isinstance(widget, QLineEdit) and isinstance(widget.parentWidget(),
                                                        QComboBox | QAbstractSpinBox):
            continue  # the editor inside a named combo or spin box
        if not accessible_name(widget):
            missing.append(f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}")
    return missing


@pytest.mark.parametrize(("framework", "programme"), [("adult-probation", "adult_probation"),
                                                      ("youth-offending", "youth_offending")])
def test_every_section_of_the_case_form(qtbot, open_window, framework, programme):
    window = open_window(frameworks_dir())
    inspection = make_inspection(window._services, framework, programme)
    case = make_case(window._services, inspection=inspection, phase="custody")
    window.cases_page.reload()
    window.open_case(case.id)
    page = window.form_page
    for item in page._nav_items():
        page.nav.setCurrentItem(item)
        assert unnamed_inputs(page.stack.currentWidget()) == [], item.text(0)
    assert unnamed_inputs(page) == []
    assert len(page._widgets) == len(page.form.framework.question_keys())


def test_dialogs(qtbot, open_window):
    window = open_window()
    case = make_case(window._services)
    inspection = window._services.inspections.list()[0]
    services = window._services
    for dialog in (InspectionDialog(services.inspections, services.frameworks, window),
                   InspectionDetailsDialog(services.inspections, inspection, window),
                   CaseDialog(window._services.cases, inspection_id=inspection.id,
                              programme=inspection.programme, parent=window),
                   PracticeExamplesDialog(window._services.practice,
                                          window._services.forms.open(case.id), window)):
        qtbot.addWidget(dialog)
        dialog.show()
        assert unnamed_inputs(dialog) == [], type(dialog).__name__
        dialog.reject()


def test_sample_import_and_team_dialogs(qtbot, open_window, tmp_path):
    from app.ui.dialogs.import_dialog import ImportDialog
    from app.ui.dialogs.sample_dialog import SampleDialog
    from app.ui.dialogs.team_dialog import TeamDialog
    from tests.integration.case_list_builders import simple_xlsx

    window = open_window()
    services = window._services
    inspection = make_inspection(services)
    bad = simple_xlsx(tmp_path / "c.xlsx", [["X1", "Q", "31/01/1990", "H", ""],
                                            ["X2", "M", "31/01/1990", "L", ""]])
    preview = services.imports.check(inspection_id=inspection.id, path=bad)
    services.imports.commit(services.imports.check(
        inspection_id=inspection.id, path=simple_xlsx(tmp_path / "d.xlsx")))
    services.samples.draw(inspection_id=inspection.id, seed=1)
    for dialog in (ImportDialog(services.imports, preview, window),
                   SampleDialog(services.samples, inspection.id, window),
                   TeamDialog(services.inspections, inspection.id, window)):
        qtbot.addWidget(dialog)
        dialog.show()
        assert unnamed_inputs(dialog) == [], type(dialog).__name__
        dialog.reject()


def test_main_window_lists(qtbot, open_window):
    window = open_window()
    make_case(window._services)
    window.cases_page.reload()
    assert unnamed_inputs(window.cases_page) == []
