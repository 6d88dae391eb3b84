"""“Check for errors”: every applicable question still missing an answer, reason or note."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from app.core.form import PROBLEM_TEXT, FormProblem
from app.core.frameworks import Framework
from app.ui.screens import fitted


class ProblemsDialog(QDialog):
    """Lists the problems; choosing one closes the dialog and names the question to go to."""

    def __init__(self, problems: list[FormProblem], framework: Framework,
                 numbers: dict[str, str], parent=None):
        super().__init__(parent)
        self.chosen_key: str | None = None
        self.setWindowTitle(self.tr("Check for errors"))
        layout = QVBoxLayout(self)
        if problems:
            things = self.tr("1 thing") if len(problems) == 1 else self.tr("{n} things").format(
                n=len(problems))
            summary = self.tr("{things} to finish before this case form is complete. Press "
                              "Enter on one to go to it.").format(things=things)
        else:
            summary = self.tr("No errors: every applicable question is answered, and every "
                              "No has its reasons and evidence.")
        heading = QLabel(summary)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Problems"))
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSpacing(2)
        sections = {s.key: s.title for s in framework.sections}
        for problem in problems:
            text = (f"{numbers.get(problem.question_key, '')}  {PROBLEM_TEXT[problem.kind]}: "
                    f"{problem.text}")
            item = QListWidgetItem(text)
            item.setToolTip(sections[problem.section_key])
            item.setData(Qt.ItemDataRole.UserRole, problem.question_key)
            self.list.addItem(item)
        self.list.setVisible(bool(problems))
        self.list.itemActivated.connect(self._choose)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if problems:
            self.list.setCurrentRow(0)
        self.resize(fitted(self, 720, 420 if problems else 140))

    def _choose(self, item: QListWidgetItem) -> None:
        self.chosen_key = item.data(Qt.ItemDataRole.UserRole)
        self.accept()
