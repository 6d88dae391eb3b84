"""Small input widgets used by the dialogs: coded lists and typed UK dates."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QLineEdit

from app.core.vocab import Vocabulary

NOT_GIVEN = "—"


class CodeCombo(QComboBox):
    """A drop-down over a controlled vocabulary; the stored code is the item data."""

    def __init__(self, vocabulary: Vocabulary, *, allow_blank: bool = True,
                 group_filter: str | None = None, parent=None):
        super().__init__(parent)
        if allow_blank:
            self.addItem(NOT_GIVEN, None)
        for choice in vocabulary.choices:
            if group_filter and choice.group and not choice.group.startswith(group_filter):
                continue
            label = f"{choice.group}: {choice.label}" if vocabulary.name == "ethnicity" \
                else choice.label
            self.addItem(label, choice.code)

    def code(self) -> str | None:
        return self.currentData()

    def set_code(self, code: str | None) -> None:
        index = self.findData(code)
        self.setCurrentIndex(max(index, 0))


class DateEdit(QLineEdit):
    """A date typed as dd/mm/yyyy; blank means not known."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setPlaceholderText("dd/mm/yyyy")
        self.setValidator(QRegularExpressionValidator(
            QRegularExpression(r"^\d{0,2}/?\d{0,2}/?\d{0,4}$"), self))
        self.setMaxLength(10)

    def date(self) -> dt.date | None:
        """The date typed, ``None`` if blank. Raises ``ValueError`` if it is not a date."""
        text = self.text().strip()
        if not text:
            return None
        return parse_uk_date(text)

    def set_date(self, value: dt.date | None) -> None:
        self.setText(value.strftime("%d/%m/%Y") if value else "")


def parse_uk_date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise ValueError(f"'{text}' is not a date in the form dd/mm/yyyy") from None
