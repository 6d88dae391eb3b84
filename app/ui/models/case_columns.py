"""What the inspection and case lists show."""

from __future__ import annotations

from app.core.dto import CaseSummary, InspectionSummary
from app.core.profile import GENDER, PHASE, PROGRAMMES, PROVIDER, RISK_LEVEL, SENTENCE_TYPE
from app.core.workflow import CASE_STATUS, SAMPLE_STATUS
from app.ui.models.tables import Column


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _period(i: InspectionSummary) -> str:
    if i.start_date and i.end_date:
        return f"{_date(i.start_date)} – {_date(i.end_date)}"
    return _date(i.start_date)


INSPECTION_COLUMNS = (
    Column("Inspection", lambda i: i.name),
    Column("Cases", lambda i: str(i.case_count), sort=lambda i: i.case_count, align_right=True),
)


def inspection_details(i: InspectionSummary) -> str:
    """The line under the inspection's name: who, what, when, against which framework."""
    parts = [i.organisation, PROGRAMMES.label(i.programme), _period(i),
             f"{i.framework_title} (version {i.framework_version})"]
    return " · ".join(p for p in parts if p)

#: statuses that need someone's attention stand out in the list
#: the theme's colour (``app.ui.theme.Tones``) a status is written in, where it stands out
STATUS_COLOUR = {"returned": "returned", "submitted": "submitted", "resubmitted": "submitted"}

CASE_COLUMNS = (
    Column("Reference", lambda c: c.reference),
    Column("Status", lambda c: CASE_STATUS.label(c.status),
           highlight=lambda c: STATUS_COLOUR.get(c.status)),
    Column("Progress", lambda c: f"{c.percent}%", sort=lambda c: c.percent, align_right=True),
    Column("Sample", lambda c: SAMPLE_STATUS.label(c.sample_status)),
    Column("Provider", lambda c: _short(PROVIDER.label(c.profile.provider))),
    Column("Sentence or disposal", lambda c: SENTENCE_TYPE.label(c.profile.sentence_type)),
    Column("Phase", lambda c: PHASE.label(c.profile.phase)),
    Column("Gender", lambda c: GENDER.label(c.profile.gender)),
    Column("Risk of serious harm", lambda c: RISK_LEVEL.label(c.profile.rosh)),
    Column("Inspector", lambda c: c.profile.assignee or ""),
)


def _short(label: str) -> str:
    """'National Probation Service (NPS)' -> 'NPS' for a narrow column."""
    if label.endswith(")") and "(" in label:
        return label[label.rindex("(") + 1:-1]
    return label


def case_search_text(case: CaseSummary) -> str:
    return " ".join(column.text(case) for column in CASE_COLUMNS).lower()
