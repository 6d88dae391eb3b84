"""Queries and row changes. Repositories take a session, never commit, and hand back
plain data from ``app.core``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.answers import AnswerRecord
from app.core.dto import CaseSummary, ExportLogRecord, InspectionSummary, PracticeExampleRecord
from app.core.ids import time_ordered_id
from app.core.profile import PROFILE_FIELDS, CaseProfile
from app.db import models as m

PROFILE_NAMES = tuple(f.name for f in PROFILE_FIELDS)


# -- frameworks ---------------------------------------------------------------------------

def framework_row(session: Session, key: str, version: str) -> m.Framework | None:
    return session.scalar(
        select(m.Framework).where(m.Framework.framework_key == key, m.Framework.version == version)
    )


def framework_rows(session: Session) -> list[m.Framework]:
    return list(session.scalars(select(m.Framework).order_by(m.Framework.framework_key)))


# -- inspections --------------------------------------------------------------------------

def inspection_summary(row: m.Inspection, case_count: int = 0) -> InspectionSummary:
    return InspectionSummary(
        id=row.id, name=row.name, programme=row.programme, organisation=row.organisation,
        area=row.area, start_date=row.start_date, end_date=row.end_date,
        framework_key=row.framework.framework_key, framework_version=row.framework.version,
        framework_title=row.framework.title, status=row.status, case_count=case_count,
        updated_at=row.updated_at,
    )


def list_inspections(session: Session) -> list[InspectionSummary]:
    counts = dict(session.execute(
        select(m.Case.inspection_id, func.count()).group_by(m.Case.inspection_id)
    ).all())
    rows = session.scalars(select(m.Inspection).order_by(m.Inspection.start_date.desc(),
                                                         m.Inspection.name))
    return [inspection_summary(r, counts.get(r.id, 0)) for r in rows]


def get_inspection(session: Session, inspection_id: uuid.UUID) -> m.Inspection | None:
    return session.get(m.Inspection, inspection_id)


def count_cases(session: Session, inspection_id: uuid.UUID) -> int:
    return session.scalar(
        select(func.count()).select_from(m.Case).where(m.Case.inspection_id == inspection_id)
    ) or 0


# -- cases --------------------------------------------------------------------------------

def profile_of(row: m.Case) -> CaseProfile:
    return CaseProfile(**{name: getattr(row, name) for name in PROFILE_NAMES})


def case_summary(row: m.Case, progress: m.CaseProgress | None,
                 sample_status: str | None = None) -> CaseSummary:
    return CaseSummary(
        id=row.id, inspection_id=row.inspection_id, reference=row.reference,
        profile=profile_of(row), status=row.status,
        percent=progress.percent if progress else 0,
        answered=progress.answered if progress else 0,
        applicable=progress.applicable if progress else 0,
        problems=progress.problems if progress else 0,
        notes=row.notes, updated_at=row.updated_at, updated_by=row.updated_by,
        sample_status=sample_status,
    )


def list_cases(session: Session, inspection_id: uuid.UUID) -> list[CaseSummary]:
    rows = session.execute(
        select(m.Case, m.CaseProgress)
        .outerjoin(m.CaseProgress, m.CaseProgress.case_id == m.Case.id)
        .where(m.Case.inspection_id == inspection_id)
        .order_by(m.Case.reference)
    ).all()
    statuses = sample_statuses(session, inspection_id)
    return [case_summary(case, progress,
                         None if statuses is None else statuses.get(case.id, "not_selected"))
            for case, progress in rows]


def get_case(session: Session, case_id: uuid.UUID) -> m.Case | None:
    return session.get(m.Case, case_id)


def case_by_reference(session: Session, inspection_id: uuid.UUID, reference: str) -> m.Case | None:
    return session.scalar(select(m.Case).where(
        m.Case.inspection_id == inspection_id,
        func.lower(m.Case.reference) == reference.lower(),
    ))


def count_assigned(session: Session, inspection_id: uuid.UUID, person: str) -> int:
    return session.scalar(select(func.count()).select_from(m.Case).where(
        m.Case.inspection_id == inspection_id, m.Case.assignee == person)) or 0


def case_references(session: Session, inspection_id: uuid.UUID) -> set[str]:
    """Every case reference in the inspection, in lower case (references match regardless)."""
    return {r.lower() for r in session.scalars(
        select(m.Case.reference).where(m.Case.inspection_id == inspection_id))}


def add_progress_rows(session: Session, rows: list[dict]) -> None:
    if rows:
        session.connection().execute(m.CaseProgress.__table__.insert(), rows)


def case_reference_map(session: Session, inspection_id: uuid.UUID) -> dict[uuid.UUID, str]:
    return dict(session.execute(
        select(m.Case.id, m.Case.reference).where(m.Case.inspection_id == inspection_id)).all())


def case_profiles(session: Session, inspection_id: uuid.UUID) -> dict[uuid.UUID, dict]:
    """Every case's profile as a plain mapping, for sampling and proportions."""
    columns = [getattr(m.Case, name) for name in PROFILE_NAMES]
    rows = session.execute(select(m.Case.id, *columns)
                           .where(m.Case.inspection_id == inspection_id)
                           .order_by(m.Case.reference)).all()
    return {row[0]: dict(zip(PROFILE_NAMES, row[1:], strict=True)) for row in rows}


def apply_profile(row: m.Case, profile: CaseProfile) -> None:
    for name in PROFILE_NAMES:
        value = getattr(profile, name)
        if getattr(row, name) != value:
            setattr(row, name, value)


def cases_by_id(session: Session, case_ids: list[uuid.UUID]) -> list[m.Case]:
    return [row for start in range(0, len(case_ids), 500) for row in session.scalars(
        select(m.Case).where(m.Case.id.in_(case_ids[start:start + 500])))]


def get_progress(session: Session, case_id: uuid.UUID) -> m.CaseProgress | None:
    return session.get(m.CaseProgress, case_id)


def set_progress_of_cases(session: Session,
                          progress: dict[uuid.UUID, tuple[int, int, int, int]]) -> None:
    """Many cases' progress at once, each as (applicable, answered, problems, percent)."""
    if not progress:
        return
    table = m.CaseProgress.__table__
    statement = sqlite_insert(table)
    session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.case_id], set_={
            name: statement.excluded[name]
            for name in ("applicable", "answered", "problems", "percent")}),
        [{"case_id": case_id, "applicable": applicable, "answered": answered,
          "problems": problems, "percent": percent}
         for case_id, (applicable, answered, problems, percent) in progress.items()])


def set_progress(session: Session, case_id: uuid.UUID, *, applicable: int, answered: int,
                 problems: int, percent: int) -> None:
    row = session.get(m.CaseProgress, case_id)
    if row is None:
        row = m.CaseProgress(case_id=case_id)
        session.add(row)
    row.applicable, row.answered, row.problems, row.percent = (
        applicable, answered, problems, percent)


# -- answers ------------------------------------------------------------------------------

def answer_record(row: m.Answer) -> AnswerRecord:
    return AnswerRecord(
        question_key=row.question_key, value=row.value, reasons=tuple(row.reasons or ()),
        evidence=row.evidence or "", rev=row.rev, answered_by=row.updated_by,
        answered_at=row.updated_at,
    )


def answers_for_case(session: Session, case_id: uuid.UUID) -> dict[str, m.Answer]:
    rows = session.scalars(select(m.Answer).where(m.Answer.case_id == case_id))
    return {row.question_key: row for row in rows}


_ANSWER_FIELDS = (m.Answer.case_id, m.Answer.question_key, m.Answer.value, m.Answer.reasons,
                  m.Answer.evidence, m.Answer.rev, m.Answer.updated_by, m.Answer.updated_at)


def answer_records_for_inspection(session: Session, inspection_id: uuid.UUID
                                  ) -> dict[uuid.UUID, dict[str, AnswerRecord]]:
    """Every answer in the inspection, by case, read as plain rows (thousands at once)."""
    return _answer_records(session.execute(
        select(*_ANSWER_FIELDS).join(m.Case, m.Case.id == m.Answer.case_id)
        .where(m.Case.inspection_id == inspection_id)))


def answer_records_for_cases(session: Session, case_ids: list[uuid.UUID]
                             ) -> dict[uuid.UUID, dict[str, AnswerRecord]]:
    """The answers of these cases, by case, read as plain rows."""
    result: dict[uuid.UUID, dict[str, AnswerRecord]] = {}
    for start in range(0, len(case_ids), 500):
        result.update(_answer_records(session.execute(select(*_ANSWER_FIELDS).where(
            m.Answer.case_id.in_(case_ids[start:start + 500])))))
    return result


def answer_values_for_cases(session: Session, case_ids: list[uuid.UUID]
                            ) -> dict[uuid.UUID, dict[str, AnswerRecord]]:
    """What the answers of these cases say (value, reasons, evidence), by case, without
    who gave them and when: enough to work out how far each form has got. Answers that
    say the same share their value: read them, never change them."""
    result: dict[uuid.UUID, dict[str, AnswerRecord]] = {}
    by_hex = {case_id.hex: case_id for case_id in case_ids}  # as the column holds them
    read = _json_reader()
    for start in range(0, len(case_ids), 500):
        for case_id, key, value, reasons, evidence in session.execute(select(
                type_coerce(m.Answer.case_id, String), m.Answer.question_key,
                type_coerce(m.Answer.value, String), type_coerce(m.Answer.reasons, String),
                m.Answer.evidence).where(
                m.Answer.case_id.in_(case_ids[start:start + 500]))):
            result.setdefault(by_hex[case_id], {})[key] = AnswerRecord(
                question_key=key, value=read(value), reasons=tuple(read(reasons) or ()),
                evidence=evidence or "")
    return result


def _json_reader():
    """Reads a JSON column's stored text as the column's own type does (a number SQLite
    holds as a number is that number), each different text once: the answers of a whole
    inspection hold a few dozen values and reasons, each thousands of times."""
    known: dict[object, object] = {}

    def read(stored: object) -> object:
        if not isinstance(stored, str):
            return stored  # nothing, or a number
        try:
            return known[stored]
        except KeyError:
            known[stored] = value = json.loads(stored)
            return value

    return read


def _answer_records(rows) -> dict[uuid.UUID, dict[str, AnswerRecord]]:
    result: dict[uuid.UUID, dict[str, AnswerRecord]] = {}
    for case_id, key, value, reasons, evidence, rev, by, at in rows:
        result.setdefault(case_id, {})[key] = AnswerRecord(
            question_key=key, value=value, reasons=tuple(reasons or ()), evidence=evidence or "",
            rev=rev, answered_by=by, answered_at=at)
    return result


def practice_examples_for_inspection(session: Session, inspection_id: uuid.UUID
                                     ) -> list[PracticeExampleRecord]:
    rows = session.scalars(
        select(m.PracticeExample).join(m.Case, m.Case.id == m.PracticeExample.case_id)
        .where(m.Case.inspection_id == inspection_id, m.PracticeExample.deleted.is_(False))
        .order_by(m.Case.reference, m.PracticeExample.updated_at))
    return [practice_record(r) for r in rows]


# -- practice examples --------------------------------------------------------------------

def practice_record(row: m.PracticeExample) -> PracticeExampleRecord:
    return PracticeExampleRecord(
        id=row.id, case_id=row.case_id, kind=row.kind, narrative=row.narrative,
        theme=row.theme, stage=row.stage, title=row.title, speaker_role=row.speaker_role,
        cleared_for_publication=row.cleared_for_publication, updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def practice_examples(session: Session, case_id: uuid.UUID) -> list[PracticeExampleRecord]:
    rows = session.scalars(
        select(m.PracticeExample)
        .where(m.PracticeExample.case_id == case_id, m.PracticeExample.deleted.is_(False))
        .order_by(m.PracticeExample.updated_at)
    )
    return [practice_record(r) for r in rows]


def get_practice_example(session: Session, example_id: uuid.UUID) -> m.PracticeExample | None:
    return session.get(m.PracticeExample, example_id)


# -- samples ------------------------------------------------------------------------------

def current_sample(session: Session, inspection_id: uuid.UUID) -> m.Sample | None:
    return session.scalar(select(m.Sample).where(m.Sample.inspection_id == inspection_id,
                                                 m.Sample.status == "current"))


def sample_members(session: Session, sample_id: uuid.UUID) -> list[m.SampleMember]:
    return list(session.scalars(select(m.SampleMember)
                                .where(m.SampleMember.sample_id == sample_id)
                                .order_by(m.SampleMember.draw_rank)))


def sample_member(session: Session, sample_id: uuid.UUID,
                  case_id: uuid.UUID) -> m.SampleMember | None:
    return session.scalar(select(m.SampleMember).where(m.SampleMember.sample_id == sample_id,
                                                       m.SampleMember.case_id == case_id))


def reserve_members(session: Session, sample_id: uuid.UUID, stratum: list) -> list[m.SampleMember]:
    """The stratum's reserve cases (used or not), in draw order."""
    return [mb for mb in sample_members(session, sample_id)
            if mb.role == "reserve" and mb.stratum == stratum]


def sample_events(session: Session, sample_id: uuid.UUID) -> list[m.SampleEvent]:
    return list(session.scalars(select(m.SampleEvent)
                                .where(m.SampleEvent.sample_id == sample_id)
                                .order_by(m.SampleEvent.updated_at)))


def sampled_cases_with_answers(session: Session, sample_id: uuid.UUID) -> int:
    return session.scalar(
        select(func.count(func.distinct(m.Answer.case_id)))
        .join(m.SampleMember, m.SampleMember.case_id == m.Answer.case_id)
        .where(m.SampleMember.sample_id == sample_id, m.SampleMember.status == "in_sample",
               m.Answer.value.is_not(None))) or 0


def sample_statuses(session: Session, inspection_id: uuid.UUID) -> dict[uuid.UUID, str] | None:
    """Each case's place in the current sample; None when no sample has been drawn."""
    sample = current_sample(session, inspection_id)
    if sample is None:
        return None
    return dict(session.execute(select(m.SampleMember.case_id, m.SampleMember.status)
                                .where(m.SampleMember.sample_id == sample.id)).all())


# -- health -------------------------------------------------------------------------------

def table_counts(session: Session) -> dict[str, int]:
    tables = (m.Inspection, m.Case, m.Answer, m.PracticeExample, m.Framework, m.Outbox)
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in tables}


def schema_revision(session: Session) -> str:
    return session.connection().exec_driver_sql(
        "SELECT version_num FROM alembic_version").scalar() or ""


def open_conflicts(session: Session) -> list[m.Conflict]:
    return list(session.scalars(select(m.Conflict).where(m.Conflict.resolved_at.is_(None))
                                .order_by(m.Conflict.detected_at)))


def get_conflict(session: Session, conflict_id: uuid.UUID) -> m.Conflict | None:
    return session.get(m.Conflict, conflict_id)


def resolve_conflict(session: Session, conflict_id: uuid.UUID, *, by: str, at,
                     resolution: dict) -> None:
    row = session.get(m.Conflict, conflict_id)
    row.resolved_at, row.resolved_by, row.resolution = at, by, resolution


def sync_status(session: Session) -> tuple:
    state = session.get(m.SyncState, "central")
    # the audit entry written with each change travels with it: not counted twice
    pending = session.scalar(select(func.count()).select_from(m.Outbox).where(
        m.Outbox.entity != m.AuditEntry.__tablename__)) or 0
    conflicts = session.scalar(select(func.count()).select_from(m.Conflict).where(
        m.Conflict.resolved_at.is_(None))) or 0
    return (state.last_sync_at if state else None), pending, conflicts


def integrity_check(session: Session) -> tuple[str, int]:
    conn = session.connection()
    rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").all()]
    fk_problems = len(conn.exec_driver_sql("PRAGMA foreign_key_check").all())
    return ("ok" if rows == ["ok"] else "; ".join(rows[:10])), fk_problems


# -- review: case events, queries, audit trail (all append-only) --------------------------

def member_role(session: Session, inspection_id: uuid.UUID, person: str) -> str | None:
    return session.scalar(select(m.InspectionMember.role).where(
        m.InspectionMember.inspection_id == inspection_id,
        m.InspectionMember.person == person))


def add_case_event(session: Session, case_id: uuid.UUID, *, action: str, from_status: str,
                   to_status: str, note: str = "") -> None:
    session.add(m.CaseEvent(id=time_ordered_id(), case_id=case_id, action=action,
                            from_status=from_status, to_status=to_status, note=note))


def case_events(session: Session, case_id: uuid.UUID) -> list[m.CaseEvent]:
    return list(session.scalars(select(m.CaseEvent).where(m.CaseEvent.case_id == case_id)
                                .order_by(m.CaseEvent.updated_at, m.CaseEvent.id)))


def cases_with_event(session: Session, inspection_id: uuid.UUID, action: str) -> set[uuid.UUID]:
    return set(session.scalars(select(m.CaseEvent.case_id).join(
        m.Case, m.Case.id == m.CaseEvent.case_id).where(
        m.Case.inspection_id == inspection_id, m.CaseEvent.action == action)))


def add_query_message(session: Session, *, case_id: uuid.UUID, query_id: uuid.UUID | None,
                      question_key: str, kind: str, text: str) -> uuid.UUID:
    message_id = time_ordered_id()
    session.add(m.QueryMessage(id=message_id, case_id=case_id,
                               query_id=query_id or message_id, question_key=question_key,
                               kind=kind, text=text))
    return query_id or message_id


def query_messages(session: Session, *, case_ids: list[uuid.UUID] | None = None,
                   query_id: uuid.UUID | None = None) -> list[m.QueryMessage]:
    query = select(m.QueryMessage).order_by(m.QueryMessage.updated_at, m.QueryMessage.id)
    if case_ids is not None:
        query = query.where(m.QueryMessage.case_id.in_(case_ids))
    if query_id is not None:
        query = query.where(m.QueryMessage.query_id == query_id)
    return list(session.scalars(query))


def audit_entries(session: Session, case_id: uuid.UUID,
                  question_key: str | None = None) -> list[m.AuditEntry]:
    query = select(m.AuditEntry).where(m.AuditEntry.case_id == case_id)
    if question_key is not None:
        query = query.where(m.AuditEntry.question_key == question_key)
    return list(session.scalars(query.order_by(m.AuditEntry.updated_at, m.AuditEntry.id)))


def second_marks(session: Session, case_ids: list[uuid.UUID],
                 kind: str | None = None) -> list[m.SecondMark]:
    query = select(m.SecondMark).where(m.SecondMark.case_id.in_(case_ids))
    if kind is not None:
        query = query.where(m.SecondMark.kind == kind)
    return list(session.scalars(query.order_by(m.SecondMark.updated_at, m.SecondMark.id)))


# -- the export log (append-only) ---------------------------------------------------------

def add_export_log_entry(session: Session, *, kind: str, file_name: str, sha256: str,
                         case_ids: list[uuid.UUID], inspection_id: uuid.UUID | None,
                         pseudonymised: bool, exported_at: dt.datetime) -> m.ExportLogEntry:
    row = m.ExportLogEntry(id=time_ordered_id(), kind=kind, file_name=file_name,
                           sha256=sha256, case_count=len(case_ids),
                           case_ids=[str(c) for c in case_ids], inspection_id=inspection_id,
                           pseudonymised=pseudonymised, exported_at=exported_at)
    session.add(row)
    return row


def export_log_record(row: m.ExportLogEntry) -> ExportLogRecord:
    return ExportLogRecord(
        id=row.id, kind=row.kind, file_name=row.file_name, sha256=row.sha256,
        case_ids=tuple(uuid.UUID(c) for c in row.case_ids), inspection_id=row.inspection_id,
        pseudonymised=row.pseudonymised, exported_by=row.updated_by,
        exported_at=row.exported_at, device_id=row.device_id)


def export_log(session: Session, inspection_id: uuid.UUID | None = None
               ) -> list[ExportLogRecord]:
    """The log, newest first; only one inspection's entries when it is given."""
    query = select(m.ExportLogEntry).order_by(m.ExportLogEntry.exported_at.desc(),
                                              m.ExportLogEntry.id.desc())
    if inspection_id is not None:
        query = query.where(m.ExportLogEntry.inspection_id == inspection_id)
    return [export_log_record(row) for row in session.scalars(query)]


#: AppMeta keys of the folders exports are written to: kept on this laptop, never synced.
EXPORT_FOLDER = "export_folder:"


def note_export_folder(session: Session, folder: str) -> None:
    """Remember a folder an export is about to be written to (once)."""
    key = EXPORT_FOLDER + hashlib.sha256(folder.encode("utf-8")).hexdigest()[:40]
    if session.get(m.AppMeta, key) is None:
        session.add(m.AppMeta(key=key, value=folder))


def export_folders(session: Session) -> list[str]:
    return list(session.scalars(
        select(m.AppMeta.value).where(m.AppMeta.key.startswith(EXPORT_FOLDER))))
