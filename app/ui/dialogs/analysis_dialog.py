"""Tools → Pooled findings: an analyst signs in to the central service and reads key questions
pooled across inspections, with charts of the shares and their intervals, by year, programme,
organisation and sub-group, and saves them for Excel, R or Stata.

The figures are worked out by the central store; the dialog asks for them off the window's
thread and shows what choices they were made by. Nothing is kept on the laptop unless the
analyst saves a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.inspection_details import SAMPLE_DESIGN
from app.core.pooling import DIMENSIONS, SUPPRESS_BELOW, PooledFindings, PoolingChoice
from app.errors import ValidationError
from app.ui.errors import show_error
from app.ui.tasks import Lane, TaskManager
from app.ui.theme import paint_text, tones
from app.ui.widgets.fields import CodeCombo
from app.ui.widgets.interval_chart import ChartRow, IntervalChart
from app.ui.widgets.tables import fill_table

Fetch = Callable[[str, str, str, PoolingChoice], PooledFindings]
Save = Callable[[PooledFindings, Path], Path]


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _share(figure) -> str:
    """A figure's share as the tables show it: marked when from too few cases."""
    if figure.suppressed:
        return QCoreApplication.translate("AnalysisDialog", "suppressed")
    shown = _percent(figure.share)
    return shown + QCoreApplication.translate("AnalysisDialog", " (too few)") \
        if figure.too_few else shown


class AnalysisDialog(QDialog):
    def __init__(self, tasks: TaskManager, fetch: Fetch, save: Save, parent=None):
        super().__init__(parent)
        self._tasks, self._fetch, self._save = tasks, fetch, save
        self.findings: PooledFindings | None = None
        self.setWindowTitle(self.tr("Pooled findings across inspections"))
        settings = QSettings()
        self.address = QLineEdit(str(settings.value("central/url", "") or ""))
        self.address.setPlaceholderText("https://central.example:8443")
        self.login = QLineEdit(str(settings.value("analysis/login", "") or ""))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.family = QLineEdit()
        self.family.setPlaceholderText(self.tr("the only one there is, if so"))
        self.years = QLineEdit()
        self.years.setPlaceholderText(self.tr("all; or e.g. 2019, 2020"))
        self.sample = CodeCombo(SAMPLE_DESIGN, allow_blank=False)
        self.latest_only = QCheckBox(self.tr("Only the latest inspection of a re-inspected "
                                             "unit"))
        self.latest_only.setChecked(True)
        self.provisional = QCheckBox(self.tr("Count forms not yet approved (provisional)"))
        self.suppress = QSpinBox()
        self.suppress.setRange(0, 1000)
        self.suppress.setValue(SUPPRESS_BELOW)
        self.suppress.setSuffix(self.tr(" judged cases"))
        # two columns of fields: where and who; what to pool
        grid = QGridLayout()
        fields = (((self.tr("&Central service"), self.address), (self.tr("&Login"), self.login),
                   (self.tr("&Password"), self.password)),
                  ((self.tr("&Framework family"), self.family), (self.tr("&Years"), self.years),
                   (self.tr("Sa&mple"), self.sample),
                   (self.tr("Suppress cells &below"), self.suppress)))
        for column, pairs in enumerate(fields):
            for row, (label, widget) in enumerate(pairs):
                words = QLabel(label)
                words.setBuddy(widget)
                grid.addWidget(words, row, column * 2)
                grid.addWidget(widget, row, column * 2 + 1)
                widget.setAccessibleName(label.replace("&", ""))
        grid.addWidget(self.latest_only, 3, 0, 1, 2)
        grid.addWidget(self.provisional, 4, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        self.show_button = QPushButton(self.tr("&Show findings"))
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.ask)
        self.save_button = QPushButton(self.tr("S&ave as…"))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_as)
        self.said = QLabel()
        self.said.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.said, 1)
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.save_button)
        self.choices = QLabel(self.tr("The choices the findings are made by are said here "
                                      "once they are shown."))
        self.choices.setWordWrap(True)
        paint_text(self.choices, tones().notice)
        choices_page = QScrollArea()
        choices_page.setWidgetResizable(True)
        choices_page.setWidget(self.choices)

        self.key_chart = IntervalChart(self.tr("Key questions: share judged sufficient"))
        self.key_table = QTableWidget()
        self.key_table.setAccessibleName(self.tr("Key questions"))
        key_page = QWidget()
        key_layout = QVBoxLayout(key_page)
        key_layout.addWidget(self.key_chart, 1)
        key_layout.addWidget(self.key_table, 1)
        self.dimension = QComboBox()
        for code, heading in DIMENSIONS:
            self.dimension.addItem(self.tr(heading), code)
        self.dimension.setAccessibleName(self.tr("Split by"))
        self.question = QComboBox()
        self.question.setAccessibleName(self.tr("Key question"))
        self.group_chart = IntervalChart(self.tr("Groups: share judged sufficient"))
        self.group_table = QTableWidget()
        self.group_table.setAccessibleName(self.tr("Groups against the rest"))
        picks = QHBoxLayout()
        for label, widget in ((self.tr("Spl&it by"), self.dimension),
                              (self.tr("&Question"), self.question)):
            words = QLabel(label)
            words.setBuddy(widget)
            picks.addWidget(words)
            picks.addWidget(widget, 1)
        group_page = QWidget()
        group_layout = QVBoxLayout(group_page)
        group_layout.addLayout(picks)
        group_layout.addWidget(self.group_chart, 1)
        group_layout.addWidget(self.group_table, 1)
        self.dimension.currentIndexChanged.connect(self._show_groups)
        self.question.currentIndexChanged.connect(self._show_groups)
        self.tabs = QTabWidget()
        self.year_chart = IntervalChart(self.tr("Key questions by year"))
        self.tabs.addTab(key_page, self.tr("&Key questions"))
        self.tabs.addTab(self.year_chart, self.tr("By yea&r"))
        self.tabs.addTab(group_page, self.tr("Sub-&groups"))
        self.tabs.addTab(choices_page, self.tr("C&hoices and what was left out"))

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addWidget(self.tabs, 1)

    # -- asking ---------------------------------------------------------------------------
    def choice(self) -> PoolingChoice:
        years = []
        for word in self.years.text().replace(";", ",").split(","):
            if not word.strip():
                continue
            if not re.fullmatch(r"[0-9]{4}", word.strip()):
                raise ValidationError(self.tr("'{word}' is not a year.").format(
                    word=word.strip()), self.tr("List years as 2019, 2020, or leave it "
                                                "blank for all."))
            years.append(int(word))
        return PoolingChoice(family=self.family.text().strip() or None, years=tuple(years),
                             sample_design=self.sample.code() or "random",
                             latest_only=self.latest_only.isChecked(),
                             suppress_below=self.suppress.value(),
                             provisional=self.provisional.isChecked())

    def ask(self) -> None:
        try:
            choice = self.choice()
        except ValidationError as exc:
            show_error(self, exc, self.tr("Pooled findings"))
            return
        address, login = self.address.text().strip(), self.login.text().strip()
        password = self.password.text()
        self.show_button.setEnabled(False)
        self.said.setText(self.tr("Asking the central service…"))
        QSettings().setValue("analysis/login", login)  # never the password

        def done(findings: PooledFindings) -> None:
            self.show_button.setEnabled(True)
            self.show_findings(findings)

        def failed(exc: BaseException) -> None:
            self.show_button.setEnabled(True)
            self.said.setText("")
            show_error(self, exc, self.tr("Pooled findings"))

        self._tasks.run(lambda: self._fetch(address, login, password, choice), done,
                        lane=Lane.IO, owner=self, on_error=failed)

    # -- showing --------------------------------------------------------------------------
    def show_findings(self, findings: PooledFindings) -> None:
        self.findings = findings
        self.save_button.setEnabled(True)
        self.family.setText(findings.choice.family or "")
        self.said.setText(self.tr("{family}: {n} inspection(s), {cases} case form(s) "
                                  "counted; {left} left out (see Choices).").format(
            family=findings.choice.family, n=findings.inspections, cases=findings.cases,
            left=len(findings.left_out)))
        left_out = [self.tr("Left out: {who}, {why}.").format(who=o.inspection, why=o.why)
                    for o in findings.left_out]
        self.choices.setText("\n".join([*findings.statements, *left_out]))
        overall = [f for f in findings.figures if f.dimension is None]
        self.key_chart.show_rows([self._row(f.question, f) for f in overall])
        fill_table(self.key_table, [self.tr("Key question"), self.tr("Share"),
                                    self.tr("95% interval"), self.tr("Sufficient"),
                                    self.tr("Judged")],
                   [[f.question, _share(f), self._interval(f.low, f.high),
                     "" if f.sufficient is None else str(f.sufficient),
                     "" if f.judged is None else str(f.judged)] for f in overall])
        self.question.blockSignals(True)
        self.question.clear()
        for f in overall:
            self.question.addItem(f.question, f.question_key)
        self.question.blockSignals(False)
        self._show_groups()
        # each key question year by year (when the findings are split by year)
        years = [f for f in findings.figures if f.dimension == "year"]
        self.year_chart.show_rows([self._row(f"{f.group} · {f.question}", f) for f in years]
                                  or [ChartRow(self.tr("Split by year to see this"), None,
                                               instead=self.tr("not split by year"))])

    def _row(self, label: str, figure) -> ChartRow:
        if figure.suppressed:
            return ChartRow(label, None, instead=self.tr("suppressed: too few cases"))
        if figure.too_few:
            label = self.tr("{label} (too few)").format(label=label)
        return ChartRow(label, figure.share, figure.low, figure.high)

    def _interval(self, low: float | None, high: float | None) -> str:
        if low is None or high is None:
            return ""
        return self.tr("{low} to {high}").format(low=_percent(low), high=_percent(high))

    def _show_groups(self) -> None:
        if self.findings is None:
            return
        dimension, key = self.dimension.currentData(), self.question.currentData()
        groups = [f for f in self.findings.figures
                  if f.dimension == dimension and f.question_key == key]
        differences = {d.group: d for d in self.findings.differences
                       if d.dimension == dimension and d.question_key == key}
        self.group_chart.show_rows([self._row(f.group, f) for f in groups])
        rows = []
        for f in groups:
            d = differences.get(f.group)
            rows.append([f.group, _share(f), self._interval(f.low, f.high),
                         "" if f.judged is None else str(f.judged),
                         "" if d is None or d.difference is None else f"{d.difference:+.1%}",
                         "" if d is None else self._interval(d.low, d.high)])
        fill_table(self.group_table, [self.tr("Group"), self.tr("Share"),
                                      self.tr("95% interval"), self.tr("Judged"),
                                      self.tr("Difference from the rest"),
                                      self.tr("Its 95% interval")], rows)

    # -- saving ---------------------------------------------------------------------------
    def save_as(self) -> None:
        if self.findings is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save pooled findings"), "pooled-findings.xlsx",
            self.tr("Excel workbook (*.xlsx);;Parquet for R, Stata or Python (*.parquet);;"
                    "JSON (*.json)"))
        if not path:
            return
        findings = self.findings
        self._tasks.run(lambda: self._save(findings, Path(path)),
                        lambda written: self.said.setText(
                            self.tr("Saved {path}.").format(path=written)),
                        lane=Lane.IO, owner=self, title=self.tr("Save pooled findings"))
