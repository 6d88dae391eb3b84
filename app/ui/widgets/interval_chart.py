"""Horizontal bars of shares with their 95% intervals: a row per key question or group, a
suppressed or empty row said in words rather than drawn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

from app.ui.theme import mixed, tones

#: a row's height, where there is room
ROW = 20


def bar_colour(palette: QPalette) -> QColor:
    """The bars' colour: the theme's colour for what is done, which reads against the
    chart's background."""
    return tones(palette).done


@dataclass(frozen=True)
class ChartRow:
    label: str
    share: float | None
    low: float | None = None
    high: float | None = None
    #: said in place of a bar when there is no share ("suppressed", "no cases")
    instead: str = ""


class IntervalChart(QWidget):
    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self.rows: list[ChartRow] = []
        self.setMinimumHeight(120)
        self.setAccessibleName(name)

    def show_rows(self, rows: Sequence[ChartRow]) -> None:
        self.rows = list(rows)
        self.setAccessibleDescription("; ".join(
            f"{r.label}: {r.share:.0%}" if r.share is not None else f"{r.label}: {r.instead}"
            for r in self.rows))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, 36 + ROW * max(1, len(self.rows)))

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.base())
        ink = palette.text().color()
        if not self.rows:
            painter.setPen(ink)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             self.tr("No findings to show yet."))
            return
        metrics = self.fontMetrics()
        widest = max(metrics.horizontalAdvance(r.label) for r in self.rows)
        left = min(widest + 14, self.width() // 2)
        right, top = self.width() - 24, 8
        span = max(1, right - left)
        row = max(10.0, min(float(ROW), (self.height() - 30) / len(self.rows)))
        bar = bar_colour(palette)
        faint = mixed(ink, palette.base().color(), 0.3)
        for i, r in enumerate(self.rows):
            y = top + row * i
            painter.setPen(ink)
            painter.drawText(QRectF(4, y, left - 10, row - 2),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(r.label, Qt.TextElideMode.ElideRight, left - 10))
            if r.share is None:
                painter.setPen(faint)
                painter.drawText(QRectF(left + 4, y, span, row - 2),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 r.instead)
                continue
            painter.fillRect(QRectF(left, y + 3, span * r.share, row - 8), bar)
            if r.low is not None and r.high is not None:
                painter.setPen(QPen(ink, 2))
                middle = int(y + row / 2 - 1)
                x0, x1 = int(left + span * r.low), int(left + span * r.high)
                painter.drawLine(x0, middle, x1, middle)
                painter.drawLine(x0, middle - 4, x0, middle + 4)
                painter.drawLine(x1, middle - 4, x1, middle + 4)
        pen = QPen(faint)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        bottom = int(top + row * len(self.rows))
        for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
            x = int(left + span * tick)
            painter.drawLine(x, top, x, bottom)
            painter.drawText(x - 14, bottom + 14, f"{tick:.0%}")
