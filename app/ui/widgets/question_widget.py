"""One question on the case form: its wording and guidance, the answer, and for a "No" the
reasons and evidence note. It draws what it is given and reports edits; it saves nothing.

Forms hold up to a hundred of these, so they avoid style sheets (slow to apply and to
re-polish) and build the reasons for a "No" only when a "No" is first given.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.core.answers import AnswerInput, AnswerRecord, has_no
from app.core.form import PROBLEM_TEXT, ProblemKind, QuestionStatus
from app.core.frameworks import Evidence, Question, QuestionType, Respondent
from app.ui.theme import notice_label, paint_text, readable_when_locked, tones
from app.ui.widgets.answer_controls import TextBox, labelled, make_control

TYPING_PAUSE_MS = 600
#: the bar down a question's left edge, by its state, in the theme's words
BAR = {"problem": "problem", "done": "done", "na": "quiet"}


def _coloured(label: QLabel, meaning: str) -> QLabel:
    """``label`` in the current theme's colour for ``meaning`` (problem, done, quiet)."""
    paint_text(label, getattr(tones(), meaning))
    label.setProperty("meaning", meaning)
    return label


#: beside a question whose wording was written afresh, its source in the tooltip
RECONSTRUCTED_MARK = "†"
RECONSTRUCTED_NOTE = "Wording written afresh: the original wording was not preserved."


class QuestionWidget(QFrame):
    """Emits ``changed(key)`` when the answer should be saved."""

    changed = Signal(str)
    #: a person clicked the question (a supervisor reading a locked form, say)
    picked = Signal(str)

    def __init__(self, question: Question, number: str, parent=None):
        super().__init__(parent)
        self.question = question
        self.state = ""
        self.current = False
        self.editable = True
        self.reason_boxes: dict[str, QCheckBox] = {}
        self.reasons_box: QWidget | None = None
        self._chosen_reasons: set[str] = set()
        self._locked_readable = False
        self._pending = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._pending.timeout.connect(self.flush)
        self._build(number)

    # -- layout -----------------------------------------------------------------------
    def _build(self, number: str) -> None:
        q = self.question
        self._layout = layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 10, 10)
        heading = QHBoxLayout()
        number_label = QLabel(number)
        bold = QFont(number_label.font())
        bold.setBold(True)
        number_label.setFont(bold)
        title = QLabel(q.text)
        title.setWordWrap(True)
        heading.addWidget(number_label, 0, Qt.AlignmentFlag.AlignTop)
        heading.addWidget(title, 1)
        if q.reconstructed:  # a small marker; what it means and the source on hovering
            marker = _coloured(QLabel(RECONSTRUCTED_MARK), "quiet")
            said = RECONSTRUCTED_NOTE + (f" Source: {q.source}" if q.source else "")
            marker.setToolTip(said)
            marker.setAccessibleName(RECONSTRUCTED_NOTE)
            marker.setAccessibleDescription(said)
            heading.addWidget(marker, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(heading)
        notes = []
        if q.respondent == Respondent.PRACTITIONER:
            notes.append("Put to the practitioner in interview; record their answer.")
        if q.guidance:
            notes.append(q.guidance)
        if notes:
            guidance = _coloured(QLabel("\n".join(notes)), "quiet")
            guidance.setWordWrap(True)
            layout.addWidget(guidance)
        self.control = make_control(q)
        self.control.edited.connect(self._on_edited)
        layout.addWidget(self.control)
        self._reasons_at = layout.count()
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
        self.status_label.hide()
        layout.addWidget(self.status_label)
        self.query_label = QLabel()
        self.query_label.setWordWrap(True)
        notice_label(self.query_label, "query")
        self.query_label.hide()
        layout.addWidget(self.query_label)
        for typed in (self.control.focus_target(), self.evidence):
            if typed is not None:
                typed.installEventFilter(self)
        self.setAccessibleName(q.text)
        self.setAccessibleDescription(q.guidance)

    def _ensure_reasons(self) -> QWidget | None:
        """The reasons for a "No", built the first time they are needed."""
        if self.reasons_box is not None or not self.question.reasons:
            return self.reasons_box
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("Why was it not sufficient? (choose all that apply)")
        heading.setWordWrap(True)
        bold = QFont(heading.font())
        bold.setBold(True)
        heading.setFont(bold)
        grid.addWidget(heading, 0, 0)
        # one column: reasons are long, and a checkbox's text cannot wrap
        for i, reason in enumerate(self.question.reasons):
            check = QCheckBox()
            check.setAccessibleName(f"Reason: {reason.label}")
            check.setChecked(reason.code in self._chosen_reasons)
            check.toggled.connect(lambda _c: self._on_edited(True))
            self.reason_boxes[reason.code] = check
            grid.addWidget(labelled(check, reason.label), 1 + i, 0)
        self._layout.insertWidget(self._reasons_at, box)
        box.setEnabled(self.editable)
        self.reasons_box = box
        # built late, so put the reasons back where Tab expects them: after the answer,
        # before the evidence note
        chain = [*self.control.findChildren(QWidget), *self.reason_boxes.values()]
        focusable = [w for w in chain if w.focusPolicy() & Qt.FocusPolicy.TabFocus]
        if self.evidence is not None:
            focusable.append(self.evidence)
        for before, after in itertools.pairwise(focusable):
            QWidget.setTabOrder(before, after)
        return box

    # -- data in and out ----------------------------------------------------------------
    def set_record(self, record: AnswerRecord | None) -> None:
        """Show a stored answer without treating it as an edit."""
        self._pending.stop()
        self.control.set_value(record.value if record else None)
        self._chosen_reasons = set(record.reasons) if record else set()
        for code, check in self.reason_boxes.items():
            check.blockSignals(True)
            check.setChecked(code in self._chosen_reasons)
            check.blockSignals(False)
        if self.evidence is not None:
            self.evidence.blockSignals(True)
            self.evidence.setPlainText(record.evidence if record else "")
            self.evidence.blockSignals(False)
        self._show_reasons()

    def answer(self) -> AnswerInput:
        """What is on screen now. Raises ``ValueError`` for a date that cannot be read."""
        if self.reason_boxes:
            reasons = tuple(code for code, check in self.reason_boxes.items()
                            if check.isChecked())
        else:
            reasons = tuple(r.code for r in self.question.reasons
                            if r.code in self._chosen_reasons)
        evidence = self.evidence.toPlainText() if self.evidence is not None else ""
        return AnswerInput(self.control.value(), reasons, evidence)

    def set_status(self, status: QuestionStatus, not_applicable_because: str = "",
                   editable: bool = True, show_missing: bool = False) -> None:
        """Draw applicability and problems. An unanswered question is only flagged once the
        inspector has asked to check for errors (``show_missing``)."""
        self.control.set_rows(status.applicable_rows)
        # a question that does not apply is greyed; a locked form stays readable: the
        # answer cannot be changed, the evidence note can still be read, selected and copied
        self.setEnabled(status.applicable)
        self.editable = editable
        self.control.setEnabled(editable)
        if not editable and not self._locked_readable:
            readable_when_locked(self.control)  # its answer read, not greyed out
            self._locked_readable = True
        if self.evidence is not None:
            self.evidence.setReadOnly(not editable)
        if self.reasons_box is not None:
            self.reasons_box.setEnabled(editable)
        self._answer_part_visible(status.applicable)
        problems = [p for p in status.problems
                    if show_missing or p.kind != ProblemKind.UNANSWERED]
        if not status.applicable:
            self._status("quiet", "Not applicable to this case. It applies when "
                         f"{not_applicable_because}." if not_applicable_because
                         else "Not applicable to this case.")
            state = "na"
        elif problems:
            self._status("problem", " · ".join(PROBLEM_TEXT[p.kind] for p in problems))
            state = "problem"
        else:
            self._status("done", "")
            state = "done" if status.answered and not status.problems else ""
        if state != self.state:
            self.state = state
            self.update()

    def _status(self, meaning: str, text: str) -> None:
        if text != self.status_label.text():
            self.status_label.setText(text)
            _coloured(self.status_label, meaning)
        self.status_label.setVisible(bool(text))

    def set_query(self, text: str) -> None:
        """Show an open query on this answer (or none, with an empty text)."""
        self.query_label.setText(text)
        self.query_label.setVisible(bool(text))

    def set_current(self, current: bool) -> None:
        """Whether the keyboard focus is in this question (it is tinted to be easy to follow)."""
        if current != self.current:
            self.current = current
            self.update()

    def _answer_part_visible(self, visible: bool) -> None:
        self.control.setVisible(visible)
        if self.evidence is not None:
            self.evidence.setVisible(visible)
            self.evidence_label.setVisible(visible)
        if visible:
            self._show_reasons()
        elif self.reasons_box is not None:
            self.reasons_box.hide()

    def show_error(self, message: str) -> None:
        self._status("problem", f"Not saved: {message}")

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
        if not self.question.reasons:
            return
        value = self.control.value() if self.question.type != QuestionType.DATE else None
        said_no = has_no(self.question, value)
        if said_no:
            self._ensure_reasons().show()
        elif self.reasons_box is not None:
            self.reasons_box.hide()
        if self.evidence is not None:
            required = said_no and self.question.evidence == Evidence.REQUIRED_ON_NO
            self.evidence_label.setText("Evidence note (needed for a No)" if required
                                        else "Evidence note")

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        colours = tones()
        background = (colours.current_background if self.current
                      else palette.color(QPalette.ColorRole.Window) if self.state == "na"
                      else palette.color(QPalette.ColorRole.Base))
        painter.fillRect(self.rect(), background)
        bar = BAR.get(self.state)
        if bar is not None:
            painter.fillRect(0, 0, 4, self.height(), getattr(colours, bar))

    def changeEvent(self, event) -> None:
        # a new theme: the colours set from the old one are set again
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            for label in self.findChildren(QLabel):
                if label.property("meaning"):
                    _coloured(label, label.property("meaning"))
            notice_label(self.query_label, "query")
            if self._locked_readable:
                self.control.setPalette(QPalette())
                readable_when_locked(self.control)
        super().changeEvent(event)

    def mousePressEvent(self, event) -> None:
        # clicks on a locked answer reach here too: its disabled controls pass them on
        self.picked.emit(self.question.key)
        super().mousePressEvent(event)

    def eventFilter(self, watched, event) -> bool:
        # typing is saved the moment focus leaves the field, not only after the pause
        if event.type() == QEvent.Type.FocusOut and self._pending.isActive():
            self.flush()
        return super().eventFilter(watched, event)
