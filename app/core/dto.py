"""Plain, frozen data handed from services to the window and the command line."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from app.core.answers import AnswerRecord
from app.core.form import FormState
from app.core.frameworks import Framework
from app.core.profile import CaseProfile


@dataclass(frozen=True)
class FrameworkInfo:
    key: str
    version: str
    title: str
    programme: str
    question_count: int
    reconstructed_count: int
    source: str = "file"  # "file" (shipped) or "stored" (pinned by an inspection)


@dataclass(frozen=True)
class NewInspection:
    name: str
    programme: str
    organisation: str
    framework_key: str
    framework_version: str | None = None  # newest when not given
    area: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True)
class InspectionSummary:
    id: uuid.UUID
    name: str
    programme: str
    organisation: str
    area: str
    start_date: dt.date | None
    end_date: dt.date | None
    framework_key: str
    framework_version: str
    framework_title: str
    status: str
    case_count: int = 0
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class CaseSummary:
    id: uuid.UUID
    inspection_id: uuid.UUID
    reference: str
    profile: CaseProfile
    status: str
    percent: int = 0
    answered: int = 0
    applicable: int = 0
    problems: int = 0
    notes: str = ""
    updated_at: dt.datetime | None = None
    updated_by: str = ""

    @property
    def complete(self) -> bool:
        """Every applicable question answered, with reasons and evidence for each No."""
        return self.problems == 0


@dataclass(frozen=True)
class CaseForm:
    """Everything the case form needs to draw itself."""

    case: CaseSummary
    inspection_name: str
    framework: Framework
    answers: dict[str, AnswerRecord]
    state: FormState
    editable: bool


@dataclass(frozen=True)
class SavedAnswer:
    record: AnswerRecord
    state: FormState
    status: str
    saved_at: dt.datetime


@dataclass(frozen=True)
class PracticeExampleRecord:
    id: uuid.UUID
    case_id: uuid.UUID
    kind: str
    narrative: str
    theme: str = ""
    stage: str = ""
    title: str = ""
    speaker_role: str = ""
    cleared_for_publication: bool = False
    updated_at: dt.datetime | None = None
    updated_by: str = ""


@dataclass(frozen=True)
class DatabaseReport:
    path: str
    integrity: str
    foreign_key_problems: int
    schema_revision: str
    counts: dict[str, int] = field(default_factory=dict)
    pending_changes: int = 0

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.foreign_key_problems == 0
