"""One question on the case form: its wording and guidance, the answer, and for a "No" the
reasons and evidence note. It draws what it is given and reports edits; it saves nothing."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from app.core.answers import AnswerInput, AnswerRecord
from app.core.form import ProblemKind, QuestionStatus
from app.core.frameworks import NO, Evidence, Question, QuestionType, Respondent
from app.ui.widgets.answer_controls import TextBox, make_control

TYPING_PAUSE_MS = 600
PROBLEM_TEXT = {
    ProblemKind.UNANSWERED: "Not answered",
    ProblemKind.REASONS_MISSING: "Choose at least one reason for the No",
    ProblemKind.EVIDENCE_MISSING: "Add an evidence note",
}


class QuestionWidget(QFrame):
    """Emits ``changed(key)`` when the answer should be saved."""

    changed = Signal(str)

    def __init__(self, question: Question, number: str, parent=None):
        super().__init__(parent)
        self.question = question
        self.setObjectName("question")
        self._pending = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._pending.timeout.connect(self.flush)
        self._build(number)

    # -- layout -----------------------------------------------------------------------
    def _build(self, number: str) -> None:
        q = self.question
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        title = QLabel(f"<b>{number}</b>&nbsp;&nbsp;{html.escape(q.text)}")
        title.setWordWrap(True)
        title.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(title)
        notes = []
        if q.respondent == Respondent.PRACTITIONER:
            notes.append("Put to the practitioner in interview; record their answer.")
        if q.guidance:
            notes.append(q.guidance)
        if q.reconstructed:
            notes.append("<i>Wording reconstructed: the original caption was not "
                         "preserved.</i>")
        if notes:
            guidance = QLabel("<br>".join(n if n.startswith("<i>") else html.escape(n)
                                          for n in notes))
            guidance.setWordWrap(True)
            guidance.setStyleSheet("color: #505a5f;")
            layout.addWidget(guidance)
        self.control = make_control(q)
        self.control.edited.connect(self._on_edited)
        layout.addWidget(self.control)
        self.reasons_box = self._build_reasons(layout)
        self.evidence = None
        if q.judgement or q.type == QuestionType.NEED_MATRIX or q.evidence != Evidence.OPTIONAL:
            self.evidence_label = QLabel("Evidence note")
            self.evidence = TextBox(f"Evidence note: {q.text}")
            self.evidence.setPlaceholderText("What in the case record supports this "
                                             "judgement?")
            self.evidence_label.setBuddy(self.evidence)
            self.evidence.textChanged.connect(lambda: self._on_edited(False))
            layout.addWidget(self.evidence_label)
            layout.addWidget(self.evidence)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        for typed in (self.control.focus_target(), self.evidence):
            if typed is not None:
                typed.installEventFilter(self)
        self.setAccessibleName(q.text)
        self.setAccessibleDescription(q.guidance)

    def _build_reasons(self, layout: QVBoxLayout) -> QWidget | None:
        if not self.question.reasons:
            self.reason_boxes: dict[str, QCheckBox] = {}
            return None
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("<b>Why was it not sufficient?</b> (choose all that apply)"),
                       0, 0, 1, 2)
        self.reason_boxes = {}
        per_column = (len(self.question.reasons) + 1) // 2
        for i, reason in enumerate(self.question.reasons):
            check = QCheckBox(reason.label)
            check.setAccessibleName(f"Reason: {reason.label}")
            check.toggled.connect(lambda _c: self._on_edited(True))
            self.reason_boxes[reason.code] = check
            grid.addWidget(check, 1 + i % per_column, i // per_column)
        layout.addWidget(box)
        box.hide()
        return box

    # -- data in and out ----------------------------------------------------------------
    def set_record(self, record: AnswerRecord | None) -> None:
        """Show a stored answer without treating it as an edit."""
        self._pending.stop()
        self.control.set_value(record.value if record else None)
        chosen = set(record.reasons) if record else set()
        for code, check in self.reason_boxes.items():
            check.blockSignals(True)
            check.setChecked(code in chosen)
            check.blockSignals(False)
        if self.evidence is not None:
            self.evidence.blockSignals(True)
            self.evidence.setPlainText(record.evidence if record else "")
            self.evidence.blockSignals(False)
        self._show_reasons()

    def answer(self) -> AnswerInput:
        """What is on screen now. Raises ``ValueError`` for a date that cannot be read."""
        reasons = tuple(code for code, check in self.reason_boxes.items() if check.isChecked())
        evidence = self.evidence.toPlainText() if self.evidence is not None else ""
        return AnswerInput(self.control.value(), reasons, evidence)

    def set_status(self, status: QuestionStatus, not_applicable_because: str = "",
                   editable: bool = True, show_missing: bool = False) -> None:
        """Draw applicability and problems. An unanswered question is only flagged once the
        inspector has asked to check for errors (``show_missing``)."""
        self.control.set_rows(status.applicable_rows)
        self.setEnabled(status.applicable and editable)
        self._answer_part_visible(status.applicable)
        problems = [p for p in status.problems
                    if show_missing or p.kind != ProblemKind.UNANSWERED]
        if not status.applicable:
            self.status_label.setText(f"Not applicable to this case. It applies when "
                                      f"{not_applicable_because}." if not_applicable_because
                                      else "Not applicable to this case.")
            self.status_label.setStyleSheet("color: #505a5f; font-style: italic;")
            self.setProperty("state", "na")
        elif problems:
            self.status_label.setText(" · ".join(PROBLEM_TEXT[p.kind] for p in problems))
            self.status_label.setStyleSheet("color: #a4262c; font-weight: 600;")
            self.setProperty("state", "problem")
        else:
            self.status_label.setText("")
            done = status.answered and not status.problems
            self.setProperty("state", "done" if done else "")
        self.status_label.setVisible(bool(self.status_label.text()))
        self.style().unpolish(self)
        self.style().polish(self)

    def _answer_part_visible(self, visible: bool) -> None:
        self.control.setVisible(visible)
        if self.evidence is not None:
            self.evidence.setVisible(visible)
            self.evidence_label.setVisible(visible)
        if self.reasons_box is not None:
            self._show_reasons() if visible else self.reasons_box.hide()

    def show_error(self, message: str) -> None:
        self.status_label.show()
        self.status_label.setText(f"Not saved: {message}")
        self.status_label.setStyleSheet("color: #a4262c; font-weight: 600;")

    def focus_target(self) -> QWidget:
        return self.control.focus_target()

    def has_pending(self) -> bool:
        return self._pending.isActive()

    def flush(self) -> None:
        """Save now whatever is waiting for a pause in typing."""
        if self._pending.isActive():
            self._pending.stop()
        self.changed.emit(self.question.key)

    # -- events -------------------------------------------------------------------------
    def _on_edited(self, immediate: bool) -> None:
        self._show_reasons()
        if immediate:
            self._pending.stop()
            self.changed.emit(self.question.key)
        else:
            self._pending.start()

    def _show_reasons(self) -> None:
        if self.reasons_box is None:
            return
        value = self.control.value() if self.question.type != QuestionType.DATE else None
        has_no = value == NO or (isinstance(value, dict) and NO in value.values())
        self.reasons_box.setVisible(has_no)
        if self.evidence is not None:
            required = has_no and self.question.evidence == Evidence.REQUIRED_ON_NO
            self.evidence_label.setText("Evidence note (needed for a No)" if required
                                        else "Evidence note")

    def eventFilter(self, watched, event) -> bool:
        # typing is saved the moment focus leaves the field, not only after the pause
        if event.type() == QEvent.Type.FocusOut and self._pending.isActive():
            self.flush()
        return super().eventFilter(watched, event)
