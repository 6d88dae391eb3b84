"""Size and draw the inspection's sample, and see how it compares with the caseload."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
)

from app.core.dto import SampleSummary
from app.core.profile import PROFILE_FIELD_BY_NAME
from app.core.sampling import DEFAULT_CONFIDENCE, DEFAULT_MARGIN
from app.errors import ValidationError
from app.ui.errors import confirm, operation
from app.ui.screens import fitted
from app.ui.widgets.tables import read_only_table

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.sampling import SampleService

CONFIDENCE_LEVELS = (0.80, 0.90, 0.95, 0.99)


def _value_label(attribute: str, code: str) -> str:
    vocabulary = PROFILE_FIELD_BY_NAME[attribute].vocabulary
    return vocabulary.label(code) if vocabulary and code in vocabulary else code


class SampleDialog(QDialog):
    def __init__(self, samples: SampleService, inspection_id: uuid.UUID, parent=None):
        super().__init__(parent)
        self._samples = samples
        self._inspection_id = inspection_id
        self.summary: SampleSummary | None = samples.current(inspection_id)
        self.setWindowTitle(self.tr("Case sample"))
        self.confidence = QComboBox()
        for level in CONFIDENCE_LEVELS:
            self.confidence.addItem(f"{level:.0%}", level)
        self.margin = QDoubleSpinBox()
        self.margin.setRange(1, 25)
        self.margin.setDecimals(1)
        self.margin.setSuffix(self.tr(" percentage points"))
        self.seed = QLineEdit()
        self.seed.setPlaceholderText(self.tr("blank: a new random seed, recorded"))
        form = QFormLayout()
        for label, widget in ((self.tr("&Confidence level"), self.confidence),
                              (self.tr("&Margin of error (±)"), self.margin),
                              (self.tr("&Seed"), self.seed)):
            form.addRow(label, widget)
            widget.setAccessibleName(label.replace("&", ""))
        self.plan_label = QLabel()
        self.plan_label.setWordWrap(True)
        self.tabs = QTabWidget()
        self.draw_button = QPushButton(self.tr("&Draw sample"))
        self.draw_button.clicked.connect(self.draw)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.draw_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.plan_label)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        settings = self.summary
        self.confidence.setCurrentIndex(max(0, self.confidence.findData(
            settings.confidence if settings else DEFAULT_CONFIDENCE)))
        self.margin.setValue((settings.margin if settings else DEFAULT_MARGIN) * 100)
        self.confidence.currentIndexChanged.connect(lambda _i: self.show_plan())
        self.margin.valueChanged.connect(lambda _v: self.show_plan())
        self.show_plan()
        self.resize(fitted(self, 900, 640))

    def settings(self) -> tuple[float, float]:
        return self.confidence.currentData(), round(self.margin.value() / 100, 4)

    def show_plan(self) -> None:
        """The size and allocation these settings give, before anything is drawn."""
        confidence, margin = self.settings()
        with operation(self, on_error=lambda exc: self.plan_label.setText(exc.problem)) \
                as done:
            plan = self._samples.plan(inspection_id=self._inspection_id,
                                               confidence=confidence, margin=margin)
        if done.failed:
            return
        raised = self.tr(" It is raised to {total} so that every group in the caseload is "
                         "represented.").format(total=plan.total) if plan.raised_for_minimum \
            else ""
        self.plan_label.setText(self.tr(
            "Caseload {n} cases. At {c:.0%} confidence and ±{m:g} points the sample is {size} "
            "cases, spread across {groups} groups (gender × sentence or disposal × risk of "
            "serious harm), at least one from each.{raised}").format(
            n=plan.population, c=confidence, m=margin * 100, size=plan.size,
            groups=len(plan.strata), raised=raised))
        self.draw_button.setEnabled(plan.population > 0)
        self._fill_tabs(plan.strata if self.summary is None else self.summary.strata)

    def _fill_tabs(self, strata) -> None:
        self.tabs.clear()
        drawn = self.summary is not None
        headers = [self.tr("Group"), self.tr("Caseload"), self.tr("Allocated")]
        if drawn:
            headers += [self.tr("In sample now"), self.tr("Reserve left")]
        rows = [[r.label, str(r.caseload), str(r.allocated)]
                + ([str(r.in_sample), str(r.reserve_left)] if drawn else []) for r in strata]
        self.tabs.addTab(read_only_table(headers, rows, self.tr("Allocation by group")),
                         self.tr("Allocation"))
        if not drawn:
            return
        s = self.summary
        self.tabs.addTab(read_only_table(
            [self.tr("Attribute"), self.tr("Value"), self.tr("Caseload"), self.tr("Sample")],
            [[PROFILE_FIELD_BY_NAME[p.attribute].label, _value_label(p.attribute, p.value),
              f"{p.caseload_count} ({p.caseload_percent:.1f}%)",
              f"{p.sample_count} ({p.sample_percent:.1f}%)"] for p in s.proportions],
            self.tr("Caseload and sample proportions")), self.tr("Caseload and sample"))
        self.tabs.addTab(read_only_table(
            [self.tr("Case"), self.tr("Group"), self.tr("Status"), self.tr("Reason")],
            [[m.reference, m.stratum_label,
              {"in_sample": self.tr("In sample"), "reserve": self.tr("Reserve"),
               "withdrawn": self.tr("Withdrawn")}[m.status], m.withdrawn_reason]
             for m in s.members], self.tr("Cases drawn")), self.tr("Cases and reserve"))
        self.tabs.addTab(read_only_table(
            [self.tr("When"), self.tr("Who"), self.tr("What"), self.tr("Case"),
             self.tr("Replaced by"), self.tr("Detail")],
            [[e.at.astimezone().strftime("%d/%m/%Y %H:%M"), e.by, e.kind, e.reference,
              e.other_reference, e.reason] for e in s.history],
            self.tr("Sample history")), self.tr("History"))
        self.plan_label.setText(self.plan_label.text() + self.tr(
            "\nCurrent sample: drawn {when} by {who} with seed {seed}; {n} cases in the "
            "sample.").format(when=s.drawn_at.astimezone().strftime("%d/%m/%Y %H:%M"),
                              who=s.drawn_by, seed=s.seed, n=len(s.in_sample)))

    def draw(self) -> None:
        confidence, margin = self.settings()
        with operation(self, self.tr("Draw the sample")) as done:
            text = self.seed.text().strip()
            if text and not text.isdigit():
                raise ValidationError(self.tr("The seed must be a whole number."),
                                      self.tr("Leave it blank for a new random seed."))
            if self.summary is not None and not confirm(
                    self, self.tr("Draw again"),
                    self.tr("Replace the current sample with a new draw? The current one is "
                            "kept in the history.")):
                return
            self.summary = self._samples.draw(
                inspection_id=self._inspection_id, confidence=confidence, margin=margin,
                seed=int(text) if text else None)
        if done.failed:
            return
        self.seed.setText(str(self.summary.seed))
        self.show_plan()
