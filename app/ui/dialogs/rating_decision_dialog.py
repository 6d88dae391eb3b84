"""The lead inspector records a rating: a standard judged on the evidence, or a rating in place
of the arithmetic's for a standard or the service overall, always with the reason; or
withdraws one, so the arithmetic's stands again."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
)

from app.core.frameworks import RatedBy
from app.core.rating_decisions import OVERALL, RATING_SCALE
from app.core.ratings import InspectionRatings
from app.ui.dialogs.form_dialog import FormDialog
from app.ui.errors import operation

if TYPE_CHECKING:
    from app.services.ratings import RatingService


class RatingDecisionDialog(FormDialog):
    def __init__(self, ratings: RatingService, inspection_id: uuid.UUID,
                 rated: InspectionRatings, parent=None):
        super().__init__(self.tr("Record a rating"), parent)
        self._ratings, self._inspection_id, self._rated = ratings, inspection_id, rated
        self.changed = False
        self.target = QComboBox()
        for standard in rated.standards:
            self.target.addItem(standard.title, standard.key)
        self.target.addItem(self.tr("The service overall"), OVERALL)
        self.arithmetic = QLabel()
        self.arithmetic.setWordWrap(True)
        self.rating = QComboBox()
        for label in RATING_SCALE:
            self.rating.addItem(self.tr(label), label)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(self.tr(
            "The evidence, or why the judgement departs from the arithmetic"))
        self.reason.setTabChangesFocus(True)
        for label, widget in ((self.tr("&Standard"), self.target),
                              (self.tr("The arithmetic"), self.arithmetic),
                              (self.tr("&Rating"), self.rating),
                              (self.tr("R&eason"), self.reason)):
            self.form.addRow(label, widget)
            widget.setAccessibleName(label.replace("&", ""))
        self.add_buttons(self.tr("Record rating"))
        self.withdraw = QPushButton(self.tr("&Withdraw the rating recorded"))
        self.withdraw.clicked.connect(self._withdraw)
        self.findChild(QDialogButtonBox).addButton(self.withdraw,
                                                   QDialogButtonBox.ButtonRole.ResetRole)
        self.target.currentIndexChanged.connect(self._show_target)
        self._show_target()
        self.resize(560, self.sizeHint().height())

    def _show_target(self) -> None:
        """What the arithmetic gives the chosen target, and the rating recorded for it."""
        key = self.target.currentData()
        if key == OVERALL:
            overall = self._rated.overall
            calculated, decision = (overall.calculated if overall.decision
                                    else overall.label), overall.decision
            said = (self.tr("Gives {rating}.").format(rating=calculated) if calculated
                    else self.tr("Gives no rating: {why}.").format(why=overall.why_not))
        else:
            standard = next(s for s in self._rated.standards if s.key == key)
            decision = standard.decision
            said = (self.tr("None: this standard is judged on the evidence.")
                    if standard.rated_by == RatedBy.JUDGEMENT else
                    self.tr("Gives {rating}.").format(rating=standard.band) if standard.band
                    else self.tr("Gives no rating yet."))
        if decision is not None:
            said += " " + self.tr("Recorded: {rating}, by {who} on {when}.").format(
                rating=decision.rating, who=decision.by, when=f"{decision.at:%d/%m/%Y}")
            self.rating.setCurrentIndex(max(0, self.rating.findData(decision.rating)))
            self.reason.setPlainText(decision.reason)
        else:
            self.reason.clear()
        self.arithmetic.setText(said)
        self.withdraw.setEnabled(decision is not None)

    def save(self) -> None:
        self._ratings.record(self._inspection_id, self.target.currentData(),
                             self.rating.currentData(), self.reason.toPlainText())
        self.changed = True

    def _withdraw(self) -> None:
        with operation(self, on_error=self.show_problem) as done:
            self._ratings.withdraw(self._inspection_id, self.target.currentData())
        if not done.failed:
            self.changed = True
            QDialog.accept(self)  # not the form's own, which would record
