"""What ends up in a cell of an analyst's workbook, always safe to open: text that starts like
a formula is stored as text, never as a formula; characters a workbook cannot hold are
replaced by U+FFFD, and text longer than a cell can hold is cut, with a note of how much;
yes/no values read "Yes" and "No"; dates are real dates, shown as dd/mm/yyyy."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment

#: how a column shows its values
KINDS = ("text", "number", "percent", "date", "datetime")
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
TIME_FORMAT = "hh:mm"
PERCENT_FORMAT = "0.0%"
CELL_TEXT_LIMIT = 32_767          # characters (UTF-16 code units) a cell can hold
#: text starting so would be read as a formula
FORMULA_PREFIXES = ("=", "+", "-", "@")
WRAP = Alignment(wrap_text=True, vertical="top")

# What openpyxl refuses, plus what XML 1.0 cannot carry at all: lone surrogates, U+FFFE, U+FFFF.
_UNSTORABLE = re.compile(ILLEGAL_CHARACTERS_RE.pattern + "|[\ud800-\udfff\ufffe\uffff]")
_LARGEST_EXACT_INTEGER = 2 ** 53  # beyond this Excel (a double) would change the number
_FIRST_EXCEL_DATE = dt.date(1900, 3, 1)  # earlier dates are shifted by Excel's 1900 leap day


def safe_text(text: str) -> str:
    """``text`` as a cell can hold it: unstorable characters replaced by U+FFFD, and cut
    (with a note of how many characters were cut) if longer than a cell's limit."""
    if _UNSTORABLE.search(text):
        text = _UNSTORABLE.sub("\ufffd", text)
    if len(text) > CELL_TEXT_LIMIT // 2 and _utf16_length(text) > CELL_TEXT_LIMIT:
        text = _cut(text)
    return text


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str) -> str:
    """Cut ``text`` to fit a cell, ending with " … [cut: N characters]"."""
    encoded = text.encode("utf-16-le")
    removed = len(text) - CELL_TEXT_LIMIT
    while True:
        marker = f" … [cut: {removed} characters]"
        keep = CELL_TEXT_LIMIT - len(marker)
        # decoding with "ignore" drops half of a character split at the cut
        kept = encoded[:keep * 2].decode("utf-16-le", errors="ignore")
        if len(text) - len(kept) == removed:
            return kept + marker
        removed = len(text) - len(kept)


def text_cell(sheet, text: str) -> Cell:
    """A cell that holds ``text`` as text, whatever it looks like (a formula, an error
    value), made safe to store (``safe_text``)."""
    text = safe_text(text)
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


class CellMaker:
    """Turns the values of one column into what a write-only sheet takes: the value itself
    when no style is needed, otherwise a styled cell. ``kind``: how the column shows its
    values (``KINDS``); ``wrap``: whether its text wraps."""

    __slots__ = ("alignment", "kind", "sheet")

    def __init__(self, sheet, kind: str, wrap: bool):
        self.sheet = sheet
        self.kind = kind
        self.alignment = WRAP if wrap else None

    def make(self, value: object) -> object:
        kind = type(value)
        if kind is str:
            return self._text(value)
        if kind is bool:
            return self._text("Yes" if value else "No")
        if kind is int or kind is float or kind is Decimal:
            return self._number(value)
        if kind is dt.datetime or kind is dt.date:
            return self._when(value)
        return self._other(value)

    def _text(self, text: str) -> object:
        text = safe_text(text)
        if self.alignment is None and not text.startswith((*FORMULA_PREFIXES, "#")):
            return text
        # "=..." would become a formula and "#N/A" an error value: force plain text
        cell = text_cell(self.sheet, text)
        if self.alignment is not None:
            cell.alignment = self.alignment
        return cell

    def _number(self, value: int | float | Decimal) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            return self._text(str(value))
        if isinstance(value, Decimal) and not value.is_finite():
            return self._text(str(value))
        if isinstance(value, int) and abs(value) > _LARGEST_EXACT_INTEGER:
            return self._text(str(value))  # a long identifier: keep every digit
        if self.kind != "percent" and self.alignment is None:
            return value
        return self._styled(value, PERCENT_FORMAT if self.kind == "percent" else None)

    def _when(self, value: dt.date) -> object:
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone().replace(tzinfo=None)  # the computer's local time
            if value.date() < _FIRST_EXCEL_DATE:
                return self._text(value.strftime("%d/%m/%Y %H:%M"))
            number_format = DATE_FORMAT if self.kind == "date" else DATETIME_FORMAT
        else:
            if value < _FIRST_EXCEL_DATE:
                return self._text(value.strftime("%d/%m/%Y"))
            number_format = DATE_FORMAT
        return self._styled(value, number_format)

    def _other(self, value: object) -> object:
        """Subclasses of the usual types, and anything else (written as its text)."""
        if isinstance(value, bool):
            return self.make(bool(value))
        if isinstance(value, str):
            return self._text(str(value))
        if isinstance(value, dt.datetime):
            return self._when(dt.datetime(
                value.year, value.month, value.day, value.hour, value.minute, value.second,
                value.microsecond, tzinfo=value.tzinfo))
        if isinstance(value, dt.date):
            return self._when(dt.date(value.year, value.month, value.day))
        if isinstance(value, dt.time):
            return self._styled(value.replace(tzinfo=None), TIME_FORMAT)
        if isinstance(value, float):
            return self._number(float(value))
        if isinstance(value, int):
            return self._number(int(value))
        try:
            text = str(value)
        except Exception:
            text = type(value).__name__
        return self._text(text)

    def _styled(self, value: object, number_format: str | None) -> Cell:
        cell = WriteOnlyCell(self.sheet, value)
        if number_format is not None:
            cell.number_format = number_format
        if self.alignment is not None:
            cell.alignment = self.alignment
        return cell
