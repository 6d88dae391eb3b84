"""What an inspection says for pooling across inspections, as fields of a form: its year,
organisation type, region, sample design and the earlier inspection it re-inspects."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QFormLayout, QSpinBox

from app.core.dto import InspectionSummary, PoolingDetails
from app.core.inspection_details import (
    FIRST_YEAR,
    LAST_YEAR,
    ORGANISATION_TYPE,
    REGION,
    SAMPLE_DESIGN,
)
from app.ui.widgets.fields import CodeCombo


def _tr(text: str) -> str:
    return QCoreApplication.translate("PoolingFields", text)


class PoolingFields:
    """The fields, added as rows of ``form``; ``others``: the inspections this one may
    re-inspect (those of its programme on this laptop)."""

    def __init__(self, form: QFormLayout, others: Sequence[InspectionSummary],
                 details: PoolingDetails | None = None):
        details = details or PoolingDetails()
        self.year = QSpinBox()
        self.year.setRange(FIRST_YEAR - 1, LAST_YEAR)
        # the lowest value stands for "not given": the start date's year is taken
        self.year.setSpecialValueText(_tr("The start date's year"))
        self.year.setValue(details.year or FIRST_YEAR - 1)
        self.organisation_type = CodeCombo(ORGANISATION_TYPE)
        self.organisation_type.set_code(details.organisation_type or None)
        self.region = CodeCombo(REGION)
        self.region.set_code(details.region or None)
        self.sample = CodeCombo(SAMPLE_DESIGN, allow_blank=False)
        self.sample.set_code(details.sample_design)
        self.reinspects = QComboBox()
        self.reinspects.addItem(_tr("None: a first inspection"), None)
        for other in others:
            self.reinspects.addItem(f"{other.name} ({other.organisation})", str(other.id))
        earlier = None if details.reinspects_id is None else str(details.reinspects_id)
        if earlier is not None and self.reinspects.findData(earlier) < 0:
            self.reinspects.addItem(_tr("Inspection {id} (not on this laptop)").format(
                id=earlier), earlier)
        self.reinspects.setCurrentIndex(max(self.reinspects.findData(earlier), 0))
        for label, widget in ((_tr("Reported in &year"), self.year),
                              (_tr("Organisation &type"), self.organisation_type),
                              (_tr("Re&gion"), self.region),
                              (_tr("Sa&mple"), self.sample),
                              (_tr("&Re-inspects"), self.reinspects)):
            form.addRow(label, widget)
            widget.setAccessibleName(label.replace("&", ""))
        self.reinspects.setToolTip(_tr("The earlier inspection of the same unit, if this "
                                       "one re-inspects it: pooled findings then count only "
                                       "this, the latest."))
        self.sample.setToolTip(_tr("A targeted sample (a full joint inspection's) is never "
                                   "pooled with random ones."))

    def details(self) -> PoolingDetails:
        year = self.year.value()
        earlier = self.reinspects.currentData()
        return PoolingDetails(
            year=None if year < FIRST_YEAR else year,
            organisation_type=self.organisation_type.code() or "",
            region=self.region.code() or "", sample_design=self.sample.code() or "random",
            reinspects_id=uuid.UUID(earlier) if earlier else None)
