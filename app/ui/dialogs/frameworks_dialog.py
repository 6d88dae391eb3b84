"""Tools → Question frameworks: the frameworks on offer, a framework workbook checked and
installed (its problems in a table, by sheet, row and column), a version written as a
workbook or the empty template saved, and a framework tried out as a blank case form."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.core.dto import FrameworkInfo, WorkbookImport
from app.core.frameworks import Framework
from app.core.profile import PROFILE_FIELDS, PROGRAMMES, CaseProfile, Programme
from app.ui.errors import operation, show_error
from app.ui.modal import run_modal
from app.ui.screens import fitted
from app.ui.tasks import Lane
from app.ui.widgets.fields import CodeCombo

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.frameworks import FrameworkCatalog
    from app.ui.tasks import TaskManager

#: where each framework came from, as the list says it
WHERE = {"file": "Shipped with the app", "installed": "Imported on this laptop",
         "stored": "Brought by an inspection"}
_WORKBOOK = "Excel workbook (*.xlsx)"


class FrameworksDialog(QDialog):
    def __init__(self, frameworks: FrameworkCatalog, user: str, tasks: TaskManager,
                 parent=None):
        super().__init__(parent)
        self._frameworks, self._user, self._tasks = frameworks, user, tasks
        self.setWindowTitle(self.tr("Question frameworks"))
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr(
            "The question frameworks inspections can use. A framework is authored in a "
            "workbook: save the template, or a version to start the next one from, fill it "
            "in, then import it. A version already here never changes."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = _table([self.tr("Framework"), self.tr("Version"), self.tr("Title"),
                             self.tr("Programme"), self.tr("Questions"), self.tr("Where from")],
                            self.tr("Question frameworks"))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemActivated.connect(lambda _item: self.preview())
        #: while the frameworks are being read, off the window's thread
        self.listing_label = QLabel(self.tr("Reading the question frameworks…"))
        self.listing_label.hide()
        layout.addWidget(self.listing_label)
        layout.addWidget(self.table, 2)
        buttons = QHBoxLayout()
        self.import_button = self._button(self.tr("&Import workbook…"), self.import_workbook,
                                          buttons)
        self.check_button = self._button(self.tr("&Check workbook…"),
                                         lambda: self.import_workbook(dry_run=True), buttons)
        self.export_button = self._button(self.tr("&Save as workbook…"), self.export_workbook,
                                          buttons)
        self.template_button = self._button(self.tr("Save &template…"), self.save_template,
                                            buttons)
        self.preview_button = self._button(self.tr("&Preview…"), self.preview, buttons)
        #: a workbook is being read off the window's thread (the buttons wait for it)
        self.working = False
        self._workbook_buttons = (self.import_button, self.check_button, self.export_button,
                                  self.template_button, self.preview_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        self.problems = _table([self.tr("Sheet"), self.tr("Row"), self.tr("Column"),
                                self.tr("Value"), self.tr("Problem")],
                               self.tr("Problems in the workbook"))
        self.problems.hide()
        layout.addWidget(self.problems, 3)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.reload()
        self.resize(fitted(self, 900, 560))

    def _button(self, text: str, slot, row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    def reload(self) -> None:
        """List the frameworks again, read off the window's thread (the shipped ones are
        workbooks, read in a moment the first time): the list says so meanwhile."""
        self.infos: list[FrameworkInfo] = []
        self.listing = True
        self.table.setRowCount(0)
        self.listing_label.show()
        self._selection_changed()

        def failed(exc: BaseException) -> None:
            self.listing = False
            self.listing_label.hide()
            show_error(self, exc, self.tr("Question frameworks"))

        self._tasks.run(self._frameworks.available, self._listed, lane=Lane.IO, owner=self,
                        title=self.tr("Question frameworks"), on_error=failed)

    def _listed(self, infos: list[FrameworkInfo]) -> None:
        self.listing = False
        self.listing_label.hide()
        self.infos = infos
        self.table.setRowCount(len(self.infos))
        for row, info in enumerate(self.infos):
            for column, text in enumerate((info.key, info.version, info.title,
                                           PROGRAMMES.label(info.programme),
                                           str(info.question_count),
                                           WHERE.get(info.source, info.source))):
                self.table.setItem(row, column, QTableWidgetItem(text))
        if self.infos:
            self.table.selectRow(0)
        self._selection_changed()

    def chosen(self) -> FrameworkInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.infos[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        for button in (self.export_button, self.preview_button):
            button.setEnabled(self.chosen() is not None)

    # -- workbooks ---------------------------------------------------------------------
    def import_workbook(self, *, dry_run: bool = False, path: Path | None = None) -> None:
        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self, self.tr("Check a framework workbook") if dry_run else
                self.tr("Import a framework workbook"), str(Path.home()), self.tr(_WORKBOOK))
            if not name:
                return
            path = Path(name)
        self.working = True
        for button in self._workbook_buttons:
            button.setEnabled(False)
        self.problems.hide()
        self.result.setText(self.tr("Checking {name}…").format(name=path.name))

        def failed(exc: BaseException) -> None:
            self._done_working()
            self.result.setText(self.tr("{name}: nothing was installed.").format(
                name=path.name))
            show_error(self, exc, self.tr("Import a framework workbook"))

        self._tasks.run(lambda: self._frameworks.import_workbook(path, dry_run=dry_run),
                        self._imported, lane=Lane.IO, owner=self,
                        title=self.tr("Import a framework workbook"), on_error=failed)

    def _imported(self, found: WorkbookImport) -> None:
        self._done_working()
        self.show_import(found)
        if found.installed:
            self.reload()

    def _done_working(self) -> None:
        self.working = False
        for button in self._workbook_buttons:
            button.setEnabled(True)
        self._selection_changed()

    def show_import(self, found: WorkbookImport) -> None:
        """Say what an import found: its problems in the table, or what was installed."""
        if not found.ok:
            count = len(found.problems)
            problems = self.tr("1 problem") if count == 1 else self.tr(
                "{count} problems").format(count=count)
            self.result.setText(self.tr(
                "{name} has {problems}; nothing was installed. Correct each in the workbook "
                "(sheet, row and column are named) and import it again.").format(
                name=found.file_name, problems=problems))
            self.problems.setRowCount(count)
            for row, problem in enumerate(found.problems):
                cells = (problem.sheet, str(problem.row or ""),
                         f"{problem.letter} ({problem.column})" if problem.letter else
                         problem.column, problem.value, problem.message)
                for column, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setToolTip(text)
                    self.problems.setItem(row, column, item)
            self.problems.resizeRowsToContents()
            self.problems.show()
            self.problems.selectRow(0)
            self.problems.setFocus()
            return
        self.problems.hide()
        info = found.framework
        what = self.tr("'{key}' version {version}: {title}, {count} questions").format(
            key=info.key, version=info.version, title=info.title, count=info.question_count)
        if found.already_here:
            self.result.setText(self.tr("{what} is already here, exactly as in {name}; "
                                        "nothing changed.").format(what=what,
                                                                   name=found.file_name))
        elif found.dry_run:
            self.result.setText(self.tr("{name} has no problems: {what}. Nothing was "
                                        "installed.").format(name=found.file_name, what=what))
        else:
            self.result.setText(self.tr("Installed {what}. New inspections can use it "
                                        "now.").format(what=what))

    def export_workbook(self) -> None:
        info = self.chosen()
        if info is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the framework as a workbook"),
            str(Path.home() / f"{info.key}-{info.version}.xlsx"), self.tr(_WORKBOOK))
        if not name:
            return
        with operation(self, self.tr("Save the framework as a workbook")) as done:
            written = self._frameworks.export_workbook(info.key, info.version, Path(name))
        if not done.failed:
            self.result.setText(self.tr("Saved {path}.").format(path=written))

    def save_template(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the framework template"),
            str(Path.home() / "question-framework.xlsx"), self.tr(_WORKBOOK))
        if not name:
            return
        with operation(self, self.tr("Save the framework template")) as done:
            written = self._frameworks.write_template(Path(name))
        if not done.failed:
            self.result.setText(self.tr("Saved {path}. Its guidance sheet says what each "
                                        "column holds.").format(path=written))

    # -- preview -----------------------------------------------------------------------
    def preview(self) -> None:
        info = self.chosen()
        if info is None:
            return
        framework: Framework | None = None
        with operation(self, self.tr("Preview")):
            framework = self._frameworks.framework(info.key, info.version)
        if framework is not None:
            run_modal(FormPreviewDialog(framework, self._user, self._tasks, self))


class FormPreviewDialog(QDialog):
    """A blank case form of a framework, for a case profile chosen above it (the profile
    fields its rules read); answered as any form, nothing kept."""

    def __init__(self, framework: Framework, user: str, tasks: TaskManager, parent=None):
        from app.services.framework_preview import FormPreview
        from app.ui.views.case_form_page import CaseFormPage

        super().__init__(parent)
        self.setWindowTitle(self.tr("Preview: {label}").format(label=framework.label))
        self.form_preview = FormPreview(framework, CaseProfile(), user)
        layout = QVBoxLayout(self)
        read = {name for q in framework.questions() if q.applies_if is not None
                for name in q.applies_if.references("profile")}
        self.fields: dict[str, CodeCombo] = {}
        profile = QFormLayout()
        group = "youth" if framework.programme == Programme.YOUTH_OFFENDING else "adult"
        for field in PROFILE_FIELDS:
            if field.name not in read or field.vocabulary is None:
                continue
            combo = CodeCombo(field.vocabulary,
                              group_filter=group if field.name == "sentence_type" else None)
            combo.setAccessibleName(field.label)
            combo.currentIndexChanged.connect(self._profile_changed)
            profile.addRow(field.label, combo)
            self.fields[field.name] = combo
        said = QLabel(self.tr("The case this preview is for (the questions that depend on "
                              "it apply or not as you choose):") if self.fields else
                      self.tr("No question of this framework depends on the case profile."))
        said.setWordWrap(True)
        layout.addWidget(said)
        layout.addLayout(profile)
        self.page = CaseFormPage(self.form_preview, self.form_preview, None, user, tasks,
                                 preview=True)
        self.page.back_requested.connect(self.accept)
        layout.addWidget(self.page, 1)
        self.page.load(self.form_preview.case_id)
        self.resize(fitted(self, 1100, 760))

    def _profile_changed(self) -> None:
        values = {name: combo.code() for name, combo in self.fields.items()}
        self.form_preview.profile = dataclasses.replace(CaseProfile(), **values)
        self.page.reload()


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(True)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(headers) - 1 if len(headers) == 5 else 2,
                                QHeaderView.ResizeMode.Stretch)
    return table
