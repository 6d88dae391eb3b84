"""Moderation: second marking of key questions, blind, and the agreement it shows."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.workflow import Actor
from app.errors import UserFacingError
from app.ui.errors import operation
from app.ui.screens import fitted
from app.ui.widgets.tables import fill_table

if TYPE_CHECKING:
    from app.services.moderation import ModerationService
    from app.services.review import ReviewService

CASE_ROLE = Qt.ItemDataRole.UserRole
CHOICES = (("", "—"), ("yes", "Yes"), ("no", "No"), ("not_applicable", "Not applicable"))


class ModerationDialog(QDialog):
    def __init__(self, moderation: ModerationService, review: ReviewService,
                 inspection_id: uuid.UUID, parent=None):
        super().__init__(parent)
        self._moderation = moderation
        self._inspection_id = inspection_id
        self.setWindowTitle(self.tr("Moderation"))
        self.cases = QListWidget()
        self.cases.setAccessibleName(self.tr("Cases to second mark"))
        self.cases.currentItemChanged.connect(lambda *_: self._show_form())
        self.form_area = QScrollArea()
        self.form_area.setWidgetResizable(True)
        self.judgements: dict[str, tuple[QComboBox, QLineEdit]] = {}
        self.save_button = QPushButton(self.tr("&Save my judgements"))
        self.save_button.clicked.connect(self.save)
        self.blind_note = QLabel(self.tr("Judge each key question from the case record alone: "
                                         "the first inspector's judgements are not shown."))
        self.blind_note.setWordWrap(True)
        marking = QWidget()
        left = QVBoxLayout()
        left.addWidget(QLabel(self.tr("Cases chosen for second marking")))
        left.addWidget(self.cases, 1)
        right = QVBoxLayout()
        right.addWidget(self.blind_note)
        right.addWidget(self.form_area, 1)
        right.addWidget(self.save_button)
        row = QHBoxLayout(marking)
        row.addLayout(left, 1)
        row.addLayout(right, 2)

        self.by_question = QTableWidget()
        self.by_question.setAccessibleName(self.tr("Agreement by key question"))
        self.by_inspector = QTableWidget()
        self.by_inspector.setAccessibleName(self.tr("Agreement by inspector"))
        agreement = QWidget()
        column = QVBoxLayout(agreement)
        column.addWidget(QLabel(self.tr("By key question")))
        column.addWidget(self.by_question, 2)
        column.addWidget(QLabel(self.tr("By inspector (who gave the first judgement)")))
        column.addWidget(self.by_inspector, 1)
        column.addWidget(QLabel(self.tr("Kappa: agreement beyond chance (1 is complete, 0 no "
                                        "better than chance).")))
        self.to_agree = QListWidget()
        self.to_agree.setAccessibleName(self.tr("Cases whose agreed judgements are to record"))
        self.to_agree.currentItemChanged.connect(lambda *_: self._show_agreeing())
        self.agree_area = QScrollArea()
        self.agree_area.setWidgetResizable(True)
        self.agreed: dict[str, tuple[QComboBox, QLineEdit]] = {}
        self.agree_button = QPushButton(self.tr("&Record the agreed judgements"))
        self.agree_button.clicked.connect(self.record_agreed)
        agreeing = QWidget()
        agree_left = QVBoxLayout()
        agree_left.addWidget(QLabel(self.tr("Second marked, to agree")))
        agree_left.addWidget(self.to_agree, 1)
        agree_right = QVBoxLayout()
        self.agree_note = QLabel(self.tr(
            "Record the judgement both markers agreed on for each key question, and how it "
            "was agreed. It is kept beside both judgements; the case's own answer is not "
            "changed."))
        self.agree_note.setWordWrap(True)  # a narrow window or large text wraps it, never clips
        agree_right.addWidget(self.agree_note)
        agree_right.addWidget(self.agree_area, 1)
        agree_right.addWidget(self.agree_button)
        agree_row = QHBoxLayout(agreeing)
        agree_row.addLayout(agree_left, 1)
        agree_row.addLayout(agree_right, 2)

        supervising = review.actor(inspection_id) == Actor.SUPERVISOR
        self.tabs = QTabWidget()
        self.tabs.addTab(marking, self.tr("&Second marking"))
        if supervising:
            self.tabs.addTab(agreeing, self.tr("Agreed &judgements"))
        self.tabs.addTab(agreement, self.tr("&Agreement"))
        self.choose_button = QPushButton(self.tr("&Choose cases for second marking…"))
        self.choose_button.clicked.connect(self.choose_cases)
        self.choose_button.setVisible(supervising)
        self._supervising = supervising
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.choose_button)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        self.resize(fitted(self, 1000, 640))
        self.reload()

    def reload(self) -> None:
        moderation = self._moderation
        _refill(self.cases, [(self.tr("{ref} ({n} judged)").format(ref=case.reference, n=n),
                              case.id) for case, n in moderation.queue(self._inspection_id)])
        self._show_form()
        if self._supervising:
            _refill(self.to_agree, [
                (self.tr("{ref} ({n} to agree)").format(ref=case.reference, n=n), case.id)
                for case, n in moderation.to_agree(self._inspection_id)])
            self._show_agreeing()
        report = moderation.report(self._inspection_id)
        headers = [self.tr("Cases"), self.tr("Agreed"), self.tr("% agreement"),
                   self.tr("Kappa")]
        fill_table(self.by_question, [self.tr("Key question"), *headers],
                   _agreement_rows(report.by_question))
        fill_table(self.by_inspector, [self.tr("Inspector"), *headers],
                   _agreement_rows(report.by_inspector))

    def _show_form(self) -> None:
        item = self.cases.currentItem()
        self.judgements = {}
        self.save_button.setEnabled(item is not None)
        if item is None:
            self.form_area.setWidget(QLabel(self.tr("No case is waiting for you to second "
                                                    "mark.")))
            return
        with operation(self, on_error=self._cannot_show) as done:
            questions = self._moderation.blind_form(item.data(CASE_ROLE))
        if done.failed:
            return
        form = QWidget()
        layout = QFormLayout(form)
        for question in questions:
            choice = QComboBox()
            for code, label in CHOICES:
                choice.addItem(self.tr(label), code)
            choice.setAccessibleName(question.text)
            choice.setCurrentIndex(max(0, choice.findData(question.mine)))
            note = QLineEdit(question.note)
            note.setPlaceholderText(self.tr("Note (optional)"))
            text = QLabel(question.text)
            text.setWordWrap(True)
            cell = QHBoxLayout()
            cell.addWidget(choice)
            cell.addWidget(note, 1)
            layout.addRow(text, cell)
            self.judgements[question.key] = (choice, note)
        self.form_area.setWidget(form)

    def _cannot_show(self, exc: UserFacingError) -> None:
        self.form_area.setWidget(QLabel(exc.problem))
        self.save_button.setEnabled(False)

    def save(self) -> None:
        item = self.cases.currentItem()
        if item is None:
            return
        mine = {q.key: (q.mine, q.note) for q in self._moderation.blind_form(
            item.data(CASE_ROLE))}
        with operation(self, self.tr("Second marking")):
            for key, (choice, note) in self.judgements.items():
                if choice.currentData() and (choice.currentData(), note.text().strip()) \
                        != mine.get(key):
                    self._moderation.second_mark(
                        case_id=item.data(CASE_ROLE), question_key=key,
                        value=choice.currentData(), note=note.text())
        self.reload()

    def _show_agreeing(self) -> None:
        item = self.to_agree.currentItem()
        self.agreed = {}
        self.agree_button.setEnabled(item is not None)
        if item is None:
            self.agree_area.setWidget(QLabel(self.tr("No second marked case is waiting for "
                                                     "its agreed judgements.")))
            return
        with operation(self, on_error=lambda exc: self.agree_area.setWidget(
                QLabel(exc.problem))) as done:
            judged = self._moderation.judgements(item.data(CASE_ROLE))
        if done.failed:
            return
        labels = dict(CHOICES)
        form = QWidget()
        layout = QFormLayout(form)
        for key, entry in judged.items():
            text = QLabel(self.tr("{question}\nFirst: {first} · Second: {second}").format(
                question=entry["question"], first=self.tr(labels.get(entry.get("first") or "",
                                                                     "—")),
                second=self.tr(labels.get(entry.get("second") or "", "—"))))
            text.setWordWrap(True)
            choice = QComboBox()
            for code, label in CHOICES:
                choice.addItem(self.tr(label), code)
            choice.setAccessibleName(self.tr("Agreed judgement: {question}").format(
                question=entry["question"]))
            choice.setCurrentIndex(max(0, choice.findData(entry.get("agreed") or "")))
            note = QLineEdit(str(entry.get("note") or ""))
            note.setPlaceholderText(self.tr("How it was agreed"))
            note.setAccessibleName(self.tr("How the judgement was agreed"))
            cell = QHBoxLayout()
            cell.addWidget(choice)
            cell.addWidget(note, 1)
            layout.addRow(text, cell)
            self.agreed[key] = (choice, note)
        self.agree_area.setWidget(form)

    def record_agreed(self) -> None:
        item = self.to_agree.currentItem()
        if item is None:
            return
        before = self._moderation.judgements(item.data(CASE_ROLE))
        with operation(self, self.tr("Agreed judgements")):
            for key, (choice, note) in self.agreed.items():
                said = (choice.currentData(), note.text().strip())
                if said[0] and said != (before[key].get("agreed"), before[key].get("note")):
                    self._moderation.agree(case_id=item.data(CASE_ROLE),
                                                    question_key=key, value=said[0],
                                                    note=said[1])
        self.reload()

    def choose_cases(self) -> None:
        percent, ok = QInputDialog.getInt(
            self, self.tr("Second marking"),
            self.tr("Share of the answered cases to second mark (%):"), 10, 1, 100)
        if not ok:
            return
        with operation(self, self.tr("Second marking")):
            self._moderation.request_share(inspection_id=self._inspection_id,
                                                    share=percent / 100)
        self.reload()


def _refill(cases: QListWidget, items: list[tuple[str, uuid.UUID]]) -> None:
    """Fill a list of cases (text, case id), keeping the case chosen before if it is still
    there, or else choosing the first."""
    current = cases.currentItem().data(CASE_ROLE) if cases.currentItem() else None
    cases.clear()
    for text, case_id in items:
        item = QListWidgetItem(text)
        item.setData(CASE_ROLE, case_id)
        cases.addItem(item)
        if case_id == current:
            cases.setCurrentItem(item)
    if cases.currentItem() is None and cases.count():
        cases.setCurrentRow(0)


def _agreement_rows(found: dict) -> list[list[str]]:
    return [[name, str(a.pairs), str(a.agreed),
             f"{a.percent:.0f}%" if a.percent is not None else "—",
             f"{a.kappa:.2f}" if a.kappa is not None else "—"]
            for name, a in sorted(found.items())]
