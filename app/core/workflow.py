"""Case form status. The full review workflow builds on these states."""

from __future__ import annotations

from enum import StrEnum

from app.core.vocab import vocabulary


class CaseStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"


CASE_STATUS = vocabulary(
    "case_status",
    [
        (CaseStatus.NOT_STARTED, "Not started"),
        (CaseStatus.IN_PROGRESS, "In progress"),
        (CaseStatus.SUBMITTED, "Submitted"),
        (CaseStatus.RETURNED, "Returned"),
        (CaseStatus.RESUBMITTED, "Resubmitted"),
        (CaseStatus.APPROVED, "Approved (locked)"),
    ],
)

#: States in which the inspector may change answers.
EDITABLE = frozenset({CaseStatus.NOT_STARTED, CaseStatus.IN_PROGRESS, CaseStatus.RETURNED})


def can_edit(status: str) -> bool:
    return status in EDITABLE


def status_after_answer(status: str) -> str:
    """The first answer moves a case from not started to in progress."""
    return CaseStatus.IN_PROGRESS if status == CaseStatus.NOT_STARTED else status


TEAM_ROLE = vocabulary(
    "team_role",
    [
        ("lead_inspector", "Lead inspector"),
        ("inspector", "Inspector"),
        ("supervisor", "Supervisor (quality lead)"),
    ],
)

#: Roles that may be given cases to inspect.
ASSESSING_ROLES = frozenset({"lead_inspector", "inspector"})

SAMPLE_STATUS = vocabulary(
    "sample_status",
    [
        ("in_sample", "In sample"),
        ("reserve", "Reserve"),
        ("withdrawn", "Withdrawn"),
        ("not_selected", "Not selected"),
    ],
)
