"""One answer control per question type. Each reports edits and gives back a value.

``edited`` carries ``True`` for a change that should be saved at once (a choice) and
``False`` for typing, which is saved after a short pause or when focus leaves.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.frameworks import (
    JUDGEMENT_LABELS,
    NO,
    NOT_APPLICABLE,
    YES,
    Question,
    QuestionType,
)
from app.ui.widgets.fields import parse_uk_date

MAX_RADIOS = 6


class AnswerControl(QWidget):
    edited = Signal(bool)

    def __init__(self, question: Question, parent=None):
        super().__init__(parent)
        self.question = question

    def value(self) -> object:
        raise NotImplementedError

    def set_value(self, value: object) -> None:
        raise NotImplementedError

    def focus_target(self) -> QWidget:
        return self

    def set_rows(self, rows: tuple[str, ...]) -> None:
        """Only need-area matrices have rows; other controls ignore this."""

    def _name(self, part: str) -> str:
        return f"{part}: {self.question.text}"


def shown_as_is(text: str) -> str:
    """A framework's wording for a button or box: an "&" in it is shown, not taken as the
    letter to press with Alt ("Thinking & behaviour")."""
    return text.replace("&", "&&")


class ButtonWords(QLabel):
    """A check box's or radio button's words, beside it, wrapping onto more lines where the
    form is narrow (a button's own text cannot wrap, and was cut off on a laptop). Clicking
    the words clicks the button, as clicking a button's own text does."""

    def __init__(self, text: str, button, parent=None):
        super().__init__(text, parent)
        self.button = button
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def mousePressEvent(self, event) -> None:
        if self.button.isEnabled():
            self.button.click()
            self.button.setFocus()
        event.accept()


def labelled(button, text: str) -> QWidget:
    """``button`` with ``text`` (a framework's wording) as words that wrap beside it."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6)
    button.setText("")
    layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
    words = ButtonWords(text, button)
    layout.addWidget(words, 1)
    return row


class _ChoiceButtons(AnswerControl):
    """Radio buttons over (code, label) pairs; nothing checked means unanswered."""

    def __init__(self, question: Question, choices: list[tuple[str, str]], *,
                 horizontal: bool, parent=None):
        super().__init__(question, parent)
        self._group = QButtonGroup(self)
        self._buttons: dict[str, QRadioButton] = {}
        layout = QHBoxLayout(self) if horizontal else QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for code, label in choices:
            button = QRadioButton(shown_as_is(label))
            button.setAccessibleName(self._name(label))
            self._group.addButton(button)
            self._buttons[code] = button
            # side by side, a few short words; one under another, words that may be long
            layout.addWidget(button if horizontal else labelled(button, label))
        if horizontal:
            layout.addStretch(1)
        self._group.buttonToggled.connect(
            lambda _button, checked: checked and self.edited.emit(True))

    def value(self) -> object:
        for code, button in self._buttons.items():
            if button.isChecked():
                return code
        return None

    def set_value(self, value: object) -> None:
        self._group.blockSignals(True)
        self._group.setExclusive(False)  # lets every button be cleared
        for code, button in self._buttons.items():
            button.setChecked(code == value)
        self._group.setExclusive(True)
        self._group.blockSignals(False)

    def focus_target(self) -> QWidget:
        checked = [b for b in self._buttons.values() if b.isChecked()]
        return checked[0] if checked else next(iter(self._buttons.values()))


def yes_no_control(question: Question) -> AnswerControl:
    codes = [YES, NO] + ([NOT_APPLICABLE] if question.allow_not_applicable else [])
    return _ChoiceButtons(question, [(c, JUDGEMENT_LABELS[c]) for c in codes], horizontal=True)


class _ComboChoice(AnswerControl):
    def __init__(self, question: Question, parent=None):
        super().__init__(question, parent)
        self._combo = QComboBox()
        self._combo.addItem("—", None)
        for option in question.options:
            self._combo.addItem(option.label, option.code)
        self._combo.setAccessibleName(self._name("Answer"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._combo, 1)
        self._combo.currentIndexChanged.connect(lambda _i: self.edited.emit(True))

    def value(self) -> object:
        return self._combo.currentData()

    def set_value(self, value: object) -> None:
        self._combo.blockSignals(True)
        self._combo.setCurrentIndex(max(self._combo.findData(value), 0))
        self._combo.blockSignals(False)

    def focus_target(self) -> QWidget:
        return self._combo


class _MultiChoice(AnswerControl):
    def __init__(self, question: Question, parent=None):
        super().__init__(question, parent)
        self._boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        per_column = (len(question.options) + 1) // 2
        for i, option in enumerate(question.options):
            box = QCheckBox()
            box.setAccessibleName(self._name(option.label))
            box.toggled.connect(lambda checked, o=option: self._toggled(o, checked))
            self._boxes[option.code] = box
            grid.addWidget(labelled(box, option.label), i % per_column, i // per_column)

    def _toggled(self, option, checked: bool) -> None:
        """Ticking "None of these" clears the rest, and ticking another clears "None"."""
        if checked:
            for other in self.question.options:
                if other.code != option.code and (option.exclusive or other.exclusive):
                    box = self._boxes[other.code]
                    box.blockSignals(True)
                    box.setChecked(False)
                    box.blockSignals(False)
        self.edited.emit(True)

    def value(self) -> object:
        return [code for code, box in self._boxes.items() if box.isChecked()]

    def set_value(self, value: object) -> None:
        chosen = set(value or ())
        for code, box in self._boxes.items():
            box.blockSignals(True)
            box.setChecked(code in chosen)
            box.blockSignals(False)

    def focus_target(self) -> QWidget:
        return next(iter(self._boxes.values()))


class _NeedMatrix(AnswerControl):
    """Yes / No / Not applicable for each need area that applies to the case."""

    def __init__(self, question: Question, parent=None):
        super().__init__(question, parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(18)
        for col, code in enumerate((YES, NO, NOT_APPLICABLE), start=1):
            header = QLabel(f"<b>{JUDGEMENT_LABELS[code]}</b>")
            grid.addWidget(header, 0, col)
        self._rows: dict[str, tuple[QLabel, QButtonGroup, dict[str, QRadioButton]]] = {}
        for r, row in enumerate(question.rows, start=1):
            label = QLabel(row.label)
            group = QButtonGroup(self)
            buttons = {}
            for col, code in enumerate((YES, NO, NOT_APPLICABLE), start=1):
                button = QRadioButton()
                button.setAccessibleName(f"{row.label}: {JUDGEMENT_LABELS[code]}")
                group.addButton(button)
                buttons[code] = button
                grid.addWidget(button, r, col)
            group.buttonToggled.connect(lambda _b, checked: checked and self.edited.emit(True))
            grid.addWidget(label, r, 0)
            self._rows[row.code] = (label, group, buttons)
        grid.setColumnStretch(4, 1)

    def set_rows(self, rows: tuple[str, ...]) -> None:
        for code, (label, _group, buttons) in self._rows.items():
            for widget in (label, *buttons.values()):
                widget.setVisible(code in rows)

    def value(self) -> object:
        # rows hidden because their need is no longer ticked keep their answers, so
        # ticking the need again brings them back; the rules ignore rows that do not apply
        result = {}
        for code, (_label, _group, buttons) in self._rows.items():
            for answer, button in buttons.items():
                if button.isChecked():
                    result[code] = answer
        return result

    def set_value(self, value: object) -> None:
        value = value or {}
        for code, (_label, group, buttons) in self._rows.items():
            group.blockSignals(True)
            group.setExclusive(False)
            for answer, button in buttons.items():
                button.setChecked(value.get(code) == answer)
            group.setExclusive(True)
            group.blockSignals(False)

    def focus_target(self) -> QWidget:
        for _label, _group, buttons in self._rows.values():
            if buttons[YES].isVisibleTo(self):
                checked = [b for b in buttons.values() if b.isChecked()]
                return checked[0] if checked else buttons[YES]
        return self


class _LineAnswer(AnswerControl):
    """A number or a dd/mm/yyyy date typed on one line."""

    def __init__(self, question: Question, parent=None):
        super().__init__(question, parent)
        self._edit = QLineEdit()
        self._edit.setAccessibleName(self._name("Answer"))
        if question.type == QuestionType.NUMBER:
            self._edit.setValidator(QIntValidator(
                question.minimum if question.minimum is not None else -10**9,
                question.maximum if question.maximum is not None else 10**9, self))
            self._edit.setMaximumWidth(120)
        else:
            self._edit.setPlaceholderText("dd/mm/yyyy")
            self._edit.setMaximumWidth(140)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._edit)
        layout.addStretch(1)
        self._edit.textEdited.connect(lambda _t: self.edited.emit(False))

    def value(self) -> object:
        text = self._edit.text().strip()
        if not text:
            return None
        if self.question.type == QuestionType.NUMBER:
            return text
        return parse_uk_date(text).isoformat()

    def set_value(self, value: object) -> None:
        if self.question.type == QuestionType.DATE and value:
            year, month, day = str(value).split("-")
            value = f"{day}/{month}/{year}"
        self._edit.setText("" if value is None else str(value))

    def focus_target(self) -> QWidget:
        return self._edit


class TextBox(QPlainTextEdit):
    """Multi-line text where Tab moves on, as in every other field of the form."""

    def __init__(self, accessible_name: str, parent=None):
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setAccessibleName(accessible_name)
        self.setFixedHeight(64)


class _TextAnswer(AnswerControl):
    def __init__(self, question: Question, parent=None):
        super().__init__(question, parent)
        self._edit = TextBox(self._name("Answer"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._edit)
        self._edit.textChanged.connect(lambda: self.edited.emit(False))

    def value(self) -> object:
        return self._edit.toPlainText()

    def set_value(self, value: object) -> None:
        self._edit.blockSignals(True)
        self._edit.setPlainText(value or "")
        self._edit.blockSignals(False)

    def focus_target(self) -> QWidget:
        return self._edit


def make_control(question: Question) -> AnswerControl:
    kind = question.type
    if kind == QuestionType.YES_NO:
        return yes_no_control(question)
    if kind == QuestionType.SINGLE_CHOICE:
        if len(question.options) <= MAX_RADIOS:
            return _ChoiceButtons(question, [(o.code, o.label) for o in question.options],
                                  horizontal=False)
        return _ComboChoice(question)
    if kind == QuestionType.MULTI_CHOICE:
        return _MultiChoice(question)
    if kind == QuestionType.NEED_MATRIX:
        return _NeedMatrix(question)
    if kind in (QuestionType.NUMBER, QuestionType.DATE):
        return _LineAnswer(question)
    return _TextAnswer(question)
