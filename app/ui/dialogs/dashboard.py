"""The inspection dashboard: progress, key questions with their bands and intervals, a chart,
and the breakdowns. Worked out off the GUI thread, so it stays responsive on a 2,000-case
inspection; it refreshes itself when a case form is approved, returned or unlocked."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.frameworks import short_title
from app.core.ratings import BREAKDOWN_HEADINGS, InspectionRatings, QuestionRating
from app.core.workflow import CASE_STATUS
from app.ui.changes import Change
from app.ui.errors import show_error
from app.ui.screens import fitted
from app.ui.tasks import TaskManager
from app.ui.theme import contrast, mixed, paint_text, readable, tones
from app.ui.widgets.tables import fill_table

if TYPE_CHECKING:
    from app.services.cases import CaseService
    from app.services.ratings import RatingService

BAND_COLOURS = {"Outstanding": "#2e7d32", "Good": "#7cb342", "Requires improvement": "#f9a825",
                "Inadequate": "#c62828"}
SCOPES = (("approved", "Approved case forms"),
          ("answered", "Every case form with answers (not yet final)"))


#: a bar's height in the chart, where there is room
ROW = 18


class KeyQuestionChart(QWidget):
    """Horizontal bars: each key question's percentage in its band's colour, with its 95%
    interval and the band edges."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.questions: list[QuestionRating] = []
        self.edges: list[float] = []
        self.setMinimumHeight(160)
        self.setAccessibleName(self.tr("Key questions chart"))

    def show_ratings(self, rated: InspectionRatings) -> None:
        self.questions = [q for q in rated.questions if q.tally.total]
        self.edges = [float(b.lower) for b in rated.rules.bands if b.lower > 0]
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, 30 + ROW * max(1, len(self.questions)))

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.questions:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             self.tr("No key question has an applicable case yet."))
            return
        titles = [short_title(q.text) for q in self.questions]
        widest = max(self.fontMetrics().horizontalAdvance(t) for t in titles)
        left = min(widest + 14, self.width() // 2)
        right, top = self.width() - 20, 10
        span = max(1, right - left)
        # rows as tall as there is room for, up to ROW (the chart shrinks on a small screen)
        row = max(8.0, min(float(ROW), (self.height() - 30) / len(self.questions)))
        painter.setPen(self.palette().text().color())
        for i, (q, title) in enumerate(zip(self.questions, titles, strict=True)):
            y = top + row * i
            painter.drawText(QRectF(4, y, left - 10, row - 2),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight,
                                                           left - 10))
            share = q.tally.yes / q.tally.total
            painter.fillRect(QRectF(left, y + 2, span * share, row - 6),
                             bar_colour(q.band, self.palette()))
            low, high = q.interval
            middle = int(y + row / 2 - 1)
            painter.drawLine(int(left + span * low), middle, int(left + span * high), middle)
        pen = QPen(mixed(self.palette().text().color(), self.palette().base().color(), 0.3))
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        bottom = int(top + row * len(self.questions))
        for edge in self.edges:
            x = int(left + span * edge)
            painter.drawLine(x, top, x, bottom)
            painter.drawText(x - 12, bottom + 12, f"{edge:.0%}")


class DashboardDialog(QDialog):
    def __init__(self, cases: CaseService, ratings: RatingService, tasks: TaskManager,
                 inspection_id: uuid.UUID, name: str, parent=None):
        super().__init__(parent)
        self._cases, self._ratings = cases, ratings
        self._tasks = tasks
        self._inspection_id = inspection_id
        self._working = False
        self._again = False
        self.rated: InspectionRatings | None = None
        self.setWindowTitle(self.tr("Dashboard — {name}").format(name=name))
        self.scope = QComboBox()
        for code, label in SCOPES:
            self.scope.addItem(self.tr(label), code)
        self.scope.setAccessibleName(self.tr("Cases counted"))
        self.scope.currentIndexChanged.connect(self.refresh)
        refresh = QPushButton(self.tr("&Refresh"))
        refresh.clicked.connect(self.refresh)
        self.record = QPushButton(self.tr("Record a ra&ting…"))
        self.record.setToolTip(self.tr(
            "The lead inspector records a standard judged on the evidence, or a rating in "
            "place of the arithmetic's, with the reason."))
        self.record.setEnabled(False)  # until the figures are worked out
        self.record.clicked.connect(self.record_rating)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.refresh)
        self.counted = QLabel()
        self.counted.setWordWrap(True)
        self.rules_note = QLabel()
        self.rules_note.setWordWrap(True)
        paint_text(self.rules_note, tones().notice)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Count:")))
        top.addWidget(self.scope)
        top.addWidget(self.counted, 1)
        top.addWidget(self.record)
        top.addWidget(refresh)

        self.progress = QTableWidget()
        self.progress.setAccessibleName(self.tr("Cases by status and inspector"))
        self.key_table = QTableWidget()
        self.key_table.setAccessibleName(self.tr("Key questions"))
        self.chart = KeyQuestionChart()
        self.by = QComboBox()
        for attribute, heading in BREAKDOWN_HEADINGS:
            self.by.addItem(self.tr(heading), attribute)
        self.by.setAccessibleName(self.tr("Break down by"))
        self.by.currentIndexChanged.connect(self._show_breakdown)
        self.breakdown = QTableWidget()
        self.breakdown.setAccessibleName(self.tr("Breakdown"))

        ratings = QSplitter(Qt.Orientation.Vertical)
        ratings.addWidget(self.key_table)
        ratings.addWidget(self.chart)
        breakdowns = QWidget()
        layout = QVBoxLayout(breakdowns)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Break down by:")))
        row.addWidget(self.by)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.breakdown)
        small_note = QLabel(self.tr("* Fewer cases than the minimum: too few to say much on "
                                    "their own."))
        small_note.setWordWrap(True)
        layout.addWidget(small_note)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.progress, self.tr("&Progress"))
        self.tabs.addTab(ratings, self.tr("&Key questions"))
        self.tabs.addTab(breakdowns, self.tr("&Breakdowns"))
        main = QVBoxLayout(self)
        main.addLayout(top)
        main.addWidget(self.rules_note)
        main.addWidget(self.tabs, 1)
        self.resize(fitted(self, 1100, 720))
        self.refresh()

    # -- working out ------------------------------------------------------------------------
    def on_changed(self, what: frozenset) -> None:
        """Works the figures out again when an operation changed cases or their review
        (``changes.Changes``)."""
        if what & {Change.CASES, Change.REVIEW, Change.INSPECTIONS}:
            self.refresh()

    def refresh(self) -> None:
        """Work the figures out again, off the GUI thread (once more if asked meanwhile)."""
        if self._working:
            self._again = True
            return
        statuses = ("approved",) if self.scope.currentData() == "approved" else None
        cases_of, ratings, inspection_id = self._cases, self._ratings, self._inspection_id
        self.counted.setText(self.tr("Working out…"))

        def work():
            cases = cases_of.list(inspection_id)
            return cases, ratings.rate(inspection_id, statuses=statuses)

        self._working = True
        self._tasks.run(work, self._show, owner=self, title=self.tr("Dashboard"),
                        on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self._working = False
        self.counted.setText("")
        show_error(self, exc, self.tr("Dashboard"))

    def _show(self, result) -> None:
        self._working = False
        cases, rated = result
        self.rated = rated
        approved_only = self.scope.currentData() == "approved"
        self.counted.setText(self.tr(
            "Rated from {n} approved case form(s) of {total} case(s)." if approved_only else
            "Rated from {n} case form(s) with answers, approved or not, of {total} case(s)."
        ).format(n=rated.cases, total=len(cases)))
        self.counted.setToolTip(self.tr(
            "The analysts' workbook and 'aspire ratings' rate the approved case forms too, "
            "unless asked for provisional ratings. A key question judged in fewer than {n} "
            "cases is too few to rate.").format(n=rated.rules.min_cases))
        self.record.setEnabled(True)
        said = self.tr("Overall: {words}").format(words=rated.overall.words)
        if not said.endswith("."):
            said += "."
        self.rules_note.setText(said + ("" if rated.rules.confirmed else self.tr(
            " Ratings use default rules not yet confirmed by the inspectorate (see "
            "resources/ratings).")))
        self._show_progress(cases)
        self._show_key_questions(rated)
        self.chart.show_ratings(rated)
        self._show_breakdown()
        if self._again:
            self._again = False
            self.refresh()

    def record_rating(self) -> None:
        """The lead inspector records (or withdraws) a rating; the figures are then worked
        out again."""
        from app.ui.dialogs.rating_decision_dialog import RatingDecisionDialog

        if self.rated is None:
            return
        dialog = RatingDecisionDialog(self._ratings, self._inspection_id, self.rated, self)
        dialog.exec()
        if dialog.changed:
            self.refresh()

    def _show_progress(self, cases) -> None:
        statuses = CASE_STATUS.codes()
        by_inspector = Counter((c.profile.assignee or self.tr("Not assigned"), c.status)
                               for c in cases)
        people = sorted({who for who, _ in by_inspector})
        rows = [(self.tr("All inspectors"), Counter(c.status for c in cases)),
                *((who, Counter({s: by_inspector[(who, s)] for s in statuses}))
                  for who in people)]
        fill_table(self.progress, [self.tr("Inspector"), *map(CASE_STATUS.label, statuses),
                                   self.tr("Total")],
                   [[who, *(str(counts[s]) for s in statuses), str(sum(counts.values()))]
                    for who, counts in rows])

    def _show_key_questions(self, rated: InspectionRatings) -> None:
        headers = [self.tr("Standard"), self.tr("Rating"), self.tr("Key question"),
                   self.tr("Yes / applicable"), self.tr("%"), self.tr("95% interval"),
                   self.tr("Band"), self.tr("More No to fall"), self.tr("More Yes to rise")]
        rows, colours, tips, ratings = [], [], [], []
        for standard in rated.standards:
            if not standard.questions:  # judged on the evidence
                rows.append([standard.title, standard.shown_band or "—",
                             self.tr("Judged on the evidence"), "", "", "", "", "", ""])
                colours.append(None)
                tips.append((standard.decision_words or standard.unrated_words,
                             standard.title))
                ratings.append(standard.rating)
            for q in standard.questions:
                deciding = q.key == standard.deciding
                rows.append([standard.title if q is standard.questions[0] else "",
                             (standard.shown_band or "—") if q is standard.questions[0]
                             else "",
                             ("▶ " if deciding else "") + short_title(q.text),
                             f"{q.tally.yes} / {q.tally.total}",
                             f"{q.tally.percent:.0f}%" if q.tally.total else "—",
                             f"{q.interval[0]:.0%}–{q.interval[1]:.0%}" if q.interval else "",
                             q.shown_band, _count(q.to_fall), _count(q.to_rise)])
                colours.append(BAND_COLOURS.get(q.band))
                tips.append((standard.decision_words, q.text))  # the whole question
                ratings.append(standard.rating)
        fill_table(self.key_table, headers, rows)
        for r, ((decided, text), colour, rating) in enumerate(zip(tips, colours, ratings,
                                                                   strict=True)):
            self.key_table.item(r, 2).setToolTip(text)
            if colour is not None:
                chip(self.key_table.item(r, 6), colour)
            if self.key_table.item(r, 1).text() not in ("", "—"):
                chip(self.key_table.item(r, 1), BAND_COLOURS.get(rating))
                self.key_table.item(r, 1).setToolTip(decided)
        self.key_table.resizeColumnsToContents()

    def _show_breakdown(self) -> None:
        if self.rated is None:
            return
        attribute = self.by.currentData()
        chosen = [b for b in self.rated.breakdowns if b.attribute == attribute]
        groups = sorted({c.group for b in chosen for c in b.cells},
                        key=lambda g: (g in ("", "Not recorded"), g))
        rows, small = [], []
        for b in chosen:
            cells = {c.group: c for c in b.cells}
            row = [short_title(b.question)]
            for group in groups:
                cell = cells.get(group)
                row.append("" if cell is None or not cell.tally.total else
                           f"{cell.tally.percent:.0f}% ({cell.tally.yes}/{cell.tally.total})")
                small.append((len(rows), 1 + groups.index(group), cell is not None and
                              cell.small))
            rows.append(row)
        fill_table(self.breakdown, [self.tr("Key question"),
                                    *(g or self.tr("Not recorded") for g in groups)], rows)
        for r, c, is_small in small:
            item = self.breakdown.item(r, c)
            if is_small and item is not None and item.text():
                item.setForeground(tones().quiet)
                item.setText(item.text() + " *")
                item.setToolTip(self.tr("Too few cases to say much on its own"))
        for r, b in enumerate(chosen):
            self.breakdown.item(r, 0).setToolTip(b.question)
        self.breakdown.resizeColumnsToContents()


#: WCAG 2's least contrast for parts of a graphic (a bar against the chart behind it)
LEAST_GRAPHIC_CONTRAST = 3.0


def bar_colour(band: str | None, palette) -> QColor:
    """A band's bar in the chart: its colour, deepened (or lightened) only as far as it
    takes to stand 3:1 against the chart's background (amber and light green did not on
    white, 1.97 and 2.5)."""
    base = palette.base().color()
    return readable(QColor(BAND_COLOURS.get(band, "#888888")), base, palette.text().color(),
                    LEAST_GRAPHIC_CONTRAST)


def chip(item, colour: str | None) -> None:
    """A table cell drawn as a coloured chip: the band's colour behind, and whichever of
    black and white reads better on it."""
    if item is None or not colour:
        return
    back = QColor(colour)
    item.setBackground(back)
    black, white = QColor("#000000"), QColor("#ffffff")
    item.setForeground(black if contrast(black, back) >= contrast(white, back) else white)


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)
