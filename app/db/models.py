"""The local data model (also the central store's, through the same migrations).

Every table that syncs carries a UUID minted on the device, ``rev`` (bumped on every
change), ``updated_at``, ``updated_by`` and ``device_id``; the bookkeeping in
``app.db.bookkeeping`` fills them in and writes the outbox row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.db.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        uuid.UUID: Uuid(),
        dt.datetime: UtcDateTime(),
        dt.date: Date(),
        str: String(200),
    }


class Synced:
    """Columns shared by every table that travels between laptops and the central store."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    rev: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(120))
    device_id: Mapped[uuid.UUID]


class Framework(Synced, Base):
    """A question framework version, stored whole so pinned inspections never change."""

    __tablename__ = "frameworks"
    __table_args__ = (UniqueConstraint("framework_key", "version"),)

    framework_key: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str]
    programme: Mapped[str] = mapped_column(String(40))
    # the whole file; deferred because it is read once and then parsed from a cache
    content: Mapped[str] = mapped_column(Text, deferred=True)
    content_sha256: Mapped[str] = mapped_column(String(64))


class Inspection(Synced, Base):
    __tablename__ = "inspections"

    name: Mapped[str]
    programme: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[str]
    area: Mapped[str] = mapped_column(default="")
    start_date: Mapped[dt.date | None]
    end_date: Mapped[dt.date | None]
    framework_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("frameworks.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    # what pooling across inspections reads (``app.core.inspection_details``)
    year: Mapped[int | None]
    organisation_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    region: Mapped[str] = mapped_column(String(80), default="", server_default="")
    sample_design: Mapped[str] = mapped_column(String(20), default="random",
                                               server_default="random")
    reinspects_id: Mapped[uuid.UUID | None]
    # the ratings the lead inspector recorded (``app.core.rating_decisions``)
    rating_decisions: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    framework: Mapped[Framework] = relationship(lazy="joined")
    members: Mapped[list[InspectionMember]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan"
    )


class InspectionMember(Synced, Base):
    __tablename__ = "inspection_members"
    __table_args__ = (UniqueConstraint("inspection_id", "person"),)

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), index=True)
    person: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(40))

    inspection: Mapped[Inspection] = relationship(back_populates="members")


class Case(Synced, Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("inspection_id", "reference"),)

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), index=True)
    reference: Mapped[str] = mapped_column(String(60))
    provider: Mapped[str | None] = mapped_column(String(40))
    sentence_type: Mapped[str | None] = mapped_column(String(40))
    phase: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(20))
    ethnicity: Mapped[str | None] = mapped_column(String(40))
    date_of_birth: Mapped[dt.date | None]
    rosh: Mapped[str | None] = mapped_column(String(20))
    mappa: Mapped[str | None] = mapped_column(String(20))
    vulnerability: Mapped[str | None] = mapped_column(String(20))
    disability: Mapped[str | None] = mapped_column(String(20))
    responsible_officer: Mapped[str | None] = mapped_column(String(120))
    assignee: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    sample_stratum: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")


class Answer(Synced, Base):
    """One answer per case and question; ``value`` is ``None`` once cleared."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("case_id", "question_key"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    question_key: Mapped[str] = mapped_column(String(120))
    value: Mapped[object | None] = mapped_column(JSON(none_as_null=True))  # NULL = unanswered
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    evidence: Mapped[str] = mapped_column(Text, default="")
    respondent: Mapped[str] = mapped_column(String(20), default="inspector")


class PracticeExample(Synced, Base):
    """Good or poor practice, or a quotation, attached to a case."""

    __tablename__ = "practice_examples"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    theme: Mapped[str] = mapped_column(default="")
    stage: Mapped[str] = mapped_column(String(20), default="")
    title: Mapped[str] = mapped_column(default="")
    speaker_role: Mapped[str] = mapped_column(default="")
    narrative: Mapped[str] = mapped_column(Text)
    cleared_for_publication: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class Sample(Synced, Base):
    """One draw of an inspection's case sample: how it was sized and seeded, so it can be
    reproduced and explained. A redraw supersedes it; it is never deleted."""

    __tablename__ = "samples"

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="current")
    seed: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float]
    margin: Mapped[float]
    proportion: Mapped[float]
    strata_fields: Mapped[list] = mapped_column(JSON)
    reserve_per_stratum: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)
    size_requested: Mapped[int] = mapped_column(Integer)
    size_total: Mapped[int] = mapped_column(Integer)
    allocation: Mapped[list] = mapped_column(JSON)  # [{stratum, caseload, allocated}, ...]


class SampleMember(Synced, Base):
    """A case's place in a sample: selected, in reserve, withdrawn or brought in as a
    replacement."""

    __tablename__ = "sample_members"
    __table_args__ = (UniqueConstraint("sample_id", "case_id"),)

    sample_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("samples.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    stratum: Mapped[list] = mapped_column(JSON)
    role: Mapped[str] = mapped_column(String(20))  # selected | reserve
    draw_rank: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # in_sample | reserve | withdrawn
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")


class SampleEvent(Synced, Base):
    """Append-only history of a sample: drawn, withdrawn, replaced."""

    __tablename__ = "sample_events"

    sample_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("samples.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    other_case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    reason: Mapped[str] = mapped_column(Text, default="")


class CaseEvent(Synced, Base):
    """Append-only history of a case form's review: submitted, returned, approved,
    unlocked, with the comment, reason or sign-off given (who and when: ``updated_*``)."""

    __tablename__ = "case_events"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")


class QueryMessage(Synced, Base):
    """Append-only: one message in a supervisor's query on one answer. The thread is the
    messages sharing ``query_id`` (the id of the message that raised it); its state is the
    kind of its latest message (raise: open, respond: responded, close: closed). Nothing is
    ever changed, so two people writing in one thread never conflict."""

    __tablename__ = "query_messages"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    query_id: Mapped[uuid.UUID] = mapped_column(index=True)
    question_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Synced, Base):
    """Append-only: one change to an answer, or to a case's status or profile, with each
    field's old and new value (who, when and on which device: ``updated_*``, ``device_id``).
    Written by the same flush as the change itself."""

    __tablename__ = "audit_entries"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID]
    question_key: Mapped[str | None] = mapped_column(String(120))
    changes: Mapped[dict] = mapped_column(JSON)  # field -> [old, new]


class SecondMark(Synced, Base):
    """Append-only moderation: a second marker's blind judgement on one key question of a
    case (kind ``mark``), or the judgement the two agreed on afterwards (kind ``agreed``).
    The first judgement stays the case's answer; all three are kept."""

    __tablename__ = "second_marks"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    question_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[object | None] = mapped_column(JSON(none_as_null=True))
    note: Mapped[str] = mapped_column(Text, default="")


class ExportLogEntry(Synced, Base):
    """Append-only: one file that took case data out of the protected store (an analysts'
    workbook, a case form as a PDF, a transfer file), written once the file was complete:
    its name (never the folder), its SHA-256, the cases in it and whether it was
    pseudonymised. Who and on which device: ``updated_by``, ``device_id``; when:
    ``exported_at`` (the central store stamps ``updated_at`` with when it received it)."""

    __tablename__ = "export_log"

    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    case_count: Mapped[int] = mapped_column(Integer)
    case_ids: Mapped[list] = mapped_column(JSON)
    inspection_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspections.id"),
                                                            index=True)
    pseudonymised: Mapped[bool] = mapped_column(Boolean, default=False)
    exported_at: Mapped[dt.datetime]


#: tables whose rows are never changed once written
APPEND_ONLY = ("case_events", "query_messages", "audit_entries", "second_marks", "export_log")


class CaseProgress(Base):
    """Local, derived: how far each case form has got (recomputed from answers at will)."""

    __tablename__ = "case_progress"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    applicable: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[int] = mapped_column(Integer, default=0)
    percent: Mapped[int] = mapped_column(Integer, default=0)


class Outbox(Base):
    """Local changes not yet acknowledged by the central store, in the order they were made."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[uuid.UUID]
    op: Mapped[str] = mapped_column(String(10))
    base_rev: Mapped[int] = mapped_column(Integer)
    rev: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSON)
    #: the record as it was before this change (None for a new record): for the first
    #: change still waiting, what this laptop and the store last agreed on
    base: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    device_id: Mapped[uuid.UUID]

    __table_args__ = (Index("ix_outbox_entity", "entity", "entity_id"),)


class SyncState(Base):
    """Where the last pull from the central store got to, per stream."""

    __tablename__ = "sync_state"

    stream: Mapped[str] = mapped_column(String(60), primary_key=True)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    last_sync_at: Mapped[dt.datetime | None]


class Conflict(Base):
    """A change that could not be applied cleanly: base, yours and theirs. Kept, resolved or
    not, for as long as the record's case is on this laptop; when the case leaves it
    (``sync.purge``), its conflicts go with its other rows, since they hold its data."""

    __tablename__ = "conflicts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20), default="conflict")  # conflict | refused
    detail: Mapped[str] = mapped_column(Text, default="")
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[uuid.UUID]
    base: Mapped[dict | None] = mapped_column(JSON)
    yours: Mapped[dict | None] = mapped_column(JSON)
    theirs: Mapped[dict | None] = mapped_column(JSON)
    theirs_by: Mapped[str] = mapped_column(String(120), default="")
    theirs_at: Mapped[dt.datetime | None]
    detected_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolution: Mapped[dict | None] = mapped_column(JSON)


class AppMeta(Base):
    """Local settings that belong to this database file (the device id, for one)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ReleasedCase(Base):
    """Local only, never synced: a case released from this laptop (reassigned away from its
    user, or its inspection closed) and whether its data has been removed here yet.

    A released case stays until the central store has acknowledged its last change; it is
    then removed (``state`` purged). The pull passes over changes to a removed case, noting
    only who it is assigned to now, so that it can be brought back whole if it returns."""

    __tablename__ = "released_cases"

    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    inspection_id: Mapped[uuid.UUID]
    reason: Mapped[str] = mapped_column(String(20))  # reassigned | closed
    # released -> purging (only inside the transaction that removes it) -> purged
    state: Mapped[str] = mapped_column(String(20), default="released")
    assignee: Mapped[str | None] = mapped_column(String(120))  # as last heard of
    released_at: Mapped[dt.datetime]
    purged_at: Mapped[dt.datetime | None]


SYNCED_MODELS = (Framework, Inspection, InspectionMember, Case, Answer, PracticeExample, Sample,
                 SampleMember, SampleEvent, CaseEvent, QueryMessage, AuditEntry, SecondMark,
                 ExportLogEntry)
