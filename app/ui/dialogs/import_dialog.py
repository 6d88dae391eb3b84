"""Import a case list: read it off the GUI thread, show how it was understood and every
problem, and store it only when the whole file is right."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from app.core.dto import ImportPreview, ImportReport
from app.ui.errors import operation
from app.ui.screens import fitted
from app.ui.tasks import TaskManager
from app.ui.widgets.tables import read_only_table

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.case_import import CaseImportService

FILE_FILTER = "Case lists (*.xlsx *.xlsm *.csv);;All files (*)"


class ImportDialog(QDialog):
    """Shows a checked case list; ``report`` is set once the cases are stored."""

    def __init__(self, imports: CaseImportService, preview: ImportPreview, parent=None):
        super().__init__(parent)
        self._imports = imports
        self.preview = preview
        self.report: ImportReport | None = None
        self.setWindowTitle(self.tr("Import case list — {name}").format(
            name=Path(preview.file).name))
        layout = QVBoxLayout(self)
        where = f"sheet “{preview.sheet}”, " if preview.sheet else ""
        summary = QLabel(self.tr(
            "{where}headings in row {header}; {rows} rows read ({blank} blank, ignored). "
            "{new} new cases; {existing} already in the inspection (they are recognised by "
            "reference and left as they are).").format(
            where=where, header=preview.header_row, rows=preview.rows_read,
            blank=preview.blank_rows, new=len(preview.new_cases),
            existing=len(preview.existing_references)))
        summary.setWordWrap(True)
        layout.addWidget(summary)
        layout.addWidget(QLabel(self.tr("<b>How each column was understood</b>")))
        self.columns = read_only_table(
            [self.tr("Column in the file"), self.tr("Understood as"), self.tr("Examples")],
            [[c.header, c.label if c.field else self.tr("(ignored)"), ", ".join(c.examples)]
             for c in preview.columns], self.tr("Columns understood"))
        layout.addWidget(self.columns, 1)
        self.problems = read_only_table(
            [self.tr("Row"), self.tr("Column"), self.tr("Value"), self.tr("Expected")],
            [[str(p.row), p.column, p.value, p.expected] for p in preview.problems],
            self.tr("Problems in the file"))
        if preview.problems:
            count = len(preview.problems)
            heading = QLabel(self.tr("<b>{n} problem(s): nothing will be imported until the "
                                     "file is corrected.</b>").format(n=count))
            heading.setWordWrap(True)
            layout.addWidget(heading)
            layout.addWidget(self.problems, 2)
        else:
            self.problems.hide()
        buttons = QDialogButtonBox()
        self.copy_button = QPushButton(self.tr("&Copy problems"))
        self.copy_button.setEnabled(bool(preview.problems))
        self.copy_button.clicked.connect(self.copy_problems)
        self.import_button = QPushButton(self.tr("&Import {n} cases").format(
            n=len(preview.new_cases)))
        self.import_button.setEnabled(preview.ok and bool(preview.new_cases))
        self.import_button.setDefault(preview.ok)
        self.import_button.clicked.connect(self._import)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(buttons)
        layout.addLayout(row)
        self.resize(fitted(self, 900, 620))

    def problems_text(self) -> str:
        lines = ["Row\tColumn\tValue\tExpected"]
        lines += [f"{p.row}\t{p.column}\t{p.value}\t{p.expected}" for p in self.preview.problems]
        return "\n".join(lines)

    def copy_problems(self) -> None:
        QGuiApplication.clipboard().setText(self.problems_text())

    def _import(self) -> None:
        with operation(self, self.tr("Import case list")) as done:
            self.report = self._imports.commit(self.preview)
        if not done.failed:
            self.accept()


def check_file_in_background(parent, tasks: TaskManager, imports: CaseImportService,
                             inspection_id: uuid.UUID, path: Path, on_checked) -> None:
    """Read and check ``path`` on a worker thread with a progress dialog and Cancel."""
    tasks.run_with_progress(
        parent, parent.tr("Import case list"), parent.tr("Reading {name}… rows read:").format(
            name=path.name),
        lambda report, cancelled: imports.check(
            inspection_id=inspection_id, path=path, progress=lambda n: report(n, 0),
            cancelled=cancelled),
        on_checked)


def choose_case_list(parent) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, parent.tr("Import case list"), "", FILE_FILTER)
    return Path(path) if path else None
