"""Plain, frozen data handed from services to the window and the command line."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from app.core.answers import AnswerRecord
from app.core.form import FormState
from app.core.frameworks import Framework
from app.core.profile import CaseProfile
from app.core.queries import QueryState, state_of


@dataclass(frozen=True)
class FrameworkInfo:
    key: str
    version: str
    title: str
    programme: str
    question_count: int
    reconstructed_count: int
    #: "file" (shipped), "installed" (imported from a workbook on this laptop) or "stored"
    #: (pinned by an inspection, brought by a sync)
    source: str = "file"


@dataclass(frozen=True)
class WorkbookImport:
    """What importing a framework workbook found: the framework (when it has no problem),
    every problem by sheet, row, column and value, and whether it was installed now or was
    already here as it is."""

    file_name: str
    framework: FrameworkInfo | None
    problems: tuple = ()  # app.core.framework_sheets.SheetProblem
    installed: bool = False
    already_here: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class PoolingDetails:
    """What an inspection says for pooling across inspections (``core.inspection_details``):
    ``year`` None stands for its start date's year."""

    year: int | None = None
    organisation_type: str = ""
    region: str = ""
    sample_design: str = "random"
    reinspects_id: uuid.UUID | None = None


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
    details: PoolingDetails = PoolingDetails()


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
    details: PoolingDetails = PoolingDetails()


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
    sample_status: str | None = None  # in_sample, reserve, withdrawn, not_selected; None: no sample

    @property
    def complete(self) -> bool:
        """Every applicable question answered, with reasons and evidence for each No."""
        return self.problems == 0


@dataclass(frozen=True)
class CaseForm:
    """Everything the case form needs to draw itself, as it stands: a form that changes is
    a new ``CaseForm`` (``with_answer``), never this one altered."""

    case: CaseSummary
    inspection_name: str
    framework: Framework
    #: by question key (read-only)
    answers: Mapping[str, AnswerRecord]
    state: FormState
    editable: bool
    inspection_closed: bool = False
    reviewing: bool = False  # opened by a supervisor, who reviews and does not answer

    def __post_init__(self) -> None:
        object.__setattr__(self, "answers", MappingProxyType(dict(self.answers)))

    def with_answer(self, saved: SavedAnswer) -> CaseForm:
        """The form once ``saved`` is recorded: its answer, the form's state, and the case's
        status (the first answer starts the case)."""
        case = self.case if saved.status == self.case.status else replace(
            self.case, status=saved.status)
        return replace(self, case=case, state=saved.state,
                       answers={**self.answers, saved.record.question_key: saved.record})


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


@dataclass(frozen=True)
class TeamMember:
    person: str
    role: str


@dataclass(frozen=True)
class ImportPreview:
    """What a case list file holds and how it was understood, before anything is stored."""

    inspection_id: uuid.UUID
    file: str
    sheet: str | None
    header_row: int
    columns: tuple  # ColumnReport, in file order
    rows_read: int
    blank_rows: int
    new_cases: tuple  # ImportedCase not yet in the inspection
    existing_references: tuple[str, ...]  # already in the inspection: recognised, not duplicated
    problems: tuple  # RowProblem: row, column, value, expected

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ImportReport:
    file: str
    imported: int
    already_present: int
    dry_run: bool


@dataclass(frozen=True)
class StratumRow:
    stratum: tuple[str, ...]  # codes, in the order of the stratifying fields
    label: str  # for people: "Female · Community order · Medium"
    caseload: int
    allocated: int
    in_sample: int = 0
    reserve_left: int = 0


@dataclass(frozen=True)
class SamplePlan:
    """The size and allocation a draw would give, shown (and editable) before drawing."""

    population: int
    confidence: float
    margin: float
    size: int
    total: int
    raised_for_minimum: bool
    strata_fields: tuple[str, ...]
    strata: tuple[StratumRow, ...]


@dataclass(frozen=True)
class SampleMemberRecord:
    case_id: uuid.UUID
    reference: str
    stratum_label: str
    role: str  # selected | reserve
    status: str  # in_sample | reserve | withdrawn
    draw_rank: int
    withdrawn_reason: str = ""


@dataclass(frozen=True)
class SampleEventRecord:
    at: dt.datetime
    by: str
    kind: str  # drawn | withdrawn | replaced
    reference: str = ""
    other_reference: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SampleSummary:
    id: uuid.UUID
    inspection_id: uuid.UUID
    seed: int
    confidence: float
    margin: float
    proportion: float
    population: int
    size_requested: int
    size_total: int
    strata_fields: tuple[str, ...]
    strata: tuple[StratumRow, ...]
    members: tuple[SampleMemberRecord, ...]
    proportions: tuple  # ProportionRow from app.core.sampling
    history: tuple[SampleEventRecord, ...]
    drawn_at: dt.datetime | None = None
    drawn_by: str = ""

    @property
    def in_sample(self) -> tuple[SampleMemberRecord, ...]:
        return tuple(m for m in self.members if m.status == "in_sample")


@dataclass(frozen=True)
class ExportResult:
    path: str
    cases: int
    answers: int
    bytes: int
    sha256: str
    pseudonymised: bool = False
    log_entry: uuid.UUID | None = None  # its entry in the export log


@dataclass(frozen=True)
class ExportLogRecord:
    """One file that took case data out of the protected store (see ``app.core.export_log``).
    ``exported_at`` is the laptop's time of the export, ``exported_by`` who was signed in."""

    id: uuid.UUID
    kind: str  # workbook | pdf | transfer
    file_name: str  # the name only, never the folder
    sha256: str
    case_ids: tuple[uuid.UUID, ...]
    inspection_id: uuid.UUID | None
    pseudonymised: bool
    exported_by: str
    exported_at: dt.datetime
    device_id: uuid.UUID

    @property
    def case_count(self) -> int:
        return len(self.case_ids)


@dataclass(frozen=True)
class ConflictRecord:
    """A change of ours that met someone else's, or that the central store refused."""

    id: uuid.UUID
    kind: str  # conflict | refused
    entity: str
    entity_id: uuid.UUID
    case_id: uuid.UUID | None
    case_reference: str
    question_key: str
    question_text: str
    base: object
    yours: object
    yours_by: str
    yours_at: str
    theirs: object
    theirs_by: str
    theirs_at: dt.datetime | None
    detected_at: dt.datetime
    detail: str = ""
    yours_evidence: str = ""
    theirs_evidence: str = ""


@dataclass(frozen=True)
class CaseEventRecord:
    """One move in a case form's review, or a mark for dip sampling."""

    action: str
    from_status: str
    to_status: str
    note: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class QueryMessageRecord:
    kind: str  # raise, respond or close
    text: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class QueryThread:
    """A supervisor's query on one answer, with everything said in it."""

    id: uuid.UUID
    case_id: uuid.UUID
    question_key: str
    messages: tuple[QueryMessageRecord, ...]

    @property
    def status(self) -> QueryState:
        """Open, responded or closed: what its messages did (``queries.MOVES``)."""
        return state_of(m.kind for m in self.messages) or QueryState.OPEN

    @property
    def raised_by(self) -> str:
        return self.messages[0].by


@dataclass(frozen=True)
class AuditRecord:
    """One change to an answer or to a case, as the audit trail keeps it."""

    entity: str
    question_key: str | None
    changes: dict  # field -> (old, new)
    by: str
    at: dt.datetime
    device_id: uuid.UUID


@dataclass(frozen=True)
class ReviewItem:
    """A case waiting for a supervisor, as the review queue lists it."""

    case: CaseSummary
    inspection_name: str
    open_queries: int
    dip_sample: bool


@dataclass(frozen=True)
class ReviewState:
    """Where a case stands in review, for the person looking at it."""

    actor: str | None  # inspector, supervisor, or None (not on the team)
    actions: tuple[str, ...]
    returned_by: str = ""
    returned_note: str = ""  # the comment or reason of the latest return or unlock
    threads: tuple[QueryThread, ...] = ()
